//! The cold start every Lambda shares: read the environment `template.yaml` sets, build the
//! AWS adapters and the Zendesk client once, and hand back the [`SyncContext`] that every
//! invocation of the process uses.
//!
//! | variable | meaning |
//! |---|---|
//! | `ZSYNC_TABLE_NAME` | DynamoDB table (required) |
//! | `ZSYNC_QUEUE_URL`, `ZSYNC_DLQ_URL` | sync queue and its dead-letter queue (required) |
//! | `ZSYNC_SECRET_PREFIX` | Secrets Manager name prefix, e.g. `zendesk-sync/prod/` (required) |
//! | `ZSYNC_PUBLIC_URL` | https base URL Zendesk calls back (required by the api function) |
//! | `ZSYNC_MAX_RECEIVES` | the queue's `maxReceiveCount` (default 5) |
//! | `ZSYNC_ALLOW_INSECURE_ZENDESK_URLS` | `true` only for test stacks against a simulator |
//! | `ZSYNC_SECRET_CACHE_SECONDS` | how long a warm instance reuses a secret it read (default 300) |
//!
//! Metrics go out in CloudWatch Embedded Metric Format ([`install_metrics`]): each function's
//! main runs its handler through [`metered`], which writes the invocation's metrics to stdout
//! when it ends; CloudWatch Logs turns those lines into metrics.

use std::sync::Arc;

use chrono::Duration;
use metrics_cloudwatch_embedded::Collector;
use tracing_subscriber::fmt::SubscriberBuilder;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields};
use zsync_aws::{
    DynamoStore, SdkConfig, SecretsManagerStore, SqsQueue, aws_sdk_dynamodb,
    aws_sdk_secretsmanager, aws_sdk_sqs, load_sdk_config,
};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::secret_cache::{DEFAULT_SECRET_TTL, with_secret_cache};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};

pub const TABLE: &str = "ZSYNC_TABLE_NAME";
pub const QUEUE_URL: &str = "ZSYNC_QUEUE_URL";
pub const DLQ_URL: &str = "ZSYNC_DLQ_URL";
pub const SECRET_PREFIX: &str = "ZSYNC_SECRET_PREFIX";
pub const PUBLIC_URL: &str = "ZSYNC_PUBLIC_URL";
pub const MAX_RECEIVES: &str = "ZSYNC_MAX_RECEIVES";
pub const ALLOW_INSECURE: &str = "ZSYNC_ALLOW_INSECURE_ZENDESK_URLS";
pub const SECRET_CACHE_SECONDS: &str = "ZSYNC_SECRET_CACHE_SECONDS";

const DEFAULT_MAX_RECEIVES: u32 = 5;
/// Secrets Manager is asked again after at most an hour, whatever the setting.
const MAX_SECRET_CACHE_SECONDS: u32 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("{name} is not usable: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The deployment's settings as the environment gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub table: String,
    pub queue_url: String,
    pub dlq_url: String,
    pub secret_prefix: String,
    /// Base URL Zendesk calls back (`{public_url}/webhooks/zendesk/{id}`), no trailing slash.
    pub public_url: Option<String>,
    pub max_receives: u32,
    pub allow_insecure_zendesk_urls: bool,
    /// Seconds a warm instance reuses a secret (a refused one is dropped at once).
    pub secret_cache_seconds: u32,
}

impl Environment {
    /// Reads the process environment.
    pub fn from_process() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var` (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let optional = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| optional(name).ok_or(ConfigError::Missing(name));
        let max_receives = match optional(MAX_RECEIVES) {
            None => DEFAULT_MAX_RECEIVES,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: MAX_RECEIVES,
                        reason: format!("expected a positive whole number, got {raw:?}"),
                    });
                }
            },
        };
        let secret_cache_seconds = match optional(SECRET_CACHE_SECONDS) {
            None => DEFAULT_SECRET_TTL.num_seconds().unsigned_abs() as u32,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if n <= MAX_SECRET_CACHE_SECONDS => n,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: SECRET_CACHE_SECONDS,
                        reason: format!(
                            "expected whole seconds from 0 to {MAX_SECRET_CACHE_SECONDS}, got {raw:?}"
                        ),
                    });
                }
            },
        };
        Ok(Self {
            table: required(TABLE)?,
            queue_url: required(QUEUE_URL)?,
            dlq_url: required(DLQ_URL)?,
            secret_prefix: required(SECRET_PREFIX)?,
            public_url: optional(PUBLIC_URL).map(|url| url.trim_end_matches('/').to_owned()),
            max_receives,
            allow_insecure_zendesk_urls: optional(ALLOW_INSECURE).is_some_and(|v| v == "true"),
            secret_cache_seconds,
        })
    }

    /// The api function registers webhooks, so it needs the public URL, and Zendesk only
    /// delivers to https.
    pub fn require_https_public_url(&self) -> Result<&str, ConfigError> {
        let url = self
            .public_url
            .as_deref()
            .ok_or(ConfigError::Missing(PUBLIC_URL))?;
        if url.starts_with("https://") {
            Ok(url)
        } else {
            Err(ConfigError::Invalid {
                name: PUBLIC_URL,
                reason: "Zendesk only delivers webhooks to https:// URLs".to_owned(),
            })
        }
    }
}

/// Builds the adapters once; every invocation of the process shares them (one HTTP pool each)
/// and the secret cache ([`with_secret_cache`]): a warm instance reads each secret once per
/// `secret_cache_seconds`, or again when Zendesk or a webhook signature refuses it.
pub async fn build_context(env: &Environment) -> Result<SyncContext, ConfigError> {
    build_context_with(env, &load_sdk_config().await)
}

/// [`build_context`] with the AWS SDK configuration given (its credentials, region and
/// endpoint): the IAM-enforced tests wire each function exactly so, with its role's keys.
pub fn build_context_with(env: &Environment, sdk: &SdkConfig) -> Result<SyncContext, ConfigError> {
    let secrets =
        SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(sdk), &env.secret_prefix)
            .map_err(|e| ConfigError::Invalid {
                name: SECRET_PREFIX,
                reason: e.to_string(),
            })?;
    let zendesk =
        ZendeskClientFactory::new(ClientConfig::default()).map_err(|e| ConfigError::Invalid {
            name: "Zendesk client",
            reason: e.to_string(),
        })?;
    let ctx = SyncContext {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &env.table,
        )),
        queue: Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            &env.queue_url,
            &env.dlq_url,
        )),
        secrets: Arc::new(secrets),
        zendesk: Arc::new(zendesk),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: env.public_url.clone().unwrap_or_default(),
            allow_insecure_zendesk_urls: env.allow_insecure_zendesk_urls,
            export_lease_ttl: zsync_core::export::LEASE_TTL,
        },
    };
    Ok(with_secret_cache(
        ctx,
        Duration::seconds(i64::from(env.secret_cache_seconds)),
    ))
}

/// The Lambda runtime's entry points that flush the invocation's metrics when it ends
/// (`metered::run` for event handlers, `metered::run_http` for the axum routers).
pub use metrics_cloudwatch_embedded::lambda::service as metered;

/// Lambda sets it to the function's name; the metrics' `Function` dimension.
pub const FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// Installs the process's metrics recorder: CloudWatch Embedded Metric Format in
/// [`zsync_core::telemetry::NAMESPACE`], every metric with the `Function` dimension and the
/// invocation's `RequestId` as a property.
pub fn init_metrics() -> Result<&'static Collector, ConfigError> {
    let function = std::env::var(FUNCTION_NAME).map_err(|_| ConfigError::Missing(FUNCTION_NAME))?;
    install_metrics(&function)
}

/// [`init_metrics`] for a given function name. A process has one recorder: a second call fails.
pub fn install_metrics(function: &str) -> Result<&'static Collector, ConfigError> {
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(zsync_core::telemetry::NAMESPACE)
        .with_dimension("Function", function.to_owned())
        .with_lambda_request_id("RequestId")
        .init()
        .map_err(|e| ConfigError::Invalid {
            name: "metrics recorder",
            reason: e.to_string(),
        })?;
    zsync_core::telemetry::describe();
    Ok(collector)
}

/// The JSON log layout, the same as the local server's (`zendesk_sync::logging`): one object
/// per line with `timestamp`, `level`, `target`, the event's fields at the top level
/// (`message`, `integration`, `ticket_id`, ...) and the enclosing `spans` (Lambda's invocation
/// span carries the `requestId`).
pub fn json_log_builder() -> SubscriberBuilder<JsonFields, Format<Json>> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
}

/// JSON logs for CloudWatch ([`json_log_builder`]); `RUST_LOG` sets the level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    json_log_builder().with_env_filter(filter).init();
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const FULL: [(&str, &str); 5] = [
        (TABLE, "t"),
        (QUEUE_URL, "https://sqs/q"),
        (DLQ_URL, "https://sqs/dlq"),
        (SECRET_PREFIX, "zendesk-sync/prod/"),
        (PUBLIC_URL, "https://api.example.com/"),
    ];

    #[test]
    fn reads_every_setting_with_defaults() {
        let env = Environment::from_vars(vars(&FULL)).unwrap();
        assert_eq!(env.table, "t");
        assert_eq!(env.public_url.as_deref(), Some("https://api.example.com"));
        assert_eq!(
            env.require_https_public_url().unwrap(),
            "https://api.example.com"
        );
        assert_eq!(env.max_receives, 5);
        assert!(!env.allow_insecure_zendesk_urls);
        assert_eq!(env.secret_cache_seconds, 300);
    }

    #[test]
    fn names_the_missing_or_unusable_variable() {
        assert!(matches!(
            Environment::from_vars(vars(&FULL[1..])),
            Err(ConfigError::Missing(TABLE))
        ));
        let mut bad = FULL.to_vec();
        bad.push((MAX_RECEIVES, "zero"));
        assert!(matches!(
            Environment::from_vars(vars(&bad)),
            Err(ConfigError::Invalid {
                name: MAX_RECEIVES,
                ..
            })
        ));
        for raw in ["-1", "soon", "3601"] {
            let mut bad = FULL.to_vec();
            bad.push((SECRET_CACHE_SECONDS, raw));
            assert!(matches!(
                Environment::from_vars(vars(&bad)),
                Err(ConfigError::Invalid {
                    name: SECRET_CACHE_SECONDS,
                    ..
                })
            ));
        }
        let mut http = FULL;
        http[4] = (PUBLIC_URL, "http://api.example.com");
        let env = Environment::from_vars(vars(&http)).unwrap();
        assert!(matches!(
            env.require_https_public_url(),
            Err(ConfigError::Invalid {
                name: PUBLIC_URL,
                ..
            })
        ));
        let env = Environment::from_vars(vars(&FULL[..4])).unwrap();
        assert!(matches!(
            env.require_https_public_url(),
            Err(ConfigError::Missing(PUBLIC_URL))
        ));
    }
}
