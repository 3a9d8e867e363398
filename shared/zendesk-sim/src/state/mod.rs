//! The simulated account: users, tickets, comments, audits and webhooks, kept in BTreeMaps
//! behind one mutex. Every mutation goes through here so timestamps, the export order, audits
//! and webhook events stay consistent.

mod comment_changes;
mod seed;
mod tickets;
mod webhook_events;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;
use zsync_mapping::zendesk::{Comment, Ticket, User, UserRole};

use crate::limits::{FaultState, RateState};
use crate::model::WebhookDelivery;

pub(crate) use comment_changes::CommentChangeError;
pub(crate) use tickets::{FieldUpdate, NewComment, UpdateError};
pub(crate) use webhook_events::OutgoingWebhook;

/// Basic-auth credentials of an API user (`email/token:TOKEN`).
pub(crate) struct Credential {
    pub email_lower: String,
    pub token: String,
    pub user_id: u64,
}

pub(crate) struct StoredTicket {
    pub ticket: Ticket,
    /// Position in the export order; moves to the end on every change.
    pub seq: u64,
    pub via_channel: String,
}

impl StoredTicket {
    pub fn export_key(&self) -> (i64, u64) {
        (self.ticket.generated_timestamp.unwrap_or(0), self.seq)
    }
}

/// One child event of an audit (the `ticket_events` export).
#[derive(Clone, Debug)]
pub(crate) enum AuditEvent {
    Create {
        field: &'static str,
        value: serde_json::Value,
    },
    Change {
        field: &'static str,
        value: serde_json::Value,
        previous: serde_json::Value,
    },
    Comment(Comment),
    /// An agent edited or redacted the comment with this id.
    CommentRedaction(u64),
    /// The comment with this id was made public or private.
    CommentPrivacyChange {
        comment_id: u64,
        public: bool,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Audit {
    pub id: u64,
    pub ticket_id: u64,
    pub timestamp: i64,
    pub updater_id: Option<u64>,
    pub via: String,
    pub events: Vec<AuditEvent>,
}

pub(crate) struct WebhookReg {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    pub status: String,
    pub subscriptions: Vec<String>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct State {
    pub base_url: String,
    pub account_id: u64,
    pub users: BTreeMap<u64, User>,
    pub credentials: Vec<Credential>,
    pub tickets: BTreeMap<u64, StoredTicket>,
    /// (generated_timestamp, seq) → ticket id: the cursor export's order.
    pub export_index: BTreeMap<(i64, u64), u64>,
    pub comments: BTreeMap<u64, Vec<Comment>>,
    /// (timestamp, audit id) → audit: the ticket-events export's order.
    pub audits: BTreeMap<(i64, u64), Audit>,
    pub webhooks: BTreeMap<String, WebhookReg>,
    pub next_user_id: u64,
    pub next_ticket_id: u64,
    pub next_comment_id: u64,
    pub next_audit_id: u64,
    pub next_seq: u64,
    pub next_webhook: u64,
    /// Latest timestamp handed out; time never goes backwards in the account.
    pub clock_max: i64,
    pub counts: BTreeMap<String, u64>,
    pub total_requests: u64,
    pub rate: RateState,
    pub faults: Option<FaultState>,
    pub deliveries: Vec<WebhookDelivery>,
    pub webhook_tx: Option<UnboundedSender<OutgoingWebhook>>,
}

pub(crate) fn ts_to_time(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

impl State {
    pub fn new(base_url: String, account_id: u64, rate: RateState) -> Self {
        Self {
            base_url,
            account_id,
            users: BTreeMap::new(),
            credentials: Vec::new(),
            tickets: BTreeMap::new(),
            export_index: BTreeMap::new(),
            comments: BTreeMap::new(),
            audits: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            next_user_id: 360_000_000_001,
            next_ticket_id: 1,
            next_comment_id: 900_000_000_001,
            next_audit_id: 800_000_000_001,
            next_seq: 1,
            next_webhook: 1,
            clock_max: 0,
            counts: BTreeMap::new(),
            total_requests: 0,
            rate,
            faults: None,
            deliveries: Vec::new(),
            webhook_tx: None,
        }
    }

    /// A timestamp for a change now: wall-clock seconds, never before `at_least` nor before
    /// anything handed out earlier (so every change sorts after every earlier cursor).
    pub fn tick(&mut self, at_least: i64) -> i64 {
        let ts = Utc::now().timestamp().max(self.clock_max).max(at_least);
        self.clock_max = ts;
        ts
    }

    pub fn add_user(
        &mut self,
        name: &str,
        email: Option<&str>,
        role: UserRole,
        created: Option<i64>,
    ) -> u64 {
        let id = self.next_user_id;
        self.next_user_id += 1;
        let at = created.unwrap_or_else(|| self.tick(0));
        let user = User {
            id,
            url: Some(format!("{}/api/v2/users/{id}.json", self.base_url)),
            name: name.to_owned(),
            email: email.map(|e| e.trim().to_owned()),
            role: Some(role),
            active: Some(true),
            phone: None,
            external_id: None,
            created_at: Some(ts_to_time(at)),
            updated_at: Some(ts_to_time(at)),
        };
        self.users.insert(id, user);
        id
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let wanted = email.trim().to_ascii_lowercase();
        self.users.values().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.to_ascii_lowercase() == wanted)
        })
    }

    /// The user behind Basic credentials `email/token:TOKEN`, if they match.
    pub fn authenticate(&self, email: &str, token: &str) -> Option<u64> {
        let email = email.trim().to_ascii_lowercase();
        self.credentials
            .iter()
            .find(|c| c.email_lower == email && constant_time_eq(&c.token, token))
            .map(|c| c.user_id)
    }

    /// Users referenced by the tickets (requester, submitter, assignee, collaborators), for
    /// `include=users` sideloads.
    pub fn users_of<'a>(&self, tickets: impl IntoIterator<Item = &'a Ticket>) -> Vec<User> {
        let mut ids = std::collections::BTreeSet::new();
        for t in tickets {
            ids.extend(t.requester_id);
            ids.extend(t.submitter_id);
            ids.extend(t.assignee_id);
            ids.extend(t.collaborator_ids.iter().copied());
        }
        ids.iter()
            .filter_map(|id| self.users.get(id).cloned())
            .collect()
    }

    /// First agent/admin: the default actor of agent-side changes.
    pub fn first_staff(&self) -> Option<u64> {
        self.users.values().find(|u| u.is_staff()).map(|u| u.id)
    }

    /// The comment as it is now (edits and redactions applied).
    pub fn current_comment(&self, ticket_id: u64, comment_id: u64) -> Option<&Comment> {
        self.comments
            .get(&ticket_id)?
            .iter()
            .find(|c| c.id == comment_id)
    }

    pub fn count_request(&mut self, endpoint: &str) {
        self.total_requests += 1;
        *self.counts.entry(endpoint.to_owned()).or_insert(0) += 1;
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
