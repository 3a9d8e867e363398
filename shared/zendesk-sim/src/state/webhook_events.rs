//! Webhook events for ticket changes: event-subscription bodies
//! (`zen:event-type:ticket.*`) for webhooks subscribed to those types, and one trigger-style
//! body (`{"ticket_id": "<id>", ...}`) per change for `conditional_ticket_events` webhooks
//! (as an account trigger "notify webhook on every ticket change" would send).

use serde::Serialize;
use serde_json::{Value, json};
use zsync_mapping::zendesk::{Comment, Ticket, TicketPriority, TicketStatus, TicketType};

use super::State;

/// Subscription of webhooks that triggers and automations call.
pub(crate) const CONDITIONAL_TICKET_EVENTS: &str = "conditional_ticket_events";

#[derive(Clone, Debug)]
pub(crate) enum TicketEvent {
    Created,
    StatusChanged(TicketStatus, TicketStatus),
    PriorityChanged(Option<TicketPriority>, Option<TicketPriority>),
    SubjectChanged(Option<String>, String),
    TypeChanged(Option<TicketType>, Option<TicketType>),
    AssigneeChanged(Option<u64>, Option<u64>),
    TagsChanged,
    CommentAdded(Comment),
    /// The comment with this id was redacted.
    CommentRedacted(u64),
    /// The comment with this id was made private.
    CommentMadePrivate(u64),
    SoftDeleted,
}

impl TicketEvent {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Created => "zen:event-type:ticket.created",
            Self::StatusChanged(..) => "zen:event-type:ticket.status_changed",
            Self::PriorityChanged(..) => "zen:event-type:ticket.priority_changed",
            Self::SubjectChanged(..) => "zen:event-type:ticket.subject_changed",
            Self::TypeChanged(..) => "zen:event-type:ticket.type_changed",
            Self::AssigneeChanged(..) => "zen:event-type:ticket.agent_assignment_changed",
            Self::TagsChanged => "zen:event-type:ticket.tags_changed",
            Self::CommentAdded(_) => "zen:event-type:ticket.comment_added",
            Self::CommentRedacted(_) => "zen:event-type:ticket.comment_redacted",
            Self::CommentMadePrivate(_) => "zen:event-type:ticket.comment_made_private",
            Self::SoftDeleted => "zen:event-type:ticket.soft_deleted",
        }
    }
}

/// A signed-at-send-time delivery for the background task (no Debug: it holds the secret).
#[derive(Clone)]
pub(crate) struct OutgoingWebhook {
    pub webhook_id: String,
    pub endpoint: String,
    pub secret: String,
    pub body: Vec<u8>,
    pub event_type: String,
    pub ticket_id: u64,
    pub event_id: String,
}

fn upper<T: std::fmt::Display>(v: &Option<T>) -> Value {
    v.as_ref().map_or(Value::Null, |v| {
        Value::String(v.to_string().to_ascii_uppercase())
    })
}

fn id_str(v: Option<u64>) -> Value {
    v.map_or(Value::Null, |v| Value::String(v.to_string()))
}

/// Zendesk's webhook bodies are pretty-printed with a 3-space indent and a final newline;
/// receivers must verify the raw bytes, so reproduce that.
fn zendesk_pretty(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut ser).is_err() {
        return value.to_string().into_bytes();
    }
    out.push(b'\n');
    out
}

impl State {
    fn event_detail(&self, t: &Ticket, actor: Option<u64>) -> Value {
        json!({
            "actor_id": id_str(actor),
            "assignee_id": id_str(t.assignee_id),
            "brand_id": "360000000001",
            "created_at": t.created_at,
            "custom_status": t.status.as_ref().map(|s| s.as_str().to_owned()),
            "description": t.description,
            "external_id": t.external_id.clone().unwrap_or_default(),
            "form_id": "360000000002",
            "group_id": Value::Null,
            "id": t.id.to_string(),
            "is_public": true,
            "organization_id": Value::Null,
            "priority": upper(&t.priority),
            "requester_id": id_str(t.requester_id),
            "status": upper(&t.status),
            "subject": t.subject,
            "submitter_id": id_str(t.submitter_id),
            "tags": t.tags,
            "type": upper(&t.ticket_type),
            "updated_at": t.updated_at,
            "via": {"channel": "web_service"},
        })
    }

    fn event_object(&self, event: &TicketEvent) -> Value {
        let author = |id: Option<u64>| {
            let user = id.and_then(|id| self.users.get(&id));
            json!({
                "id": id_str(id),
                "is_staff": user.is_some_and(|u| u.is_staff()),
                "name": user.map(|u| u.name.clone()),
            })
        };
        match event {
            TicketEvent::Created | TicketEvent::TagsChanged => json!({}),
            TicketEvent::CommentRedacted(id) => json!({"comment": {"id": id.to_string()}}),
            TicketEvent::CommentMadePrivate(id) => {
                json!({"comment": {"id": id.to_string(), "is_public": false}})
            }
            TicketEvent::SoftDeleted => json!({"current": "DELETED"}),
            TicketEvent::StatusChanged(p, c) => {
                json!({"current": upper(&Some(c)), "previous": upper(&Some(p))})
            }
            TicketEvent::PriorityChanged(p, c) => {
                json!({"current": upper(c), "previous": upper(p)})
            }
            TicketEvent::SubjectChanged(p, c) => json!({"current": c, "previous": p}),
            TicketEvent::TypeChanged(p, c) => json!({"current": upper(c), "previous": upper(p)}),
            TicketEvent::AssigneeChanged(p, c) => {
                json!({"current": id_str(*c), "previous": id_str(*p)})
            }
            TicketEvent::CommentAdded(c) => json!({"comment": {
                "id": c.id.to_string(),
                "body": c.body,
                "is_public": c.public,
                "author": author(c.author_id),
            }}),
        }
    }

    /// Queues deliveries of these events to every active webhook subscribed to them.
    pub(super) fn emit(&mut self, ticket: &Ticket, actor: Option<u64>, events: &[TicketEvent]) {
        let Some(tx) = self.webhook_tx.clone() else {
            return;
        };
        if events.is_empty() || self.webhooks.is_empty() {
            return;
        }
        let detail = self.event_detail(ticket, actor);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut out = Vec::new();
        for hook in self.webhooks.values().filter(|w| w.status == "active") {
            for event in events {
                let kind = event.type_name();
                if !hook.subscriptions.iter().any(|s| s == kind) {
                    continue;
                }
                let event_id = uuid::Uuid::new_v4().to_string();
                let body = json!({
                    "account_id": self.account_id,
                    "detail": detail,
                    "event": self.event_object(event),
                    "id": event_id,
                    "subject": format!("zen:ticket:{}", ticket.id),
                    "time": now,
                    "type": kind,
                    "zendesk_event_version": "2022-11-06",
                });
                out.push(OutgoingWebhook {
                    webhook_id: hook.id.clone(),
                    endpoint: hook.endpoint.clone(),
                    secret: hook.secret.clone(),
                    body: zendesk_pretty(&body),
                    event_type: kind.to_owned(),
                    ticket_id: ticket.id,
                    event_id,
                });
            }
            if hook
                .subscriptions
                .iter()
                .any(|s| s == CONDITIONAL_TICKET_EVENTS)
            {
                let event_id = uuid::Uuid::new_v4().to_string();
                let body = json!({
                    "ticket_id": ticket.id.to_string(),
                    "status": ticket.status.as_ref().map(|s| s.as_str().to_owned()),
                    "updated_at": ticket.updated_at,
                    "id": event_id,
                });
                out.push(OutgoingWebhook {
                    webhook_id: hook.id.clone(),
                    endpoint: hook.endpoint.clone(),
                    secret: hook.secret.clone(),
                    body: zendesk_pretty(&body),
                    event_type: "trigger".to_owned(),
                    ticket_id: ticket.id,
                    event_id,
                });
            }
        }
        for delivery in out {
            // The receiver task only stops when the simulator is dropped; nothing to deliver then.
            let _ = tx.send(delivery);
        }
    }
}
