//! The cold start: the AWS adapters and the Zendesk client, configured from the environment
//! `template.yaml` sets (the same names as the other functions').
//!
//! | variable | meaning |
//! |---|---|
//! | `ZSYNC_TABLE_NAME` | DynamoDB table (required) |
//! | `ZSYNC_QUEUE_URL`, `ZSYNC_DLQ_URL` | sync queue and its dead-letter queue (required) |
//! | `ZSYNC_SECRET_PREFIX` | Secrets Manager name prefix, e.g. `zendesk-sync/prod/` (required) |
//! | `ZSYNC_PUBLIC_URL` | base URL Zendesk calls back (optional here) |
//! | `ZSYNC_ALLOW_INSECURE_ZENDESK_URLS` | `true` only for test stacks against a simulator |

use std::sync::Arc;

use zsync_aws::{DynamoStore, SecretsManagerStore, SqsQueue, load_sdk_config};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("{name} is not usable: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    optional(name).ok_or(ConfigError::Missing(name))
}

/// Builds the context every invocation of this process shares.
pub async fn context_from_env() -> Result<SyncContext, ConfigError> {
    let table = required("ZSYNC_TABLE_NAME")?;
    let queue_url = required("ZSYNC_QUEUE_URL")?;
    let dlq_url = required("ZSYNC_DLQ_URL")?;
    let secret_prefix = required("ZSYNC_SECRET_PREFIX")?;
    let sdk = load_sdk_config().await;
    let secrets = SecretsManagerStore::new(
        zsync_aws::aws_sdk_secretsmanager::Client::new(&sdk),
        secret_prefix,
    )
    .map_err(|e| ConfigError::Invalid {
        name: "ZSYNC_SECRET_PREFIX",
        reason: e.to_string(),
    })?;
    let zendesk =
        ZendeskClientFactory::new(ClientConfig::default()).map_err(|e| ConfigError::Invalid {
            name: "Zendesk client",
            reason: e.to_string(),
        })?;
    Ok(SyncContext {
        store: Arc::new(DynamoStore::new(
            zsync_aws::aws_sdk_dynamodb::Client::new(&sdk),
            table,
        )),
        queue: Arc::new(SqsQueue::new(
            zsync_aws::aws_sdk_sqs::Client::new(&sdk),
            queue_url,
            dlq_url,
        )),
        secrets: Arc::new(secrets),
        zendesk: Arc::new(zendesk),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: optional("ZSYNC_PUBLIC_URL").unwrap_or_default(),
            allow_insecure_zendesk_urls: optional("ZSYNC_ALLOW_INSECURE_ZENDESK_URLS")
                .is_some_and(|v| v == "true"),
        },
    })
}

/// JSON logs for CloudWatch; `RUST_LOG` sets the level (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .without_time()
        .init();
}
