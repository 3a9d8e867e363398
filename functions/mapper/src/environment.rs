//! The mapper's cold start: the AWS adapters and the Zendesk client, configured from the
//! environment `template.yaml` sets.
//!
//! | variable | meaning |
//! |---|---|
//! | `ZSYNC_TABLE_NAME` | DynamoDB table (required) |
//! | `ZSYNC_QUEUE_URL`, `ZSYNC_DLQ_URL` | sync queue and its dead-letter queue (required) |
//! | `ZSYNC_SECRET_PREFIX` | Secrets Manager name prefix, e.g. `zendesk-sync/prod/` (required) |
//! | `ZSYNC_PUBLIC_URL` | base URL Zendesk calls back (webhook registration; optional here) |
//! | `ZSYNC_MAX_RECEIVES` | the queue's `maxReceiveCount` (default 5) |
//! | `ZSYNC_ALLOW_INSECURE_ZENDESK_URLS` | `true` only for test stacks against a simulator |

use std::sync::Arc;

use zsync_aws::{DynamoStore, SecretsManagerStore, SqsQueue, load_sdk_config};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};

const DEFAULT_MAX_RECEIVES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Everything an invocation needs, built once per cold start.
#[derive(Clone)]
pub struct Mapper {
    pub ctx: SyncContext,
    pub max_receives: u32,
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Mapper {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let table = required("ZSYNC_TABLE_NAME")?;
        let queue_url = required("ZSYNC_QUEUE_URL")?;
        let dlq_url = required("ZSYNC_DLQ_URL")?;
        let secret_prefix = required("ZSYNC_SECRET_PREFIX")?;
        let max_receives = match optional("ZSYNC_MAX_RECEIVES") {
            None => DEFAULT_MAX_RECEIVES,
            Some(raw) => {
                raw.parse()
                    .map_err(|e: std::num::ParseIntError| ConfigError::Invalid {
                        name: "ZSYNC_MAX_RECEIVES",
                        reason: e.to_string(),
                    })?
            }
        };
        let settings = ServiceSettings {
            public_url: optional("ZSYNC_PUBLIC_URL").unwrap_or_default(),
            allow_insecure_zendesk_urls: optional("ZSYNC_ALLOW_INSECURE_ZENDESK_URLS")
                .is_some_and(|v| v == "true"),
        };
        let sdk = load_sdk_config().await;
        let secrets = SecretsManagerStore::new(
            zsync_aws::aws_sdk_secretsmanager::Client::new(&sdk),
            secret_prefix,
        )
        .map_err(|e| ConfigError::Invalid {
            name: "ZSYNC_SECRET_PREFIX",
            reason: e.to_string(),
        })?;
        let zendesk = ZendeskClientFactory::new(ClientConfig::default()).map_err(|e| {
            ConfigError::Invalid {
                name: "Zendesk client",
                reason: e.to_string(),
            }
        })?;
        let ctx = SyncContext {
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
            settings,
        };
        Ok(Self { ctx, max_receives })
    }
}

/// JSON logs for CloudWatch; `RUST_LOG` sets the level (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .init();
}
