//! Secrets cached per warm process (`with_secret_cache`, as every Lambda is wired) on the
//! embedded store, the real Zendesk client and the simulator: a rotated webhook signing secret
//! passes on the first delivery signed with it, and an API token Zendesk refuses is read again
//! on the next attempt instead of being reused for the cache's whole TTL.

mod export_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, SecondsFormat};
use export_common::{API_TOKEN, Harness, WEBHOOK_SECRET};
use secrecy::SecretString;
use serde_json::json;
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::Clock;
use zsync_core::message::SyncMessage;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_core::secret_cache::{DEFAULT_SECRET_TTL, MIN_REFRESH_INTERVAL, with_secret_cache};
use zsync_core::sync::{Handling, handle_message};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

fn event(ticket: u64, event_id: &str) -> Vec<u8> {
    json!({
        "type": "zen:event-type:ticket.status_changed",
        "account_id": 1, "id": event_id, "time": "2026-11-26T09:00:00Z",
        "subject": format!("zen:ticket:{ticket}"),
        "detail": {"id": ticket.to_string()}, "event": {}
    })
    .to_string()
    .into_bytes()
}

async fn deliver(router: &axum::Router, h: &Harness, secret: &str, event_id: &str) -> StatusCode {
    let body = event(42, event_id);
    let stamp = h.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let signature = sign(&SecretString::from(secret), &stamp, &body);
    let request = Request::post("/webhooks/zendesk/acme")
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(TIMESTAMP_HEADER, stamp)
        .body(Body::from(body))
        .expect("request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("answer")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_webhook_secret_passes_on_its_first_delivery() {
    let h = Harness::start(100).await;
    let cached = with_secret_cache(h.ctx.clone(), DEFAULT_SECRET_TTL);
    let router = webhook_router(cached);
    assert_eq!(
        deliver(&router, &h, WEBHOOK_SECRET, "e1").await,
        StatusCode::OK
    );

    // Re-activation in another process (the api function) stores a new secret.
    h.ctx
        .secrets
        .put(
            &webhook_secret_name("acme"),
            &SecretString::from("rotated-secret"),
        )
        .await
        .expect("rotate");
    h.clock.advance(MIN_REFRESH_INTERVAL + Duration::seconds(1));
    assert_eq!(
        deliver(&router, &h, "rotated-secret", "e2").await,
        StatusCode::OK,
        "the new secret must pass well within the cache's TTL"
    );
    // The old one no longer does, and a forgery is still refused.
    assert_eq!(
        deliver(&router, &h, WEBHOOK_SECRET, "e3").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        deliver(&router, &h, "forged", "e4").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.drain().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_zendesk_refuses_is_read_again_on_the_next_attempt() {
    let h = Harness::start(100).await;
    h.seed(3, 1);
    let ticket = h.open_ticket();
    // The cache holds a token Zendesk no longer accepts.
    h.ctx
        .secrets
        .put(&api_token_name("acme"), &SecretString::from("revoked"))
        .await
        .expect("token");
    let cached = with_secret_cache(h.ctx.clone(), DEFAULT_SECRET_TTL);
    let message = SyncMessage::TicketChanged {
        integration_id: h.integration.clone(),
        ticket_id: ticket,
        event_id: None,
    };
    let first = handle_message(&cached, &message, 1, 5).await;
    assert!(matches!(first, Handling::Retry(_)), "{first:?}");

    // The admin stores the good token (the api function, another process).
    h.ctx
        .secrets
        .put(&api_token_name("acme"), &SecretString::from(API_TOKEN))
        .await
        .expect("token");
    h.clock.advance(MIN_REFRESH_INTERVAL);
    let second = handle_message(&cached, &message, 2, 5).await;
    assert!(matches!(second, Handling::Done), "{second:?}");
    let record = h
        .ctx
        .store
        .get_ticket_record(&h.integration, ticket)
        .await
        .expect("store");
    assert!(record.is_some(), "the ticket reached the CRM");
}
