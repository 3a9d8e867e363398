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

/// Child events that change a comment already on the ticket: a redaction of its text or of
/// an attachment, and a change of its public flag (Zendesk's "Ticket Audit events reference",
/// developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference;
/// each names the comment in `comment_id`). They carry no new body, so the ticket's comments
/// are read again (docs/sync-rules.md §3.3).
pub const COMMENT_CHANGE_EVENTS: &[&str] = &[
    "CommentRedactionEvent",
    "AttachmentRedactionEvent",
    "CommentPrivacyChange",
];

/// A child event; `Comment` events are read as comments, comment changes
/// ([`COMMENT_CHANGE_EVENTS`]) by type, everything else is kept opaque.
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
    /// The comment a comment-change event is about.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub comment_id: Option<u64>,
}

impl TicketEvent {
    /// Whether this audit changed a comment the ticket already had (a redaction or a privacy
    /// change), so the ticket's comments must be read again.
    pub fn changes_comments(&self) -> bool {
        self.child_events.iter().any(|c| {
            c.event_type
                .as_deref()
                .is_some_and(|t| COMMENT_CHANGE_EVENTS.contains(&t))
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn audit(children: serde_json::Value) -> TicketEvent {
        serde_json::from_value(json!({
            "id": 1, "ticket_id": 7, "timestamp": 100, "updater_id": 3, "child_events": children
        }))
        .unwrap()
    }

    #[test]
    fn redactions_and_privacy_changes_mark_the_ticket_for_a_comment_read() {
        for kind in COMMENT_CHANGE_EVENTS {
            let event = audit(json!([{"id": 9, "event_type": kind, "comment_id": "42"}]));
            assert!(event.changes_comments(), "{kind}");
            assert_eq!(event.child_events[0].comment_id, Some(42));
            assert_eq!(event.comments().count(), 0, "{kind} adds no comment");
        }
    }

    #[test]
    fn new_comments_and_field_changes_do_not_mark_it() {
        let event = audit(json!([
            {"id": 9, "event_type": "Comment", "body": "hi", "public": false},
            {"id": 10, "event_type": "Change", "field_name": "status"},
            {"id": 11, "event_type": "SomethingNew", "comment_id": 5},
            {"id": 12}
        ]));
        assert!(!event.changes_comments());
        let comments: Vec<Comment> = event.comments().collect();
        assert_eq!(comments.len(), 1);
        assert_eq!((comments[0].id, comments[0].public), (9, false));
        assert_eq!(comments[0].author_id, Some(3), "the updater stands in");
    }
}
