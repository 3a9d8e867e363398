//! [`SecretStore`] on AWS Secrets Manager. Names are the port's names under a deployment
//! prefix (e.g. `zendesk-sync/prod/`), validated so a name can never escape the prefix.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use secrecy::{ExposeSecret, SecretString};
use zsync_core::ports::{SecretError, SecretResult, SecretStore};

/// Secrets Manager's limit on a secret's name.
const MAX_NAME_LEN: usize = 512;

#[derive(Clone, Debug)]
pub struct SecretsManagerStore {
    client: Client,
    prefix: String,
}

impl SecretsManagerStore {
    /// `prefix` is prepended to every name as is (give it its trailing `/`); it must itself be
    /// a valid name part.
    pub fn new(client: Client, prefix: impl Into<String>) -> SecretResult<Self> {
        let prefix = prefix.into();
        if !prefix.is_empty() {
            check_chars(&prefix)?;
        }
        Ok(Self { client, prefix })
    }

    /// The full Secrets Manager name of `name`, or `InvalidName`.
    pub fn full_name(&self, name: &str) -> SecretResult<String> {
        let invalid = || SecretError::InvalidName(name.to_owned());
        if name.is_empty()
            || name.starts_with('/')
            || name.ends_with('/')
            || name.contains("//")
            || name.split('/').any(|part| part == ".." || part == ".")
        {
            return Err(invalid());
        }
        check_chars(name)?;
        let full = format!("{}{name}", self.prefix);
        if full.len() > MAX_NAME_LEN {
            return Err(invalid());
        }
        Ok(full)
    }
}

/// Secrets Manager allows letters, digits and `/_+=.@-`; we also refuse `..` anywhere.
fn check_chars(name: &str) -> SecretResult<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if !name.chars().all(allowed) || name.contains("..") {
        return Err(SecretError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// The SDK's errors name the operation and secret, never the value.
fn unavailable<E, R>(operation: &str, err: SdkError<E, R>) -> SecretError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    SecretError::Unavailable(format!(
        "Secrets Manager {operation}: {}",
        DisplayErrorContext(&err)
    ))
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn put(&self, name: &str, value: &SecretString) -> SecretResult<()> {
        let full = self.full_name(name)?;
        // Usually a replacement (re-activation): PutSecretValue first, create when missing.
        for _ in 0..2 {
            let put = self
                .client
                .put_secret_value()
                .secret_id(&full)
                .secret_string(value.expose_secret())
                .send()
                .await;
            match put {
                Ok(_) => return Ok(()),
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(PutSecretValueError::ResourceNotFoundException(_))
                    ) => {}
                Err(e) => return Err(unavailable("PutSecretValue", e)),
            }
            let create = self
                .client
                .create_secret()
                .name(&full)
                .secret_string(value.expose_secret())
                .send()
                .await;
            match create {
                Ok(_) => return Ok(()),
                // Created by a concurrent writer since: replace its value.
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(CreateSecretError::ResourceExistsException(_))
                    ) => {}
                Err(e) => return Err(unavailable("CreateSecret", e)),
            }
        }
        Err(SecretError::Unavailable(format!(
            "secret {full} kept appearing and disappearing"
        )))
    }

    async fn get(&self, name: &str) -> SecretResult<Option<SecretString>> {
        let full = self.full_name(name)?;
        match self.client.get_secret_value().secret_id(&full).send().await {
            Ok(out) => Ok(out.secret_string.map(SecretString::from)),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable("GetSecretValue", e)),
        }
    }

    async fn delete(&self, name: &str) -> SecretResult<()> {
        let full = self.full_name(name)?;
        let result = self
            .client
            .delete_secret()
            .secret_id(&full)
            .force_delete_without_recovery(true)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteSecretError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteSecret", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(prefix: &str) -> SecretResult<SecretsManagerStore> {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .build();
        SecretsManagerStore::new(Client::from_conf(config), prefix)
    }

    #[test]
    fn names_live_under_the_prefix() {
        let store = store_with("zendesk-sync/prod/").unwrap();
        assert_eq!(
            store.full_name("integrations/i-1/api-token").unwrap(),
            "zendesk-sync/prod/integrations/i-1/api-token"
        );
    }

    #[test]
    fn names_that_could_escape_or_are_malformed_are_refused() {
        let store = store_with("zendesk-sync/prod/").unwrap();
        for bad in [
            "",
            "../other/x",
            "a/../b",
            "a/./b",
            "/abs",
            "a//b",
            "a/",
            "a b",
            "a*b",
            "ü",
        ] {
            assert!(
                matches!(store.full_name(bad), Err(SecretError::InvalidName(_))),
                "{bad:?} was accepted"
            );
        }
        assert!(store.full_name(&"a".repeat(600)).is_err());
        assert!(matches!(
            store_with("x/../").map(|_| ()),
            Err(SecretError::InvalidName(_))
        ));
    }
}
