//! What can stop a sync flow, and whether trying again later can help.

use zsync_mapping::IntegrationId;

use crate::ports::{SecretError, StoreError, ZendeskError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Zendesk(#[from] ZendeskError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("integration {0} has no API token in the secret store")]
    MissingToken(IntegrationId),
    /// Stored data contradicts itself (e.g. a ticket record whose case is gone).
    #[error("{0}")]
    Inconsistent(String),
    /// Concurrent writers kept winning; a later delivery will find a calmer store.
    #[error("gave up after {attempts} attempts: {what}")]
    Contended { attempts: u32, what: String },
}

impl SyncError {
    /// Worth redelivering: the cause may go away (outage, rate limit, contention, a token the
    /// admin fixes). Everything else fails the same way every time.
    pub fn can_heal(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Zendesk(e) => e.is_retryable() || matches!(e, ZendeskError::Auth { .. }),
            Self::Secret(e) => matches!(e, SecretError::Unavailable(_)),
            Self::MissingToken(_) | Self::Contended { .. } => true,
            Self::Inconsistent(_) => false,
        }
    }

    /// Zendesk is unavailable or rate limiting: a wait, no fault of the message. The least
    /// time to wait before trying again (zero when Zendesk named none).
    pub fn zendesk_wait(&self) -> Option<std::time::Duration> {
        match self {
            Self::Zendesk(ZendeskError::RateLimited { retry_after, .. }) => Some(*retry_after),
            Self::Zendesk(ZendeskError::Transient { .. }) => Some(std::time::Duration::ZERO),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_heal_refusals_do_not() {
        let unavailable = SyncError::Store(StoreError::Unavailable("throttled".into()));
        assert!(unavailable.can_heal());
        let corrupt = SyncError::Store(StoreError::Corrupt {
            entity: "case",
            key: "c1".into(),
            reason: "bad json".into(),
        });
        assert!(!corrupt.can_heal());
        let invalid = SyncError::Zendesk(ZendeskError::Invalid {
            endpoint: "PUT /api/v2/tickets/1.json".into(),
            status: 400,
            summary: "bad".into(),
        });
        assert!(!invalid.can_heal());
        let rate_limited = SyncError::Zendesk(ZendeskError::RateLimited {
            endpoint: "GET /api/v2/tickets/1.json".into(),
            retry_after: std::time::Duration::from_secs(3),
        });
        assert!(rate_limited.can_heal());
        assert!(!SyncError::Inconsistent("x".into()).can_heal());
    }
}
