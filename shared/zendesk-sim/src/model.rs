//! The simulator's public input/output types (besides the Zendesk wire types it serves).

use zsync_mapping::zendesk::{TicketPriority, TicketStatus, TicketType};

/// A ticket added directly to the account (as if an end-user or agent created it in Zendesk).
#[derive(Clone, Debug, Default)]
pub struct NewTicket {
    pub subject: String,
    /// Becomes the description and the first public comment, authored by the submitter.
    pub description: String,
    pub requester_id: u64,
    /// Defaults to the requester.
    pub submitter_id: Option<u64>,
    pub assignee_id: Option<u64>,
    /// Defaults to `new` without an assignee, `open` with one.
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<TicketType>,
    pub external_id: Option<String>,
    pub recipient: Option<String>,
    pub collaborator_ids: Vec<u64>,
    pub problem_id: Option<u64>,
    pub tags: Vec<String>,
}

/// An agent-side change in Zendesk. `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct TicketChange {
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub subject: Option<String>,
    pub assignee_id: Option<u64>,
    pub ticket_type: Option<TicketType>,
    pub collaborator_ids: Option<Vec<u64>>,
    pub tags: Option<Vec<String>>,
    /// Adds a comment: (body, public).
    pub comment: Option<(String, bool)>,
    /// The agent making the change (author of the comment); defaults to the assignee, else the
    /// first agent or admin of the account.
    pub author_id: Option<u64>,
}

/// Deterministic generator input for a large account.
#[derive(Clone, Debug)]
pub struct SeedSpec {
    pub tickets: usize,
    /// End-users (requesters); some have no e-mail, as in real accounts.
    pub users: usize,
    /// Agents (assignees); the first one is an admin.
    pub agents: usize,
    /// Comments per ticket, the description included (at least 1).
    pub comments_per_ticket: usize,
    pub seed: u64,
}

impl Default for SeedSpec {
    fn default() -> Self {
        Self {
            tickets: 100,
            users: 50,
            agents: 5,
            comments_per_ticket: 3,
            seed: 1,
        }
    }
}

/// What [`crate::Simulator::seed`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSummary {
    pub ticket_ids: Vec<u64>,
    pub end_user_ids: Vec<u64>,
    pub agent_ids: Vec<u64>,
    pub comments: usize,
}

/// One webhook delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub webhook_id: String,
    pub endpoint: String,
    /// e.g. `zen:event-type:ticket.status_changed`.
    pub event_type: String,
    pub ticket_id: u64,
    /// The event id in the body (dedupe key for the receiver).
    pub event_id: String,
    /// 1 for the first attempt; retries of the same event keep its `event_id`.
    pub attempt: u32,
    /// HTTP status of the receiver's answer; `None` when the request failed.
    pub status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind the simulator: {0}")]
    Bind(#[source] std::io::Error),
    #[error("the simulator binds loopback addresses only, not {0}")]
    NotLoopback(std::net::SocketAddr),
    #[error("cannot build the webhook HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("ticket {0} does not exist")]
    TicketNotFound(u64),
    #[error("ticket {0} is closed and cannot be updated")]
    TicketClosed(u64),
    #[error("comment {comment} does not exist on ticket {ticket}")]
    CommentNotFound { ticket: u64, comment: u64 },
    #[error("user {0} does not exist")]
    UserNotFound(u64),
}
