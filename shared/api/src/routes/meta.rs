//! Unauthenticated routes: health and the OpenAPI document.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::webhook_route::WebhookAccepted;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Documents the route `api_router` serves with the generated document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "this document", content_type = "application/json")))]
#[allow(dead_code)]
pub async fn openapi_json() {}

/// Documents the webhook route (served by the webhook fn: signature instead of JWT).
#[utoipa::path(post, path = "/webhooks/zendesk/{integration_id}", tag = "webhooks",
    params(("integration_id" = String, Path, description = "integration id"),
           ("X-Zendesk-Webhook-Signature" = String, Header, description = "base64(HMAC-SHA256(secret, timestamp + body))"),
           ("X-Zendesk-Webhook-Signature-Timestamp" = String, Header, description = "RFC 3339")),
    request_body(content = serde_json::Value, description = "a Zendesk event-subscription or trigger body"),
    responses((status = 200, body = WebhookAccepted, description = "accepted and queued"),
              (status = 400, body = ErrorBody, description = "not a webhook body zendesk-sync understands"),
              (status = 401, body = ErrorBody, description = "missing or invalid signature"),
              (status = 404, body = ErrorBody, description = "no such integration"),
              (status = 410, body = ErrorBody, description = "the integration is not active"),
              (status = 413, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "the store or queue is unavailable; Zendesk retries")))]
#[allow(dead_code)]
pub async fn zendesk_webhook() {}
