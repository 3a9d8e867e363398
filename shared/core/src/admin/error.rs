//! What an admin/API flow can fail with. Each variant maps to one HTTP status in the API crate;
//! messages are sentences for the caller and never carry a secret.

use zsync_mapping::settings::{FieldError, FieldErrors};

use crate::ports::{QueueError, SecretError, StoreError, ZendeskError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request is well-formed JSON but some fields are invalid (400).
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The caller is known but may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// The resource's state does not allow this (409), e.g. publishing a linked case.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Zendesk refused the integration's credentials (activation).
    #[error("Zendesk did not accept the integration's API e-mail and token: {0}")]
    CredentialsRejected(String),
    /// Zendesk answered with an error or not at all.
    #[error(transparent)]
    Zendesk(#[from] ZendeskError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

pub type AdminResult<T> = Result<T, AdminError>;

impl AdminError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// One invalid field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors(vec![FieldError {
            field,
            message: message.into(),
        }]))
    }
}

/// Collects field errors of one request so all are reported at once.
#[derive(Debug, Default)]
pub struct FieldCheck(Vec<FieldError>);

impl FieldCheck {
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// `Err` with every collected error, `Ok` if there were none.
    pub fn finish(self) -> AdminResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AdminError::Invalid(FieldErrors(self.0)))
        }
    }
}
