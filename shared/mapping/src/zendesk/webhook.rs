//! Webhook bodies Zendesk pushes at us (docs/sync-rules.md §6) and the webhook-management wire
//! types.
//!
//! Two body shapes are accepted: event subscriptions
//! (`{"type":"zen:event-type:ticket.…","subject":"zen:ticket:<id>","detail":{"id":"<id>"},"id":"<event id>"}`)
//! and simple trigger bodies (`{"ticket_id":"<id>"}`). Anything else is refused with a reason.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::Timestamp;

/// What a webhook tells us: which ticket to look at, and the event id used for dedupe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookNotice {
    /// The event id when Zendesk sends one; trigger bodies have none (dedupe then falls back to
    /// the signature, which is unique per delivery).
    pub event_id: Option<String>,
    /// e.g. `zen:event-type:ticket.status_changed`, or `trigger` for trigger bodies.
    pub event_type: String,
    pub ticket_ids: Vec<u64>,
    pub time: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookBodyError {
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    #[error("event type {0:?} is not a ticket event")]
    NotATicketEvent(String),
    #[error(
        "the body names no ticket (expected `subject: zen:ticket:<id>`, `detail.id` or `ticket_id`)"
    )]
    NoTicket,
    #[error("`{field}` is not a ticket id: {value:?}")]
    BadTicketId { field: &'static str, value: String },
}

fn id_from(value: &Value, field: &'static str) -> Result<Option<u64>, WebhookBodyError> {
    let bad = |v: &Value| WebhookBodyError::BadTicketId {
        field,
        value: v.to_string(),
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .filter(|&id| id > 0)
            .map(Some)
            .ok_or_else(|| bad(value)),
        Value::String(s) => match s.trim().parse::<u64>() {
            Ok(id) if id > 0 => Ok(Some(id)),
            _ => Err(bad(value)),
        },
        other => Err(bad(other)),
    }
}

/// Parses a webhook body (the raw bytes, after the signature check).
pub fn parse_webhook_body(body: &[u8]) -> Result<WebhookNotice, WebhookBodyError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| WebhookBodyError::NotJson(e.to_string()))?;
    let Value::Object(map) = &value else {
        return Err(WebhookBodyError::NotJson("expected an object".into()));
    };
    let time = map
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));

    if let Some(event_type) = map.get("type").and_then(Value::as_str) {
        if !event_type.starts_with("zen:event-type:ticket.") {
            return Err(WebhookBodyError::NotATicketEvent(event_type.to_owned()));
        }
        let from_subject = match map.get("subject").and_then(Value::as_str) {
            Some(subject) => match subject.strip_prefix("zen:ticket:") {
                Some(rest) => id_from(&Value::String(rest.to_owned()), "subject")?,
                None => None,
            },
            None => None,
        };
        let from_detail = match map.get("detail").and_then(|d| d.get("id")) {
            Some(v) => id_from(v, "detail.id")?,
            None => None,
        };
        let ticket = from_subject
            .or(from_detail)
            .ok_or(WebhookBodyError::NoTicket)?;
        return Ok(WebhookNotice {
            event_id: map.get("id").and_then(Value::as_str).map(str::to_owned),
            event_type: event_type.to_owned(),
            ticket_ids: vec![ticket],
            time,
        });
    }

    match map.get("ticket_id") {
        Some(v) => {
            let ticket = id_from(v, "ticket_id")?.ok_or(WebhookBodyError::NoTicket)?;
            Ok(WebhookNotice {
                event_id: map.get("id").and_then(Value::as_str).map(str::to_owned),
                event_type: "trigger".into(),
                ticket_ids: vec![ticket],
                time,
            })
        }
        None => Err(WebhookBodyError::NoTicket),
    }
}

/// `GET /webhooks/{id}/signing_secret`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigningSecretEnvelope {
    pub signing_secret: SigningSecret,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningSecret {
    pub secret: String,
    #[serde(default)]
    pub algorithm: Option<String>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecret")
            .field("secret", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// `POST /webhooks` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    pub webhook: Webhook,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::null_as_default")]
    pub subscriptions: Vec<String>,
}
