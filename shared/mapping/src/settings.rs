//! Integration settings as the admin sends them (docs/sync-rules.md §2), and their validation into
//! values the service can store. Every problem is reported at once, per field, so the API can
//! answer 400 naming the field(s).
//!
//! Inputs keep every field optional so that a missing required field is a field error ("owner_id:
//! is required") rather than an opaque decode error; unknown fields are refused by serde with the
//! field named. `api_token` is a `SecretString`: redacted in `Debug`, never serialised back.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{Integration, IntegrationId, SyncPriority, Timestamp, UserId};
use crate::email::parse_email;
use crate::integration_url::normalize_integration_url;

/// Deployment-wide rules for settings (not per request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettingsPolicy {
    /// Accept `http://` and non-zendesk.com hosts (local runs against a simulator).
    pub allow_insecure_urls: bool,
}

/// `POST /integrations` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    #[serde(rename = "type")]
    pub integration_type: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub api_email: Option<String>,
    pub api_token: Option<SecretString>,
    pub default_zendesk_user_email: Option<String>,
    pub owner_id: Option<UserId>,
    pub two_way_sync: Option<bool>,
    /// Kept as text so a bad value is a field error, not a decode error.
    pub sync_priority: Option<String>,
}

/// `PATCH /integrations/{id}` body: absent fields stay as they are. The two optional settings
/// distinguish absent (unchanged) from `null` (cleared).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationPatch {
    #[serde(rename = "type")]
    pub integration_type: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub api_email: Option<String>,
    /// A new token replaces the stored one; absent keeps it.
    pub api_token: Option<SecretString>,
    #[serde(default, deserialize_with = "present")]
    pub default_zendesk_user_email: Option<Option<String>>,
    pub owner_id: Option<UserId>,
    pub two_way_sync: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub sync_priority: Option<Option<String>>,
}

/// A present field, possibly `null`: `Some(None)` is an explicit `null`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// One invalid field: its name as in the request and a sentence about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// All invalid fields of one request (never empty when returned as an error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|e| e.field)
    }

    fn push(&mut self, field: &'static str, message: impl ToString) {
        self.0.push(FieldError {
            field,
            message: message.to_string(),
        });
    }
}

/// Settings that passed validation, normalised (trimmed name, canonical URL, lower-case e-mails).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSettings {
    pub name: String,
    pub url: String,
    pub api_email: String,
    pub default_zendesk_user_email: Option<String>,
    pub owner_id: UserId,
    pub two_way_sync: bool,
    /// Kept when two-way sync is turned off, so turning it back on restores the choice.
    pub sync_priority: Option<SyncPriority>,
}

impl ValidSettings {
    /// A new integration: inactive, token set (the caller stores the token in the secret store).
    pub fn into_new_integration(self, id: IntegrationId, now: Timestamp) -> Integration {
        Integration {
            id,
            name: self.name,
            url: self.url,
            api_email: self.api_email,
            api_token_set: true,
            default_zendesk_user_email: self.default_zendesk_user_email,
            owner_id: self.owner_id,
            two_way_sync: self.two_way_sync,
            sync_priority: self.sync_priority,
            active: false,
            webhook_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Writes the settings over a stored integration; `active`, the webhook and ids stay.
    pub fn apply_to(self, integration: &mut Integration, now: Timestamp) {
        integration.name = self.name;
        integration.url = self.url;
        integration.api_email = self.api_email;
        integration.default_zendesk_user_email = self.default_zendesk_user_email;
        integration.owner_id = self.owner_id;
        integration.two_way_sync = self.two_way_sync;
        integration.sync_priority = self.sync_priority;
        integration.updated_at = now;
    }
}

/// A validated create: settings plus the token for the secret store.
#[derive(Debug)]
pub struct NewIntegrationSettings {
    pub settings: ValidSettings,
    pub api_token: SecretString,
}

/// A validated edit: the full resulting settings plus a replacement token, if one was sent.
#[derive(Debug)]
pub struct EditedIntegrationSettings {
    pub settings: ValidSettings,
    pub api_token: Option<SecretString>,
}

pub fn validate_create(
    input: IntegrationSettings,
    policy: SettingsPolicy,
) -> Result<NewIntegrationSettings, FieldErrors> {
    let mut errors = FieldErrors(Vec::new());
    let IntegrationSettings {
        integration_type,
        name,
        url,
        api_email,
        api_token,
        default_zendesk_user_email,
        owner_id,
        two_way_sync,
        sync_priority,
    } = input;

    check_type(integration_type.as_deref(), true, &mut errors);
    let name = required("name", name, &mut errors).and_then(|n| check_name(&n, &mut errors));
    let url = required("url", url, &mut errors).and_then(|u| check_url(&u, policy, &mut errors));
    let api_email = required("api_email", api_email, &mut errors)
        .and_then(|e| check_email("api_email", &e, &mut errors));
    let api_token = match api_token {
        Some(t) if !t.expose_secret().trim().is_empty() => Some(t),
        Some(_) => {
            errors.push("api_token", "must not be empty");
            None
        }
        None => {
            errors.push("api_token", "is required");
            None
        }
    };
    let default_email = check_optional_email(default_zendesk_user_email, &mut errors);
    let owner_id = check_owner(owner_id, &mut errors);
    let two_way_sync = two_way_sync.unwrap_or(false);
    let sync_priority = check_priority(sync_priority.as_deref(), two_way_sync, &mut errors);

    match (
        name,
        url,
        api_email,
        api_token,
        owner_id,
        errors.0.is_empty(),
    ) {
        (Some(name), Some(url), Some(api_email), Some(api_token), Some(owner_id), true) => {
            Ok(NewIntegrationSettings {
                settings: ValidSettings {
                    name,
                    url,
                    api_email,
                    default_zendesk_user_email: default_email,
                    owner_id,
                    two_way_sync,
                    sync_priority,
                },
                api_token,
            })
        }
        _ => Err(errors),
    }
}

/// Validates an edit against the stored integration. Only fields present in the patch are
/// re-checked (a stored URL stays valid even if the deployment's URL policy changed since);
/// the cross-field rule (priority required with two-way sync) is checked on the result.
pub fn validate_patch(
    current: &Integration,
    patch: IntegrationPatch,
    policy: SettingsPolicy,
) -> Result<EditedIntegrationSettings, FieldErrors> {
    let mut errors = FieldErrors(Vec::new());
    let IntegrationPatch {
        integration_type,
        name,
        url,
        api_email,
        api_token,
        default_zendesk_user_email,
        owner_id,
        two_way_sync,
        sync_priority,
    } = patch;

    check_type(integration_type.as_deref(), false, &mut errors);
    let name = match name {
        Some(n) => check_name(&n, &mut errors),
        None => Some(current.name.clone()),
    };
    let url = match url {
        Some(u) => check_url(&u, policy, &mut errors),
        None => Some(current.url.clone()),
    };
    let api_email = match api_email {
        Some(e) => check_email("api_email", &e, &mut errors),
        None => Some(current.api_email.clone()),
    };
    let api_token = match api_token {
        Some(t) if t.expose_secret().trim().is_empty() => {
            errors.push("api_token", "must not be empty");
            None
        }
        other => other,
    };
    let default_email = match default_zendesk_user_email {
        Some(value) => check_optional_email(value, &mut errors),
        None => current.default_zendesk_user_email.clone(),
    };
    let owner_id = match owner_id {
        Some(o) => check_owner(Some(o), &mut errors),
        None => Some(current.owner_id.clone()),
    };
    let two_way_sync = two_way_sync.unwrap_or(current.two_way_sync);
    let sync_priority = match sync_priority {
        Some(value) => check_priority(value.as_deref(), two_way_sync, &mut errors),
        None => {
            let kept = current.sync_priority;
            if two_way_sync && kept.is_none() {
                errors.push("sync_priority", "is required when two_way_sync is on");
            }
            kept
        }
    };

    match (name, url, api_email, owner_id, errors.0.is_empty()) {
        (Some(name), Some(url), Some(api_email), Some(owner_id), true) => {
            Ok(EditedIntegrationSettings {
                settings: ValidSettings {
                    name,
                    url,
                    api_email,
                    default_zendesk_user_email: default_email,
                    owner_id,
                    two_way_sync,
                    sync_priority,
                },
                api_token,
            })
        }
        _ => Err(errors),
    }
}

fn required(
    field: &'static str,
    value: Option<String>,
    errors: &mut FieldErrors,
) -> Option<String> {
    if value.is_none() {
        errors.push(field, "is required");
    }
    value
}

fn check_type(value: Option<&str>, required: bool, errors: &mut FieldErrors) {
    match value {
        Some("zendesk") => {}
        Some(_) => errors.push("type", "must be \"zendesk\""),
        None if required => errors.push("type", "is required"),
        None => {}
    }
}

fn check_name(raw: &str, errors: &mut FieldErrors) -> Option<String> {
    let name = raw.trim();
    if name.is_empty() {
        errors.push("name", "must not be empty");
        return None;
    }
    if name.chars().count() > 255 {
        errors.push("name", "must be at most 255 characters");
        return None;
    }
    Some(name.to_owned())
}

fn check_url(raw: &str, policy: SettingsPolicy, errors: &mut FieldErrors) -> Option<String> {
    normalize_integration_url(raw, policy.allow_insecure_urls)
        .map_err(|e| errors.push("url", e))
        .ok()
}

fn check_email(field: &'static str, raw: &str, errors: &mut FieldErrors) -> Option<String> {
    parse_email(raw)
        .map_err(|e| errors.push(field, format!("{e} (not a valid e-mail address)")))
        .ok()
}

/// Absent, `null` and blank all mean "no default Zendesk user".
fn check_optional_email(value: Option<String>, errors: &mut FieldErrors) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    check_email("default_zendesk_user_email", &value, errors)
}

fn check_owner(value: Option<UserId>, errors: &mut FieldErrors) -> Option<UserId> {
    match value {
        Some(id) if !id.as_str().trim().is_empty() => Some(UserId::new(id.as_str().trim())),
        Some(_) => {
            errors.push("owner_id", "must not be empty");
            None
        }
        None => {
            errors.push("owner_id", "is required");
            None
        }
    }
}

fn check_priority(
    raw: Option<&str>,
    two_way: bool,
    errors: &mut FieldErrors,
) -> Option<SyncPriority> {
    match raw {
        Some("remote") => Some(SyncPriority::Remote),
        Some("local") => Some(SyncPriority::Local),
        Some(_) => {
            errors.push("sync_priority", "must be \"remote\" or \"local\"");
            None
        }
        None => {
            if two_way {
                errors.push("sync_priority", "is required when two_way_sync is on");
            }
            None
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
