//! The Lambda's configuration, from the environment the SAM template sets (the same names as the
//! mapper's).
//!
//! | variable | meaning |
//! |---|---|
//! | `ZSYNC_TABLE_NAME` | DynamoDB table |
//! | `ZSYNC_QUEUE_URL`, `ZSYNC_DLQ_URL` | sync queue and its dead-letter queue |
//! | `ZSYNC_SECRET_PREFIX` | Secrets Manager name prefix, e.g. `zendesk-sync/prod/` |
//! | `ZSYNC_PUBLIC_URL` | https base URL Zendesk calls back (webhook registration) |
//! | `ZSYNC_ALLOW_INSECURE_ZENDESK_URLS` | `true` only for test stacks against a simulator |

pub const TABLE: &str = "ZSYNC_TABLE_NAME";
pub const QUEUE_URL: &str = "ZSYNC_QUEUE_URL";
pub const DLQ_URL: &str = "ZSYNC_DLQ_URL";
pub const SECRET_PREFIX: &str = "ZSYNC_SECRET_PREFIX";
pub const PUBLIC_URL: &str = "ZSYNC_PUBLIC_URL";
pub const ALLOW_INSECURE: &str = "ZSYNC_ALLOW_INSECURE_ZENDESK_URLS";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("{name} is not usable: {reason}")]
    Invalid { name: &'static str, reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub table: String,
    pub queue_url: String,
    pub dlq_url: String,
    pub secret_prefix: String,
    /// Base URL Zendesk calls back (`{public_url}/webhooks/zendesk/{id}`).
    pub public_url: String,
    pub allow_insecure_zendesk_urls: bool,
}

impl Config {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let public_url = required(PUBLIC_URL)?.trim_end_matches('/').to_owned();
        if !public_url.starts_with("https://") {
            return Err(ConfigError::Invalid {
                name: PUBLIC_URL,
                reason: "Zendesk only delivers webhooks to https:// URLs".to_owned(),
            });
        }
        Ok(Self {
            table: required(TABLE)?,
            queue_url: required(QUEUE_URL)?,
            dlq_url: required(DLQ_URL)?,
            secret_prefix: required(SECRET_PREFIX)?,
            public_url,
            allow_insecure_zendesk_urls: var(ALLOW_INSECURE).is_some_and(|v| v.trim() == "true"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn reads_every_setting_and_refuses_what_is_missing() {
        let full = [
            (TABLE, "t"),
            (QUEUE_URL, "https://sqs/q"),
            (DLQ_URL, "https://sqs/dlq"),
            (SECRET_PREFIX, "zendesk-sync/prod/"),
            (PUBLIC_URL, "https://api.example.com/"),
        ];
        let config = Config::from_env(vars(&full)).unwrap();
        assert_eq!(config.public_url, "https://api.example.com");
        assert_eq!(config.secret_prefix, "zendesk-sync/prod/");
        assert!(!config.allow_insecure_zendesk_urls);
        assert!(matches!(
            Config::from_env(vars(&full[1..])),
            Err(ConfigError::Missing(TABLE))
        ));
        let mut insecure = full;
        insecure[4] = (PUBLIC_URL, "http://api.example.com");
        assert!(matches!(
            Config::from_env(vars(&insecure)),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
