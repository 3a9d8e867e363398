//! The api Lambda: the HTTP API's axum Router behind API Gateway's HTTP API. The JWT authorizer
//! has verified the caller's token; the Router reads its claims from the request context. The
//! adapters are built once per cold start and shared by every invocation.

mod env;

use std::sync::Arc;

use zsync_api::{Auth, api_router};
use zsync_aws::{
    DynamoStore, SecretsManagerStore, SqsQueue, aws_sdk_dynamodb, aws_sdk_secretsmanager,
    aws_sdk_sqs,
};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};

use crate::env::{Config, ConfigError};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .init();
    let config = Config::from_env(|name| std::env::var(name).ok())?;
    let ctx = context(&config).await?;
    lambda_http::run(api_router(ctx, Auth::api_gateway())).await
}

async fn context(config: &Config) -> Result<SyncContext, ConfigError> {
    let sdk = zsync_aws::load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &config.table);
    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        &config.queue_url,
        &config.dlq_url,
    );
    let secrets = SecretsManagerStore::new(
        aws_sdk_secretsmanager::Client::new(&sdk),
        &config.secret_prefix,
    )
    .map_err(|e| ConfigError::Invalid {
        name: env::SECRET_PREFIX,
        reason: e.to_string(),
    })?;
    let zendesk =
        ZendeskClientFactory::new(ClientConfig::default()).map_err(|e| ConfigError::Invalid {
            name: "Zendesk client",
            reason: e.to_string(),
        })?;
    Ok(SyncContext {
        store: Arc::new(store),
        queue: Arc::new(queue),
        secrets: Arc::new(secrets),
        zendesk: Arc::new(zendesk),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: config.public_url.clone(),
            allow_insecure_zendesk_urls: config.allow_insecure_zendesk_urls,
        },
    })
}
