//! The secret store port (API tokens, webhook signing secrets). Adapters: AWS Secrets Manager
//! and a local 0600 file. Values are `SecretString`: redacted in Debug, never logged.

use async_trait::async_trait;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret name {0:?} is not allowed")]
    InvalidName(String),
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
}

pub type SecretResult<T> = Result<T, SecretError>;

/// Names used for an integration's secrets.
pub fn api_token_name(integration: &str) -> String {
    format!("integrations/{integration}/api-token")
}

pub fn webhook_secret_name(integration: &str) -> String {
    format!("integrations/{integration}/webhook-secret")
}

#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Creates or replaces the secret.
    async fn put(&self, name: &str, value: &SecretString) -> SecretResult<()>;
    async fn get(&self, name: &str) -> SecretResult<Option<SecretString>>;
    /// Deletes the secret (idempotent).
    async fn delete(&self, name: &str) -> SecretResult<()>;

    /// Drops a cached copy of `name` because it was just refused (Zendesk answered 401, a
    /// webhook signature did not match): true when one was dropped, so the next `get` reads
    /// the store afresh and may see a rotated value. Stores that do not cache return false:
    /// every `get` already reads the store.
    fn invalidate(&self, _name: &str) -> bool {
        false
    }
}
