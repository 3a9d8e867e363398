//! The sync queue's messages: a versioned, self-describing envelope
//! (`{"v":1,"kind":"…","body":{…}}`) so old and new code can share a queue during a deploy.
//! Encoded bodies hold only characters SQS accepts ([`queue_text`]), whatever the ticket says.

mod queue_text;

pub use queue_text::{first_refused_char, is_queue_char, lossy_queue_text};

use serde::{Deserialize, Serialize};
use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{CaseId, CommentId, IntegrationId, JobId};

pub const ENVELOPE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum SyncMessage {
    /// A ticket state from the export, with the people it references and its comments.
    TicketSnapshot {
        integration_id: IntegrationId,
        job_id: Option<JobId>,
        ticket: Box<Ticket>,
        users: Vec<User>,
        comments: Vec<Comment>,
        /// When split for size: this part's index and the number of parts.
        #[serde(default)]
        part: Option<(u32, u32)>,
    },
    /// Comments of one ticket from the bulk ticket-events export, with their authors. Applied
    /// to the ticket's case whether or not the case exists yet (derived case id), so this may
    /// arrive before or after the ticket's snapshot.
    TicketComments {
        integration_id: IntegrationId,
        job_id: Option<JobId>,
        ticket_id: u64,
        comments: Vec<Comment>,
        users: Vec<User>,
    },
    /// The ticket-events export saw existing comments of this ticket change (redacted, made
    /// private): read the ticket's comments again and update the case's (docs/sync-rules.md
    /// §3.3). One Zendesk request per ticket however many of its comments changed.
    TicketCommentsChanged {
        integration_id: IntegrationId,
        job_id: Option<JobId>,
        ticket_id: u64,
    },
    /// A webhook said this ticket changed: fetch it, then apply.
    TicketChanged {
        integration_id: IntegrationId,
        ticket_id: u64,
        event_id: Option<String>,
    },
    /// A CRM case changed (or was published): push its changed fields to Zendesk.
    CaseChanged {
        integration_id: IntegrationId,
        case_id: CaseId,
    },
    /// A new CRM comment on a linked case: add it to the Zendesk ticket.
    CommentAdded {
        integration_id: IntegrationId,
        case_id: CaseId,
        comment_id: CommentId,
    },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u32,
    #[serde(flatten)]
    message: SyncMessage,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a sync message: {0}")]
    Malformed(String),
    #[error("envelope version {0} is newer than this code understands ({ENVELOPE_VERSION})")]
    UnknownVersion(u32),
}

impl SyncMessage {
    pub fn integration_id(&self) -> &IntegrationId {
        match self {
            Self::TicketSnapshot { integration_id, .. }
            | Self::TicketComments { integration_id, .. }
            | Self::TicketCommentsChanged { integration_id, .. }
            | Self::TicketChanged { integration_id, .. }
            | Self::CaseChanged { integration_id, .. }
            | Self::CommentAdded { integration_id, .. } => integration_id,
        }
    }

    /// Encodes the message in its envelope: JSON with every character SQS refuses (U+FFFE,
    /// U+FFFF, C0 controls) written as a `\uXXXX` escape, which [`Self::decode`] restores.
    pub fn encode(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            v: u32,
            #[serde(flatten)]
            message: &'a SyncMessage,
        }
        // Serializing plain data with string keys cannot fail.
        queue_text::to_queue_json(&Out {
            v: ENVELOPE_VERSION,
            message: self,
        })
    }

    /// Decodes an envelope, refusing versions this code does not know.
    pub fn decode(raw: &str) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Probe {
            v: u32,
        }
        let probe: Probe =
            serde_json::from_str(raw).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if probe.v != ENVELOPE_VERSION {
            return Err(DecodeError::UnknownVersion(probe.v));
        }
        let env: Envelope =
            serde_json::from_str(raw).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        Ok(env.message)
    }
}

/// SQS's message size limit; also what the embedded queue accepts.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// A message that does not fit even after splitting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message needs {bytes} bytes, over the limit of {limit}")]
pub struct TooLarge {
    /// Size of the smallest piece that could not be made to fit.
    pub bytes: usize,
    pub limit: usize,
}

/// Encoded size as part of a message (escapes included: they count against the limit).
fn json_len<T: Serialize>(value: &T) -> usize {
    // Plain data always serialises; the parts' real encodings are checked at the end anyway.
    queue_text::to_queue_json(value).len()
}

impl SyncMessage {
    /// Returns the message as parts whose encodings are each at most `max_bytes`: itself when
    /// it fits; a ticket snapshot too large for one message is split by spreading its comments
    /// over parts (`part: Some((i, n))`, `i` from 1), each with the ticket and the users it
    /// needs (the ticket's people, its comments' authors, and users nothing references). Parts
    /// are independent: applying them in any order applies the whole snapshot. Never truncates:
    /// if one comment with the ticket cannot fit, or another kind of message is too large, the
    /// answer is [`TooLarge`].
    pub fn split_to_fit(&self, max_bytes: usize) -> Result<Vec<SyncMessage>, TooLarge> {
        let whole = self.encode().len();
        if whole <= max_bytes {
            return Ok(vec![self.clone()]);
        }
        let too_large = |bytes| TooLarge {
            bytes,
            limit: max_bytes,
        };
        let Self::TicketSnapshot {
            integration_id,
            job_id,
            ticket,
            users,
            comments,
            part: None,
        } = self
        else {
            return Err(too_large(whole));
        };
        let mut ticket_people: Vec<u64> = ticket.collaborator_ids.clone();
        ticket_people.extend(
            [ticket.requester_id, ticket.submitter_id, ticket.assignee_id]
                .into_iter()
                .flatten(),
        );
        let authors: Vec<u64> = comments.iter().filter_map(|c| c.author_id).collect();
        // Users every part carries; comment authors travel with their comments.
        let shared = |id: u64| ticket_people.contains(&id) || !authors.contains(&id);
        let part_of = |part_comments: Vec<Comment>, part| {
            let needed: Vec<u64> = part_comments.iter().filter_map(|c| c.author_id).collect();
            Self::TicketSnapshot {
                integration_id: integration_id.clone(),
                job_id: job_id.clone(),
                ticket: ticket.clone(),
                users: users
                    .iter()
                    .filter(|u| shared(u.id) || needed.contains(&u.id))
                    .cloned()
                    .collect(),
                comments: part_comments,
                part,
            }
        };
        // Sizes are computed with the widest part marker and a comma per list element, so
        // the estimate is never below the real encoding.
        let widest = Some((u32::MAX, u32::MAX));
        let base = part_of(Vec::new(), widest).encode().len();
        if base > max_bytes {
            return Err(too_large(base));
        }
        // What adding a comment to a part costs: the comment, and its author unless the part
        // already carries them.
        let cost = |comment: &Comment, carried: &[u64]| {
            let author = comment
                .author_id
                .filter(|id| !shared(*id) && !carried.contains(id))
                .map_or(0, |id| {
                    users
                        .iter()
                        .filter(|u| u.id == id)
                        .map(|u| json_len(u) + 1)
                        .sum()
                });
            json_len(comment) + 1 + author
        };
        let mut groups: Vec<Vec<Comment>> = Vec::new();
        let (mut current, mut size, mut carried) = (Vec::new(), base, Vec::<u64>::new());
        for comment in comments {
            let mut extra = cost(comment, &carried);
            if size + extra > max_bytes && !current.is_empty() {
                groups.push(std::mem::take(&mut current));
                (size, carried) = (base, Vec::new());
                extra = cost(comment, &carried);
            }
            if size + extra > max_bytes {
                return Err(too_large(size + extra));
            }
            size += extra;
            carried.extend(comment.author_id);
            current.push(comment.clone());
        }
        groups.push(current);
        let count = u32::try_from(groups.len()).map_err(|_| too_large(whole))?;
        let mut parts = Vec::with_capacity(groups.len());
        for (i, group) in (1..=count).zip(groups) {
            let part = part_of(group, Some((i, count)));
            let bytes = part.encode().len();
            if bytes > max_bytes {
                return Err(too_large(bytes));
            }
            parts.push(part);
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;
    use zsync_mapping::zendesk::{Comment, User};

    fn snapshot(comment_sizes: &[usize], authors: &[u64]) -> SyncMessage {
        let ticket: Ticket = serde_json::from_value(serde_json::json!({
            "id": 42, "subject": "Big", "requester_id": 1, "collaborator_ids": [2]
        }))
        .unwrap();
        let user = |id: u64| -> User {
            serde_json::from_value(serde_json::json!({"id": id, "name": format!("user {id}")}))
                .unwrap()
        };
        let comments = comment_sizes
            .iter()
            .zip(authors.iter().cycle())
            .enumerate()
            .map(|(i, (size, author))| Comment {
                id: i as u64 + 100,
                author_id: Some(*author),
                body: "x".repeat(*size),
                plain_body: None,
                public: true,
                created_at: None,
            })
            .collect();
        SyncMessage::TicketSnapshot {
            integration_id: IntegrationId::new("acme"),
            job_id: None,
            ticket: Box::new(ticket),
            users: [1, 2, 3, 4, 5].into_iter().map(user).collect(),
            comments,
            part: None,
        }
    }

    #[test]
    fn a_message_that_fits_is_returned_as_it_is() {
        let message = snapshot(&[10, 10], &[3]);
        assert_eq!(
            message.split_to_fit(MAX_MESSAGE_BYTES).unwrap(),
            vec![message]
        );
    }

    #[test]
    fn a_large_snapshot_is_spread_over_parts_that_fit_and_reassemble() {
        let message = snapshot(&[40_000; 20], &[3, 4]);
        let limit = 100_000;
        let parts = message.split_to_fit(limit).unwrap();
        assert!(parts.len() >= 8, "{} parts", parts.len());
        let SyncMessage::TicketSnapshot {
            comments: all,
            ticket: whole_ticket,
            ..
        } = &message
        else {
            unreachable!()
        };
        let mut reassembled = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            assert!(
                part.encode().len() <= limit,
                "part {i} is {} bytes",
                part.encode().len()
            );
            assert_eq!(SyncMessage::decode(&part.encode()).unwrap(), *part);
            let SyncMessage::TicketSnapshot {
                ticket,
                users,
                comments,
                part,
                ..
            } = part
            else {
                panic!("part is not a snapshot")
            };
            assert_eq!(*part, Some((i as u32 + 1, parts.len() as u32)));
            assert_eq!(ticket, whole_ticket);
            let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
            for needed in [1, 2, 5] {
                assert!(
                    ids.contains(&needed),
                    "ticket people and unreferenced users in every part"
                );
            }
            for c in comments {
                assert!(
                    ids.contains(&c.author_id.unwrap()),
                    "author travels with the comment"
                );
            }
            reassembled.extend(comments.iter().cloned());
        }
        assert_eq!(&reassembled, all, "every comment once, in order");
    }

    #[test]
    fn a_comment_too_large_alone_is_refused_not_truncated() {
        let message = snapshot(&[10, 300_000], &[3]);
        let err = message.split_to_fit(MAX_MESSAGE_BYTES).unwrap_err();
        assert_eq!(err.limit, MAX_MESSAGE_BYTES);
        assert!(err.bytes > 300_000);
    }

    #[test]
    fn other_messages_are_never_split() {
        let message = SyncMessage::TicketChanged {
            integration_id: IntegrationId::new("x".repeat(1000)),
            ticket_id: 1,
            event_id: None,
        };
        assert!(message.split_to_fit(100).is_err());
    }

    #[test]
    fn a_comments_reread_travels_as_its_own_kind() {
        let message = SyncMessage::TicketCommentsChanged {
            integration_id: IntegrationId::new("i"),
            job_id: Some(JobId::new("j")),
            ticket_id: 42,
        };
        let body = message.encode();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["kind"], "ticket_comments_changed");
        assert_eq!(value["body"]["ticket_id"], 42);
        assert_eq!(SyncMessage::decode(&body).unwrap(), message);
    }
}

#[cfg(test)]
mod hostile_text_tests {
    use super::*;
    use zsync_mapping::zendesk::{Comment, User};

    const HOSTILE: &str = "Re: \u{FFFF}rechnung\u{FFFE} \u{1}\u{8}\u{1B}[0m \u{0} \"q\" \\ 😀";

    fn snapshot(comment_bodies: Vec<String>) -> SyncMessage {
        let ticket: Ticket = serde_json::from_value(serde_json::json!({
            "id": 7, "subject": HOSTILE, "requester_id": 1
        }))
        .unwrap();
        let user: User =
            serde_json::from_value(serde_json::json!({"id": 1, "name": HOSTILE})).unwrap();
        let comments = comment_bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| Comment {
                id: i as u64 + 100,
                author_id: Some(1),
                body,
                plain_body: None,
                public: true,
                created_at: None,
            })
            .collect();
        SyncMessage::TicketSnapshot {
            integration_id: IntegrationId::new("acme"),
            job_id: None,
            ticket: Box::new(ticket),
            users: vec![user],
            comments,
            part: None,
        }
    }

    #[test]
    fn hostile_subject_comment_and_user_name_encode_to_accepted_characters_and_back() {
        let message = snapshot(vec![format!("body {HOSTILE}")]);
        let body = message.encode();
        assert_eq!(first_refused_char(&body), None, "{body:?}");
        assert_eq!(SyncMessage::decode(&body).unwrap(), message);
    }

    #[test]
    fn escapes_count_against_the_size_limit_when_splitting() {
        // U+FFFF is 3 bytes raw and 6 escaped: sizes counted raw would overfill every part.
        let message = snapshot(vec!["\u{FFFF}".repeat(3_000); 12]);
        let limit = 40_000;
        let parts = message.split_to_fit(limit).expect("fits when split");
        assert!(parts.len() > 1);
        let mut comments = Vec::new();
        for part in &parts {
            let body = part.encode();
            assert!(body.len() <= limit, "{} bytes", body.len());
            assert_eq!(first_refused_char(&body), None);
            let SyncMessage::TicketSnapshot { comments: c, .. } =
                SyncMessage::decode(&body).unwrap()
            else {
                panic!("not a snapshot")
            };
            comments.extend(c);
        }
        let SyncMessage::TicketSnapshot { comments: all, .. } = &message else {
            unreachable!()
        };
        assert_eq!(&comments, all);
    }
}
