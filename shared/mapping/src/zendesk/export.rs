//! Incremental exports: tickets (cursor-based, and the older time-based shape) and ticket
//! events with comment events.

use serde::{Deserialize, Serialize};

use super::lenient;
use super::{Comment, Ticket, User};
use crate::domain::Timestamp;

/// One page of `incremental/tickets/cursor.json` (or the time-based `incremental/tickets.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketExportPage {
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub tickets: Vec<Ticket>,
    /// Sideloaded with `include=users`.
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub users: Vec<User>,
    /// Cursor for the next request; present also at `end_of_stream` (poll again with it later).
    #[serde(default)]
    pub after_cursor: Option<String>,
    #[serde(default)]
    pub after_url: Option<String>,
    #[serde(default)]
    pub before_cursor: Option<String>,
    #[serde(default)]
    pub end_of_stream: bool,
    /// Time-based exports only.
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub count: Option<u64>,
}

/// One audit of `incremental/ticket_events.json?include=comment_events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(deserialize_with = "lenient::id")]
    pub ticket_id: u64,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub updater_id: Option<u64>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub child_events: Vec<ChildEvent>,
}

/// A child event; only `Comment` events are read, everything else is kept opaque.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChildEvent {
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<u64>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub public: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub author_id: Option<u64>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

impl TicketEvent {
    /// The comments this audit added, as comments.
    pub fn comments(&self) -> impl Iterator<Item = Comment> + '_ {
        self.child_events
            .iter()
            .filter(|c| c.event_type.as_deref() == Some("Comment"))
            .filter_map(move |c| {
                Some(Comment {
                    id: c.id?,
                    author_id: c.author_id.or(self.updater_id),
                    body: c.body.clone().unwrap_or_default(),
                    plain_body: None,
                    public: c.public.unwrap_or(true),
                    created_at: c.created_at.or(self.created_at),
                })
            })
    }
}

/// One page of the ticket-events export (time-based).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketEventPage {
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub ticket_events: Vec<TicketEvent>,
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub end_of_stream: bool,
    #[serde(default)]
    pub count: Option<u64>,
}
