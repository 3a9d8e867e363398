//! `POST /webhooks/zendesk/{integration_id}`: Zendesk's webhook deliveries (signature, no JWT).
//! The handler reads the exact body bytes (the signature covers them) with a size limit and
//! hands them to [`zsync_core::intake::accept_webhook`], which only enqueues.
//!
//! Answers: 200 `{"accepted": n}` (n = messages enqueued; 0 and `"duplicate": true` for a
//! repeated event), else `{"error": {"code", "message"}}` with 400 / 401 / 404 / 410 / 413 / 503.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zsync_core::context::SyncContext;
use zsync_core::intake::{MAX_WEBHOOK_BODY_BYTES, WebhookRefusal, accept_webhook};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use zsync_mapping::IntegrationId;

/// The webhook route's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAccepted {
    /// Messages queued; 0 for a repeated event.
    pub accepted: usize,
    /// `true` when the event was delivered before (left out otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
}

pub const WEBHOOK_PATH: &str = "/webhooks/zendesk/{integration_id}";

/// The webhook route alone (merged into the full router by the API, served alone by the
/// webhook Lambda).
pub fn webhook_router(ctx: SyncContext) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .with_state(ctx)
}

fn error(status: StatusCode, code: &'static str, message: &str) -> Response {
    zsync_core::telemetry::webhook_refused(code);
    let body = json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

fn refusal(refused: &WebhookRefusal) -> Response {
    let status =
        StatusCode::from_u16(refused.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error(status, refused.code(), &refused.public_message())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn receive(
    State(ctx): State<SyncContext>,
    Path(integration_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match Limited::new(body, MAX_WEBHOOK_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refusal(&WebhookRefusal::TooLarge {
                limit: MAX_WEBHOOK_BODY_BYTES,
            });
        }
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            );
        }
    };
    let integration_id = IntegrationId::new(integration_id);
    let answer = accept_webhook(
        &ctx,
        &integration_id,
        header(&headers, SIGNATURE_HEADER),
        header(&headers, TIMESTAMP_HEADER),
        &bytes,
    )
    .await;
    match answer {
        Ok(accepted) if accepted.duplicate => axum::Json(WebhookAccepted {
            accepted: 0,
            duplicate: Some(true),
        })
        .into_response(),
        Ok(accepted) => axum::Json(WebhookAccepted {
            accepted: accepted.enqueued,
            duplicate: None,
        })
        .into_response(),
        Err(refused) => {
            if refused.status() >= 500 {
                tracing::warn!(integration = %integration_id, error = %refused, "webhook not taken");
            } else {
                tracing::info!(integration = %integration_id, error = %refused, "webhook refused");
            }
            refusal(&refused)
        }
    }
}
