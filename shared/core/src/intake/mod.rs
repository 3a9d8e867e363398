//! Webhook intake (docs/sync-rules.md §6): check a Zendesk delivery and enqueue one `TicketChanged`
//! per ticket it names — nothing else, so Zendesk gets its answer fast.
//!
//! Checks, in order (cheapest and least revealing first):
//! 1. body size (over [`MAX_WEBHOOK_BODY_BYTES`] → 413);
//! 2. the integration exists (404) — its signing secret is needed for the next step;
//! 3. signature and timestamp against the stored signing secret (401; no secret stored → 401);
//!    when a cached secret does not match, it is read from the store once more (the secret may
//!    have been rotated since it was cached) and the signature checked again;
//! 4. the integration is active (inactive → 410 Gone: deactivation removes the webhook, so a
//!    late delivery is not an error Zendesk should retry — it retries 409, 429 and 5xx);
//! 5. the body is a ticket event or a trigger body (400 with the reason);
//! 6. dedupe on the event id for [`DEDUPE_TTL`] (trigger bodies carry none: the signature,
//!    unique per delivery, is the key) — a duplicate is answered 200 with nothing enqueued.
//!
//! The dedupe mark is taken before enqueueing. If the queue then fails the answer is 503, and
//! Zendesk's retry of the same event is taken for a duplicate: that change then reaches the CRM
//! through the scheduled export (at most one poll interval later), not through this webhook.

use chrono::Duration;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::{WebhookBodyError, parse_webhook_body};

use crate::context::SyncContext;
use crate::message::SyncMessage;
use crate::ports::secrets::webhook_secret_name;
use crate::webhook_signature::{SignatureError, verify};

/// Largest body accepted. Zendesk's ticket event bodies are a few KiB.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 256 * 1024;
/// How long an event id is remembered (Zendesk retries a delivery within minutes).
pub const DEDUPE_TTL: Duration = Duration::hours(24);

/// A delivery that was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// `TicketChanged` messages enqueued (0 for a duplicate).
    pub enqueued: usize,
    pub duplicate: bool,
}

/// Why a delivery was refused. `Display` is safe to show the caller (never the secret).
#[derive(Debug, thiserror::Error)]
pub enum WebhookRefusal {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("integration {0} not found")]
    UnknownIntegration(IntegrationId),
    #[error("the integration has no webhook signing secret")]
    NoSecret,
    #[error("invalid webhook signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("integration {0} is not active")]
    Inactive(IntegrationId),
    #[error("{0}")]
    Body(#[from] WebhookBodyError),
    /// The store, secret store or queue failed; Zendesk will retry.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

impl WebhookRefusal {
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::UnknownIntegration(_) => 404,
            Self::NoSecret | Self::Signature(_) => 401,
            Self::Inactive(_) => 410,
            Self::Body(_) => 400,
            Self::Unavailable(_) => 503,
        }
    }

    /// The `error.message` of the JSON error body. The route needs no authentication, so an
    /// outage is named generically: the store's, queue's or SDK's own text (which can name
    /// ARNs, account ids, endpoints) goes to the logs only.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unavailable(_) => {
                "the service is temporarily unavailable; deliver the webhook again later".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The `error.code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "payload_too_large",
            Self::UnknownIntegration(_) => "integration_not_found",
            Self::NoSecret | Self::Signature(_) => "invalid_signature",
            Self::Inactive(_) => "integration_inactive",
            Self::Body(_) => "invalid_webhook_body",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> WebhookRefusal {
    WebhookRefusal::Unavailable(e.to_string())
}

/// The signature against the stored signing secret (as the secret store answers now).
async fn check_signature(
    ctx: &SyncContext,
    secret_name: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    raw_body: &[u8],
) -> Result<(), WebhookRefusal> {
    let secret = ctx
        .secrets
        .get(secret_name)
        .await
        .map_err(unavailable)?
        .ok_or(WebhookRefusal::NoSecret)?;
    verify(&secret, signature, timestamp, raw_body, ctx.clock.now())?;
    Ok(())
}

/// A refusal another secret could turn into a pass (not a malformed or stale delivery).
fn fresh_secret_could_pass(refused: &WebhookRefusal) -> bool {
    matches!(
        refused,
        WebhookRefusal::NoSecret | WebhookRefusal::Signature(SignatureError::Mismatch)
    )
}

/// Checks one delivery and enqueues what it names. `signature` and `timestamp` are the raw
/// `X-Zendesk-Webhook-Signature[-Timestamp]` header values; `raw_body` the exact bytes.
pub async fn accept_webhook(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    signature: Option<&str>,
    timestamp: Option<&str>,
    raw_body: &[u8],
) -> Result<Accepted, WebhookRefusal> {
    if raw_body.len() > MAX_WEBHOOK_BODY_BYTES {
        return Err(WebhookRefusal::TooLarge {
            limit: MAX_WEBHOOK_BODY_BYTES,
        });
    }
    let integration = ctx
        .store
        .get_integration(integration_id)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| WebhookRefusal::UnknownIntegration(integration_id.clone()))?
        .value;
    let secret_name = webhook_secret_name(integration_id.as_str());
    match check_signature(ctx, &secret_name, signature, timestamp, raw_body).await {
        // A cached secret may be an old one (re-activation rotates it): read it again, once.
        Err(refused)
            if fresh_secret_could_pass(&refused) && ctx.secrets.invalidate(&secret_name) =>
        {
            check_signature(ctx, &secret_name, signature, timestamp, raw_body).await?;
        }
        checked => checked?,
    }
    if !integration.active {
        return Err(WebhookRefusal::Inactive(integration_id.clone()));
    }
    let notice = parse_webhook_body(raw_body)?;
    let dedupe_on = match (&notice.event_id, signature) {
        (Some(event), _) => format!("event:{event}"),
        (None, Some(sig)) => format!("signature:{}", sig.trim()),
        // verify() refused a missing signature already.
        (None, None) => return Err(WebhookRefusal::Signature(SignatureError::Mismatch)),
    };
    let key = format!("webhook#{integration_id}#{dedupe_on}");
    let first = ctx
        .store
        .remember_once(&key, DEDUPE_TTL, ctx.clock.now())
        .await
        .map_err(unavailable)?;
    if !first {
        tracing::debug!(integration = %integration_id, "duplicate webhook delivery");
        return Ok(Accepted {
            enqueued: 0,
            duplicate: true,
        });
    }
    let messages: Vec<SyncMessage> = notice
        .ticket_ids
        .iter()
        .map(|&ticket_id| SyncMessage::TicketChanged {
            integration_id: integration_id.clone(),
            ticket_id,
            event_id: notice.event_id.clone(),
        })
        .collect();
    if let Err(e) = ctx.queue.send(&messages).await {
        // Zendesk retries a failed delivery with the same event id: let that retry through.
        if let Err(forget) = ctx.store.forget(&key).await {
            tracing::warn!(integration = %integration_id, error = %forget, "could not forget a webhook dedupe key; its retry will be dropped and the change arrives with the next export");
        }
        return Err(unavailable(e));
    }
    tracing::info!(integration = %integration_id, event = %notice.event_type, tickets = ?notice.ticket_ids, "webhook accepted");
    Ok(Accepted {
        enqueued: messages.len(),
        duplicate: false,
    })
}
