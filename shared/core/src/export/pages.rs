//! Turning export pages into queue messages (pure: no I/O).
//!
//! - Ticket export page → one `TicketSnapshot` per ticket with the sideloaded users it
//!   references (split by `split_to_fit` if ever too large; the export carries no comments).
//! - Ticket-events page → one `TicketComments` per ticket with the comments the page's audits
//!   added and their authors, split over several messages when too large; and one
//!   `TicketCommentsChanged` per ticket whose audits redacted a comment or changed its public
//!   flag (docs/sync-rules.md §3.3), which replaces that ticket's `TicketComments`: reading the
//!   ticket's comments again brings the new ones too.
//!
//! Anything that cannot fit in a queue message even alone is returned as a [`Skipped`] with
//! the reason, for the sync log: it is never silently dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zsync_mapping::zendesk::{Comment, TicketEvent, TicketExportPage, User};
use zsync_mapping::{IntegrationId, JobId, ZendeskId};

use crate::message::{MAX_MESSAGE_BYTES, SyncMessage};

/// A ticket whose data could not be put into a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub ticket_id: ZendeskId,
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct Messages {
    pub messages: Vec<SyncMessage>,
    pub skipped: Vec<Skipped>,
}

/// The people a ticket references (whose users the mapper needs to resolve it).
fn ticket_people(ticket: &zsync_mapping::zendesk::Ticket) -> Vec<ZendeskId> {
    let mut ids = ticket.collaborator_ids.clone();
    ids.extend(
        [ticket.requester_id, ticket.submitter_id, ticket.assignee_id]
            .into_iter()
            .flatten(),
    );
    ids
}

pub(crate) fn ticket_snapshots(
    integration: &IntegrationId,
    job: Option<&JobId>,
    page: &TicketExportPage,
    max_bytes: usize,
) -> Messages {
    let users: HashMap<ZendeskId, &User> = page.users.iter().map(|u| (u.id, u)).collect();
    let mut out = Messages::default();
    for ticket in &page.tickets {
        let mut people = ticket_people(ticket);
        people.sort_unstable();
        people.dedup();
        let snapshot = SyncMessage::TicketSnapshot {
            integration_id: integration.clone(),
            job_id: job.cloned(),
            ticket: Box::new(ticket.clone()),
            users: people
                .iter()
                .filter_map(|id| users.get(id))
                .map(|u| (*u).clone())
                .collect(),
            comments: Vec::new(),
            part: None,
        };
        match snapshot.split_to_fit(max_bytes) {
            Ok(parts) => out.messages.extend(parts),
            Err(e) => out.skipped.push(Skipped {
                ticket_id: ticket.id,
                reason: format!("ticket snapshot does not fit in a queue message: {e}"),
            }),
        }
    }
    out
}

/// Tickets whose audits (not yet sent) changed comments they already had: redactions and
/// privacy changes, which carry no new text.
pub(crate) fn tickets_with_comment_changes<'a>(
    events: impl IntoIterator<Item = &'a TicketEvent>,
) -> BTreeSet<ZendeskId> {
    events
        .into_iter()
        .filter(|e| e.changes_comments())
        .map(|e| e.ticket_id)
        .collect()
}

/// One "read this ticket's comments again" per ticket, however many of its comments changed.
pub(crate) fn comment_rereads(
    integration: &IntegrationId,
    job: Option<&JobId>,
    tickets: &BTreeSet<ZendeskId>,
) -> Vec<SyncMessage> {
    tickets
        .iter()
        .map(|&ticket_id| SyncMessage::TicketCommentsChanged {
            integration_id: integration.clone(),
            job_id: job.cloned(),
            ticket_id,
        })
        .collect()
}

/// Of `messages` sent for an events page (the `TicketComments` and then one re-read per ticket of
/// `changed`), how many of each reached the queue: (`TicketComments`, re-reads). A changed
/// ticket has no `TicketComments`, so its unsent message is its re-read.
pub(crate) fn sent_counts(
    messages: usize,
    changed: &BTreeSet<ZendeskId>,
    unsent: &[Skipped],
) -> (u64, u64) {
    let unsent_rereads = unsent
        .iter()
        .filter(|s| changed.contains(&s.ticket_id))
        .count();
    let comments = messages.saturating_sub(changed.len());
    let sent_comments = comments.saturating_sub(unsent.len() - unsent_rereads);
    let sent_rereads = changed.len().saturating_sub(unsent_rereads);
    (sent_comments as u64, sent_rereads as u64)
}

/// Comments per ticket, in page order, from the audits not yet sent.
pub(crate) fn comments_by_ticket<'a>(
    events: impl IntoIterator<Item = &'a TicketEvent>,
) -> BTreeMap<ZendeskId, Vec<Comment>> {
    let mut by_ticket: BTreeMap<ZendeskId, Vec<Comment>> = BTreeMap::new();
    for event in events {
        let comments: Vec<Comment> = event.comments().collect();
        if !comments.is_empty() {
            by_ticket
                .entry(event.ticket_id)
                .or_default()
                .extend(comments);
        }
    }
    by_ticket
}

/// Authors of the comments, for the user look-up.
pub(crate) fn authors(by_ticket: &BTreeMap<ZendeskId, Vec<Comment>>) -> Vec<ZendeskId> {
    let mut ids: Vec<ZendeskId> = by_ticket
        .values()
        .flatten()
        .filter_map(|c| c.author_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn comment_messages(
    integration: &IntegrationId,
    job: Option<&JobId>,
    by_ticket: BTreeMap<ZendeskId, Vec<Comment>>,
    users: &HashMap<ZendeskId, User>,
    max_bytes: usize,
) -> Messages {
    let mut out = Messages::default();
    for (ticket_id, comments) in by_ticket {
        let build = |comments: &[Comment]| {
            let mut authors: Vec<ZendeskId> = comments.iter().filter_map(|c| c.author_id).collect();
            authors.sort_unstable();
            authors.dedup();
            SyncMessage::TicketComments {
                integration_id: integration.clone(),
                job_id: job.cloned(),
                ticket_id,
                comments: comments.to_vec(),
                users: authors
                    .iter()
                    .filter_map(|id| users.get(id))
                    .cloned()
                    .collect(),
            }
        };
        // Halve until every piece fits; a lone comment that does not fit is reported.
        let mut pending: Vec<&[Comment]> = vec![&comments];
        while let Some(chunk) = pending.pop() {
            let message = build(chunk);
            let bytes = message.encode().len();
            if bytes <= max_bytes {
                out.messages.push(message);
            } else if chunk.len() > 1 {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                // Popped last-in first-out: push the second half first to keep comment order.
                pending.push(b);
                pending.push(a);
            } else {
                let id = chunk.first().map_or(0, |c| c.id);
                out.skipped.push(Skipped {
                    ticket_id,
                    reason: format!(
                        "comment {id} needs {bytes} bytes, over the queue message limit of {max_bytes}"
                    ),
                });
            }
        }
    }
    out
}

/// The queue's limit, for callers that do not test smaller ones.
pub(crate) const MESSAGE_LIMIT: usize = MAX_MESSAGE_BYTES;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: u64, ticket: u64, comments: &[(u64, u64, &str)]) -> TicketEvent {
        let children: Vec<_> = comments
            .iter()
            .map(|(cid, author, body)| {
                json!({"id": cid, "event_type": "Comment", "author_id": author, "body": body, "public": true})
            })
            .chain([json!({"id": 1, "event_type": "Change", "field_name": "status"})])
            .collect();
        serde_json::from_value(json!({
            "id": id, "ticket_id": ticket, "timestamp": 100, "child_events": children
        }))
        .unwrap()
    }

    fn user(id: u64) -> User {
        serde_json::from_value(json!({"id": id, "name": format!("u{id}")})).unwrap()
    }

    #[test]
    fn snapshots_carry_only_the_users_their_ticket_references() {
        let page: TicketExportPage = serde_json::from_value(json!({
            "tickets": [
                {"id": 1, "requester_id": 10, "assignee_id": 20, "collaborator_ids": [30]},
                {"id": 2, "requester_id": 11}
            ],
            "users": [{"id": 10}, {"id": 11}, {"id": 20}, {"id": 30}, {"id": 99}],
            "after_cursor": "c", "end_of_stream": true
        }))
        .unwrap();
        let out = ticket_snapshots(&IntegrationId::from("i"), None, &page, MESSAGE_LIMIT);
        assert!(out.skipped.is_empty());
        let users: Vec<Vec<u64>> = out
            .messages
            .iter()
            .map(|m| match m {
                SyncMessage::TicketSnapshot { users, .. } => users.iter().map(|u| u.id).collect(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(users, vec![vec![10, 20, 30], vec![11]]);
    }

    #[test]
    fn comments_are_grouped_per_ticket_with_their_authors() {
        let events = [
            event(1, 7, &[(100, 10, "a")]),
            event(2, 8, &[]),
            event(3, 7, &[(101, 11, "b")]),
        ];
        let by_ticket = comments_by_ticket(&events);
        assert_eq!(
            by_ticket.len(),
            1,
            "audits without comments make no message"
        );
        assert_eq!(authors(&by_ticket), vec![10, 11]);
        let users = HashMap::from([(10, user(10)), (11, user(11))]);
        let out = comment_messages(
            &IntegrationId::from("i"),
            None,
            by_ticket,
            &users,
            MESSAGE_LIMIT,
        );
        let [
            SyncMessage::TicketComments {
                ticket_id,
                comments,
                users,
                ..
            },
        ] = out.messages.as_slice()
        else {
            panic!("{:?}", out.messages)
        };
        assert_eq!(*ticket_id, 7);
        assert_eq!(
            comments.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![100, 101]
        );
        assert_eq!(users.len(), 2);
    }

    #[test]
    fn a_ticket_with_changed_comments_is_read_again_once() {
        let change = |id: u64, ticket: u64, kind: &str| -> TicketEvent {
            serde_json::from_value(json!({
                "id": id, "ticket_id": ticket, "timestamp": 100,
                "child_events": [{"id": id * 10, "event_type": kind, "comment_id": 5}]
            }))
            .unwrap()
        };
        let events = [
            event(1, 7, &[(100, 10, "a")]),
            change(2, 7, "CommentRedactionEvent"),
            change(3, 7, "CommentPrivacyChange"),
            change(4, 8, "AttachmentRedactionEvent"),
            event(5, 9, &[(101, 10, "b")]),
        ];
        let changed = tickets_with_comment_changes(&events);
        assert_eq!(changed, BTreeSet::from([7, 8]));
        let job = JobId::new("j");
        let messages = comment_rereads(&IntegrationId::from("i"), Some(&job), &changed);
        assert_eq!(
            messages,
            vec![
                SyncMessage::TicketCommentsChanged {
                    integration_id: IntegrationId::from("i"),
                    job_id: Some(job.clone()),
                    ticket_id: 7
                },
                SyncMessage::TicketCommentsChanged {
                    integration_id: IntegrationId::from("i"),
                    job_id: Some(job),
                    ticket_id: 8
                },
            ]
        );
    }

    #[test]
    fn sent_messages_are_counted_by_kind() {
        let changed = BTreeSet::from([7, 8]);
        let unsent = |ids: &[u64]| -> Vec<Skipped> {
            ids.iter()
                .map(|&ticket_id| Skipped {
                    ticket_id,
                    reason: "refused".into(),
                })
                .collect()
        };
        assert_eq!(sent_counts(5, &changed, &[]), (3, 2));
        assert_eq!(sent_counts(5, &changed, &unsent(&[8])), (3, 1));
        assert_eq!(sent_counts(5, &changed, &unsent(&[1, 2, 7])), (1, 1));
        assert_eq!(sent_counts(0, &BTreeSet::new(), &[]), (0, 0));
    }

    #[test]
    fn large_comment_sets_are_split_in_order_and_a_lone_oversized_comment_is_reported() {
        let big = "x".repeat(3_000);
        let huge = "y".repeat(20_000);
        let events = [
            event(1, 7, &[(100, 10, &big), (101, 10, &big), (102, 10, &big)]),
            event(2, 7, &[(103, 10, &big), (104, 10, &huge)]),
        ];
        let users = HashMap::from([(10, user(10))]);
        let out = comment_messages(
            &IntegrationId::from("i"),
            None,
            comments_by_ticket(&events),
            &users,
            8_000,
        );
        let mut sent = Vec::new();
        for m in &out.messages {
            assert!(m.encode().len() <= 8_000);
            if let SyncMessage::TicketComments {
                comments, users, ..
            } = m
            {
                assert_eq!(users.len(), 1, "each part carries its authors");
                sent.extend(comments.iter().map(|c| c.id));
            }
        }
        assert_eq!(sent, vec![100, 101, 102, 103]);
        assert_eq!(out.skipped.len(), 1);
        assert!(
            out.skipped[0].reason.contains("comment 104"),
            "{:?}",
            out.skipped
        );
    }
}
