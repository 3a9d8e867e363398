//! The Zendesk port: every call the sync flows make to a Zendesk account. The production
//! adapter is `zsync-zendesk` (reqwest); tests run it against `zsync-zendesk-sim`.
//!
//! A [`ZendeskConnector`] is built once per process (one HTTP connection pool, shared rate
//! budgets) and hands out cheap per-integration [`ZendeskApi`] handles.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use zsync_mapping::zendesk::{
    Comment, Ticket, TicketEnvelope, TicketEventPage, TicketExportPage, TicketPriority,
    TicketStatus, TicketType, User, Webhook,
};
use zsync_mapping::{IntegrationId, Timestamp, ZendeskId};

/// What went wrong talking to Zendesk. No variant ever carries the API token or request
/// headers; `endpoint` is the method and path, e.g. `PUT /api/v2/tickets/123.json` (no query).
#[derive(Debug, thiserror::Error)]
pub enum ZendeskError {
    /// 422 "closed prevents ticket update": record it, never retry (docs/sync-rules.md §4).
    #[error("Zendesk ticket {ticket_id} is closed and cannot be updated")]
    ClosedTicket { ticket_id: ZendeskId },
    #[error("not found in Zendesk: {endpoint}")]
    NotFound { endpoint: String },
    /// 409: the ticket changed since `updated_stamp` (safe update) or a concurrent write won.
    #[error("conflict at {endpoint}: {summary}")]
    Conflict { endpoint: String, summary: String },
    /// Still rate limited after waiting as long as the client is allowed to.
    #[error("rate limited by Zendesk at {endpoint}; retry after {retry_after:?}")]
    RateLimited {
        endpoint: String,
        retry_after: Duration,
    },
    /// 401/403, or a token Zendesk treats as the anonymous user.
    #[error("Zendesk refused the credentials at {endpoint}: {reason}")]
    Auth { endpoint: String, reason: String },
    /// 5xx, timeout or connection failure (after the client's own retries).
    #[error("Zendesk unavailable at {endpoint}: {reason}")]
    Transient { endpoint: String, reason: String },
    /// Any other 4xx, with Zendesk's error summary.
    #[error("Zendesk rejected {endpoint} (HTTP {status}): {summary}")]
    Invalid {
        endpoint: String,
        status: u16,
        summary: String,
    },
    /// A success status with a body that is not what the endpoint returns.
    #[error("could not decode Zendesk's answer to {endpoint}: {reason}")]
    Decode { endpoint: String, reason: String },
}

impl ZendeskError {
    /// Worth trying again later (by the queue), as opposed to a permanent refusal.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient { .. })
    }
}

pub type ZendeskResult<T> = Result<T, ZendeskError>;

/// One Zendesk account as an integration reaches it. The token is write-only: redacted in
/// Debug, only exposed to build the Authorization header.
#[derive(Clone, Debug)]
pub struct ZendeskAccount {
    /// For tracing spans only.
    pub integration_id: IntegrationId,
    /// `https://<sub>.zendesk.com` (or a simulator's URL where the deployment allows it).
    pub base_url: String,
    pub api_email: String,
    pub api_token: SecretString,
}

/// A ticket's comments and the users who wrote them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TicketComments {
    pub comments: Vec<Comment>,
    pub users: Vec<User>,
}

/// Where an incremental ticket export (re)starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportFrom {
    /// First request: Unix seconds (0 = the beginning).
    StartTime(i64),
    /// Every later request: the previous page's `after_cursor` (also after `end_of_stream`).
    Cursor(String),
}

/// Who requests a new ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requester {
    Id(ZendeskId),
    /// An existing user's e-mail, or a new end-user Zendesk creates.
    Email(String),
    /// A new end-user with a name (Zendesk creates them if the e-mail is unknown).
    Named {
        name: String,
        email: String,
    },
}

/// A comment to add to a ticket (the description is a new ticket's first comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewComment {
    pub body: String,
    pub public: bool,
    /// Defaults to the API user.
    pub author_id: Option<ZendeskId>,
}

/// `POST /api/v2/tickets`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTicket {
    pub subject: String,
    /// Becomes the description.
    pub comment: NewComment,
    pub requester: Option<Requester>,
    pub assignee_id: Option<ZendeskId>,
    pub priority: Option<TicketPriority>,
    pub status: Option<TicketStatus>,
    pub ticket_type: Option<TicketType>,
    /// The CRM case id: lets a retried publish find its earlier attempt.
    pub external_id: Option<String>,
}

/// Only the fields that changed; `None` leaves the Zendesk value alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TicketChanges {
    pub subject: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub assignee_id: Option<ZendeskId>,
    pub comment: Option<NewComment>,
}

impl TicketChanges {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A Zendesk end-user to find or create (`users/create_or_update`, matched by e-mail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEndUser {
    pub name: String,
    pub email: String,
}

/// A webhook subscribed to Zendesk ticket events, pointed at this deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    pub name: String,
    pub endpoint: String,
    pub subscriptions: Vec<String>,
}

/// The ticket event types the service subscribes to. `comment_redacted` and
/// `comment_made_private` bring redactions and privacy changes (docs/sync-rules.md §3.3; event
/// names from Zendesk's webhook "Ticket events" reference,
/// developer.zendesk.com/api-reference/webhooks/event-types/ticket-events).
pub const TICKET_EVENT_SUBSCRIPTIONS: &[&str] = &[
    "zen:event-type:ticket.created",
    "zen:event-type:ticket.status_changed",
    "zen:event-type:ticket.priority_changed",
    "zen:event-type:ticket.subject_changed",
    "zen:event-type:ticket.agent_assignment_changed",
    "zen:event-type:ticket.comment_added",
    "zen:event-type:ticket.comment_redacted",
    "zen:event-type:ticket.comment_made_private",
    "zen:event-type:ticket.soft_deleted",
];

/// One Zendesk account. Every call is bounded: it retries transient failures and waits out
/// rate limits within the adapter's limits, then returns an error.
#[async_trait]
pub trait ZendeskApi: Send + Sync + std::fmt::Debug {
    /// `GET users/me`: the API user, or [`ZendeskError::Auth`] for a bad token (Zendesk answers
    /// a bad token with 200 and an anonymous user).
    async fn current_user(&self) -> ZendeskResult<User>;

    /// One page of the cursor-based incremental ticket export, with sideloaded users.
    async fn export_tickets(&self, from: &ExportFrom) -> ZendeskResult<TicketExportPage>;

    /// One page of the time-based ticket-events export with comment events; continue with
    /// the page's `end_time` until `end_of_stream`.
    async fn export_ticket_events(&self, start_time: i64) -> ZendeskResult<TicketEventPage>;

    /// All comments of one ticket, oldest first (cursor pages, bounded), with their authors
    /// sideloaded (`include=users`), so applying them needs no further user look-up.
    async fn ticket_comments(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketComments>;

    /// One ticket with its users sideloaded.
    async fn show_ticket(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketEnvelope>;

    /// Tickets by id (any number; sent in chunks). Unknown ids are simply absent.
    async fn show_tickets(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<Ticket>>;

    async fn create_ticket(&self, ticket: &NewTicket) -> ZendeskResult<Ticket>;

    /// Applies only `changes`, as a safe update: fails with [`ZendeskError::Conflict`] if the
    /// ticket changed after `updated_stamp`, [`ZendeskError::ClosedTicket`] if it is closed.
    async fn update_ticket(
        &self,
        ticket_id: ZendeskId,
        changes: &TicketChanges,
        updated_stamp: Timestamp,
    ) -> ZendeskResult<Ticket>;

    /// Adds one comment (a ticket update carrying only the comment).
    async fn add_comment(
        &self,
        ticket_id: ZendeskId,
        comment: &NewComment,
    ) -> ZendeskResult<Ticket>;

    /// Tickets whose `external_id` is exactly this, lowest id first.
    async fn find_tickets_by_external_id(&self, external_id: &str) -> ZendeskResult<Vec<Ticket>>;

    /// Users by id (any number; sent in chunks). Unknown ids are simply absent.
    async fn show_users(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<User>>;

    /// The user whose e-mail is exactly this (case-insensitive), if any.
    async fn find_user_by_email(&self, email: &str) -> ZendeskResult<Option<User>>;

    /// Finds the end-user with this e-mail or creates them.
    async fn create_or_update_end_user(&self, user: &NewEndUser) -> ZendeskResult<User>;

    async fn create_webhook(&self, webhook: &NewWebhook) -> ZendeskResult<Webhook>;

    /// Deletes a webhook; an already deleted one is not an error.
    async fn delete_webhook(&self, webhook_id: &str) -> ZendeskResult<()>;

    async fn webhook_signing_secret(&self, webhook_id: &str) -> ZendeskResult<SecretString>;
}

/// Builds per-integration [`ZendeskApi`] handles from one shared HTTP client.
pub trait ZendeskConnector: Send + Sync {
    /// Fails with [`ZendeskError::Invalid`] for a base URL that cannot be used.
    fn connect(&self, account: ZendeskAccount) -> ZendeskResult<Arc<dyn ZendeskApi>>;
}
