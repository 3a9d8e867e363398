//! Zendesk tickets as the REST API, the exports and the simulator send them.

use serde::{Deserialize, Serialize};

use super::enums::{TicketPriority, TicketStatus, TicketType};
use super::lenient;
use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<TicketType>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub raw_subject: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    /// Absent only in malformed payloads; treated as `open` by the mapping.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub requester_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub submitter_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub assignee_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub organization_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub group_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub collaborator_ids: Vec<u64>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub problem_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub tags: Vec<String>,
    /// Seconds since the epoch of the last change of any kind (export ordering).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub generated_timestamp: Option<i64>,
}

impl Ticket {
    /// The moment this state of the ticket was produced, for "ignore older states"
    /// (docs/sync-rules.md §3.4). `generated_timestamp` moves on every change (also ones
    /// `updated_at` misses), so it wins.
    pub fn state_time(&self) -> Option<Timestamp> {
        let generated = self
            .generated_timestamp
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
        match (generated, self.updated_at) {
            (Some(g), Some(u)) => Some(g.max(u)),
            (g, u) => g.or(u),
        }
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.status, Some(TicketStatus::Deleted))
    }
}

/// `GET /tickets/{id}.json` and `POST /tickets.json` (with optional `include=users`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketEnvelope {
    pub ticket: Ticket,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub users: Vec<super::User>,
}

/// `GET /tickets/show_many.json` and searches by `external_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketList {
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub tickets: Vec<Ticket>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub users: Vec<super::User>,
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
}
