//! What one export run of one integration did, and why it stopped.

use zsync_mapping::{IntegrationId, JobId};

use crate::ports::{QueueError, SecretError, StoreError, ZendeskError};

/// Why a run stopped. Every case but `Failed` leaves the stored cursor as the continuation, so
/// the next run picks up where this one left off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Both streams reached their end: everything Zendesk had is enqueued; the job succeeded.
    Complete,
    /// Too little time left for another page before the deadline.
    Deadline,
    /// Another run holds this integration's export lease.
    Busy,
    /// The integration is unknown or not active.
    Inactive,
    /// The lease was lost or the cursor changed under this run (e.g. a full sync was
    /// scheduled meanwhile); the next run continues from what is stored.
    Interrupted(String),
    /// Zendesk rate limits, or a failure that may heal (Zendesk, store, queue, secrets).
    Paused(String),
    /// A permanent failure (credentials, a refused request): the job failed with this message.
    Failed(String),
}

/// One integration's part of an export run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationRun {
    pub integration_id: IntegrationId,
    /// The job the run worked for (none when there was nothing to do).
    pub job_id: Option<JobId>,
    pub ticket_pages: u32,
    pub event_pages: u32,
    /// Tickets whose snapshot was enqueued.
    pub tickets_enqueued: u64,
    /// `TicketComments` messages enqueued.
    pub comment_messages: u64,
    /// `TicketCommentsChanged` messages enqueued: tickets whose comments are read again.
    pub comment_rereads: u64,
    pub end: RunEnd,
}

impl IntegrationRun {
    pub(crate) fn new(integration_id: IntegrationId) -> Self {
        Self {
            integration_id,
            job_id: None,
            ticket_pages: 0,
            event_pages: 0,
            tickets_enqueued: 0,
            comment_messages: 0,
            comment_rereads: 0,
            end: RunEnd::Complete,
        }
    }
}

/// Why a run stops early (internal; becomes a [`RunEnd`]).
#[derive(Debug)]
pub(crate) enum Stop {
    Deadline,
    Interrupted(String),
    Paused(String),
    Failed(String),
}

impl Stop {
    pub(crate) fn into_end(self) -> RunEnd {
        match self {
            Self::Deadline => RunEnd::Deadline,
            Self::Interrupted(m) => RunEnd::Interrupted(m),
            Self::Paused(m) => RunEnd::Paused(m),
            Self::Failed(m) => RunEnd::Failed(m),
        }
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { .. } => Self::Interrupted(e.to_string()),
            StoreError::Corrupt { .. } => Self::Failed(e.to_string()),
            _ => Self::Paused(e.to_string()),
        }
    }
}

impl From<QueueError> for Stop {
    fn from(e: QueueError) -> Self {
        Self::Paused(format!("could not enqueue: {e}"))
    }
}

impl From<SecretError> for Stop {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::InvalidName(_) => Self::Failed(e.to_string()),
            SecretError::Unavailable(_) => Self::Paused(e.to_string()),
        }
    }
}

impl From<ZendeskError> for Stop {
    fn from(e: ZendeskError) -> Self {
        if e.is_retryable() {
            Self::Paused(e.to_string())
        } else {
            Self::Failed(e.to_string())
        }
    }
}
