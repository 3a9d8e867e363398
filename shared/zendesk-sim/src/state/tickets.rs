//! Ticket mutations with Zendesk's rules: every change bumps `updated_at` and
//! `generated_timestamp`, moves the ticket to the end of the export, writes an audit and
//! emits webhook events. Closed tickets refuse updates; deleted tickets are gone for the REST
//! API but stay in the export with status `deleted`.

use serde_json::{Value, json};
use zsync_mapping::zendesk::{Comment, Ticket, TicketPriority, TicketStatus, TicketType};

use super::webhook_events::TicketEvent;
use super::{Audit, AuditEvent, State, StoredTicket, ts_to_time};
use crate::model::NewTicket;

/// A comment to add, with its author.
#[derive(Clone, Debug)]
pub(crate) struct NewComment {
    pub body: String,
    pub public: bool,
    pub author_id: Option<u64>,
}

/// Fields an update sets; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldUpdate {
    pub subject: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<Option<TicketPriority>>,
    pub ticket_type: Option<Option<TicketType>>,
    pub assignee_id: Option<Option<u64>>,
    pub requester_id: Option<u64>,
    pub external_id: Option<Option<String>>,
    pub collaborator_ids: Option<Vec<u64>>,
    pub tags: Option<Vec<String>>,
    pub comment: Option<NewComment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UpdateError {
    NotFound,
    Closed,
}

fn status_value(s: &TicketStatus) -> Value {
    Value::String(s.as_str().to_owned())
}

fn opt_str<T: std::fmt::Display>(v: &Option<T>) -> Value {
    v.as_ref()
        .map_or(Value::Null, |v| Value::String(v.to_string()))
}

impl State {
    pub fn create_ticket(&mut self, new: NewTicket, via: &str, at: Option<i64>) -> Ticket {
        let id = self.next_ticket_id;
        self.next_ticket_id += 1;
        let ts = at.unwrap_or_else(|| self.tick(0));
        let submitter = new.submitter_id.unwrap_or(new.requester_id);
        let status = new.status.unwrap_or(if new.assignee_id.is_some() {
            TicketStatus::Open
        } else {
            TicketStatus::New
        });
        let ticket = Ticket {
            id,
            url: Some(format!("{}/api/v2/tickets/{id}.json", self.base_url)),
            external_id: new.external_id,
            created_at: Some(ts_to_time(ts)),
            updated_at: Some(ts_to_time(ts)),
            ticket_type: new.ticket_type,
            subject: Some(new.subject.clone()),
            raw_subject: Some(new.subject),
            description: Some(new.description.clone()),
            priority: new.priority,
            status: Some(status),
            recipient: new.recipient,
            requester_id: Some(new.requester_id),
            submitter_id: Some(submitter),
            assignee_id: new.assignee_id,
            organization_id: None,
            group_id: None,
            collaborator_ids: new.collaborator_ids,
            problem_id: new.problem_id,
            tags: new.tags,
            generated_timestamp: Some(ts),
        };
        let comment = self.push_comment(id, submitter, &new.description, true, ts);
        let mut events = vec![
            AuditEvent::Create {
                field: "subject",
                value: opt_str(&ticket.subject),
            },
            AuditEvent::Create {
                field: "status",
                value: status_value(&status_of(&ticket)),
            },
            AuditEvent::Create {
                field: "priority",
                value: opt_str(&ticket.priority),
            },
            AuditEvent::Create {
                field: "requester_id",
                value: opt_str(&ticket.requester_id),
            },
        ];
        if ticket.assignee_id.is_some() {
            events.push(AuditEvent::Create {
                field: "assignee_id",
                value: opt_str(&ticket.assignee_id),
            });
        }
        events.insert(0, AuditEvent::Comment(comment));
        self.record_audit(id, ts, Some(submitter), via, events);
        let seq = self.take_seq();
        self.export_index.insert((ts, seq), id);
        self.tickets.insert(
            id,
            StoredTicket {
                ticket: ticket.clone(),
                seq,
                via_channel: via.to_owned(),
            },
        );
        self.emit(&ticket, Some(submitter), &[TicketEvent::Created]);
        ticket
    }

    /// Applies an update. Returns the ticket after it; a no-op update changes nothing (no
    /// audit, no new timestamps, no webhook), like Zendesk.
    pub fn update_ticket(
        &mut self,
        id: u64,
        update: FieldUpdate,
        actor: Option<u64>,
        via: &str,
    ) -> Result<Ticket, UpdateError> {
        let stored = self.tickets.get(&id).ok_or(UpdateError::NotFound)?;
        let mut ticket = stored.ticket.clone();
        match status_of(&ticket) {
            TicketStatus::Deleted => return Err(UpdateError::NotFound),
            TicketStatus::Closed => return Err(UpdateError::Closed),
            _ => {}
        }
        let status_given = update.status.is_some();
        let mut audit = Vec::new();
        let mut hooks = Vec::new();
        if let Some(subject) = update
            .subject
            .filter(|s| Some(s) != ticket.subject.as_ref())
        {
            audit.push(change(
                "subject",
                opt_str(&Some(&subject)),
                opt_str(&ticket.subject),
            ));
            hooks.push(TicketEvent::SubjectChanged(
                ticket.subject.clone(),
                subject.clone(),
            ));
            ticket.raw_subject = Some(subject.clone());
            ticket.subject = Some(subject);
        }
        if let Some(status) = update.status.filter(|s| Some(s) != ticket.status.as_ref()) {
            let previous = status_of(&ticket);
            audit.push(change(
                "status",
                status_value(&status),
                status_value(&previous),
            ));
            hooks.push(TicketEvent::StatusChanged(previous, status.clone()));
            ticket.status = Some(status);
        }
        if let Some(priority) = update.priority.filter(|p| *p != ticket.priority) {
            audit.push(change(
                "priority",
                opt_str(&priority),
                opt_str(&ticket.priority),
            ));
            hooks.push(TicketEvent::PriorityChanged(
                ticket.priority.clone(),
                priority.clone(),
            ));
            ticket.priority = priority;
        }
        if let Some(kind) = update.ticket_type.filter(|t| *t != ticket.ticket_type) {
            audit.push(change("type", opt_str(&kind), opt_str(&ticket.ticket_type)));
            hooks.push(TicketEvent::TypeChanged(
                ticket.ticket_type.clone(),
                kind.clone(),
            ));
            ticket.ticket_type = kind;
        }
        if let Some(assignee) = update.assignee_id.filter(|a| *a != ticket.assignee_id) {
            audit.push(change(
                "assignee_id",
                opt_str(&assignee),
                opt_str(&ticket.assignee_id),
            ));
            hooks.push(TicketEvent::AssigneeChanged(ticket.assignee_id, assignee));
            ticket.assignee_id = assignee;
            // Zendesk opens a new ticket once it has an assignee (unless told otherwise).
            if !status_given && assignee.is_some() && ticket.status == Some(TicketStatus::New) {
                audit.push(change("status", json!("open"), json!("new")));
                hooks.push(TicketEvent::StatusChanged(
                    TicketStatus::New,
                    TicketStatus::Open,
                ));
                ticket.status = Some(TicketStatus::Open);
            }
        }
        if let Some(requester) = update
            .requester_id
            .filter(|r| Some(*r) != ticket.requester_id)
        {
            audit.push(change(
                "requester_id",
                json!(requester.to_string()),
                opt_str(&ticket.requester_id),
            ));
            ticket.requester_id = Some(requester);
        }
        if let Some(external) = update.external_id.filter(|e| *e != ticket.external_id) {
            audit.push(change(
                "external_id",
                opt_str(&external),
                opt_str(&ticket.external_id),
            ));
            ticket.external_id = external;
        }
        if let Some(ids) = update
            .collaborator_ids
            .filter(|c| *c != ticket.collaborator_ids)
        {
            audit.push(change(
                "collaborator_ids",
                json!(ids),
                json!(ticket.collaborator_ids),
            ));
            ticket.collaborator_ids = ids;
        }
        if let Some(tags) = update.tags.filter(|t| *t != ticket.tags) {
            audit.push(change("tags", json!(tags), json!(ticket.tags)));
            hooks.push(TicketEvent::TagsChanged);
            ticket.tags = tags;
        }
        if audit.is_empty() && update.comment.is_none() {
            return Ok(ticket);
        }
        let previous_ts = ticket.updated_at.map_or(0, |t| t.timestamp());
        let ts = self.tick(previous_ts + 1);
        let actor = actor.or(ticket.assignee_id).or_else(|| self.first_staff());
        if let Some(c) = update.comment {
            let author = c.author_id.or(actor).or(ticket.requester_id).unwrap_or(0);
            let comment = self.push_comment(id, author, &c.body, c.public, ts);
            hooks.push(TicketEvent::CommentAdded(comment.clone()));
            audit.insert(0, AuditEvent::Comment(comment));
        }
        self.commit(ticket, ts, actor, via, audit, &hooks)
    }

    /// Soft-deletes a ticket: gone for the REST API, exported with status `deleted`.
    pub fn delete_ticket(&mut self, id: u64, actor: Option<u64>) -> Result<Ticket, UpdateError> {
        let stored = self.tickets.get(&id).ok_or(UpdateError::NotFound)?;
        let mut ticket = stored.ticket.clone();
        let previous = status_of(&ticket);
        if previous == TicketStatus::Deleted {
            return Err(UpdateError::NotFound);
        }
        let previous_ts = ticket.updated_at.map_or(0, |t| t.timestamp());
        let ts = self.tick(previous_ts + 1);
        ticket.status = Some(TicketStatus::Deleted);
        let audit = vec![change("status", json!("deleted"), status_value(&previous))];
        let actor = actor.or_else(|| self.first_staff());
        self.commit(ticket, ts, actor, "web", audit, &[TicketEvent::SoftDeleted])
    }

    pub(super) fn commit(
        &mut self,
        mut ticket: Ticket,
        ts: i64,
        actor: Option<u64>,
        via: &str,
        audit: Vec<AuditEvent>,
        hooks: &[TicketEvent],
    ) -> Result<Ticket, UpdateError> {
        ticket.updated_at = Some(ts_to_time(ts));
        ticket.generated_timestamp = Some(ts);
        let seq = self.take_seq();
        let stored = self
            .tickets
            .get_mut(&ticket.id)
            .ok_or(UpdateError::NotFound)?;
        let old_key = stored.export_key();
        stored.ticket = ticket.clone();
        stored.seq = seq;
        self.export_index.remove(&old_key);
        self.export_index.insert((ts, seq), ticket.id);
        if !audit.is_empty() {
            self.record_audit(ticket.id, ts, actor, via, audit);
        }
        self.emit(&ticket, actor, hooks);
        Ok(ticket)
    }

    pub(super) fn push_comment(
        &mut self,
        ticket_id: u64,
        author: u64,
        body: &str,
        public: bool,
        ts: i64,
    ) -> Comment {
        let comment = Comment {
            id: self.next_comment_id,
            author_id: Some(author),
            body: body.to_owned(),
            plain_body: Some(body.to_owned()),
            public,
            created_at: Some(ts_to_time(ts)),
        };
        self.next_comment_id += 1;
        self.comments
            .entry(ticket_id)
            .or_default()
            .push(comment.clone());
        comment
    }

    pub(super) fn record_audit(
        &mut self,
        ticket_id: u64,
        ts: i64,
        updater_id: Option<u64>,
        via: &str,
        events: Vec<AuditEvent>,
    ) {
        let id = self.next_audit_id;
        self.next_audit_id += 1;
        let audit = Audit {
            id,
            ticket_id,
            timestamp: ts,
            updater_id,
            via: via.to_owned(),
            events,
        };
        self.audits.insert((ts, id), audit);
    }

    pub(super) fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// A live (not deleted) ticket.
    pub fn live_ticket(&self, id: u64) -> Option<&Ticket> {
        self.tickets
            .get(&id)
            .map(|s| &s.ticket)
            .filter(|t| !t.is_deleted())
    }
}

pub(crate) fn status_of(ticket: &Ticket) -> TicketStatus {
    ticket.status.clone().unwrap_or(TicketStatus::Open)
}

fn change(field: &'static str, value: Value, previous: Value) -> AuditEvent {
    AuditEvent::Change {
        field,
        value,
        previous,
    }
}
