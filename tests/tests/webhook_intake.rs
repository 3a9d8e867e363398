//! `POST /webhooks/zendesk/{integration_id}` on the embedded store and queue: signed deliveries
//! become one `TicketChanged` per ticket; forged, stale, duplicate, oversized, foreign and
//! unparseable deliveries do not. Ends with real deliveries from the simulated Zendesk.

mod export_common;

use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, SecondsFormat};
use export_common::queues::TestQueue;
use export_common::{Harness, WEBHOOK_SECRET};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::Clock;
use zsync_core::message::SyncMessage;
use zsync_core::ports::secrets::webhook_secret_name;
use zsync_core::ports::{NewWebhook, TICKET_EVENT_SUBSCRIPTIONS, ZendeskAccount};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use zsync_mapping::zendesk::TicketPriority;
use zsync_zendesk_sim::TicketChange;

struct Delivery<'a> {
    integration: &'a str,
    body: Vec<u8>,
    secret: &'a str,
    timestamp: String,
    signed: bool,
}

impl<'a> Delivery<'a> {
    fn new(h: &Harness, body: Vec<u8>) -> Self {
        Self {
            integration: "acme",
            body,
            secret: WEBHOOK_SECRET,
            timestamp: h.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
            signed: true,
        }
    }
}

async fn post(router: &Router, d: Delivery<'_>) -> (StatusCode, Value) {
    let mut request = Request::post(format!("/webhooks/zendesk/{}", d.integration))
        .header("content-type", "application/json");
    if d.signed {
        let signature = sign(&SecretString::from(d.secret), &d.timestamp, &d.body);
        request = request
            .header(SIGNATURE_HEADER, signature)
            .header(TIMESTAMP_HEADER, &d.timestamp);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(d.body)).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).expect("JSON answer"))
}

fn event(ticket: u64, event_id: &str) -> Vec<u8> {
    json!({
        "type": "zen:event-type:ticket.status_changed",
        "account_id": 18525119,
        "id": event_id,
        "time": "2026-11-26T09:00:00Z",
        "zendesk_event_version": "2022-11-06",
        "subject": format!("zen:ticket:{ticket}"),
        "detail": {"id": ticket.to_string(), "status": "SOLVED"},
        "event": {"current": "SOLVED", "previous": "OPEN"}
    })
    .to_string()
    .into_bytes()
}

fn error_code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn a_signed_event_is_enqueued_once_and_its_duplicate_is_not() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx.clone());
    let (status, answer) = post(&router, Delivery::new(&h, event(42, "01HEVT1"))).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    let expected = SyncMessage::TicketChanged {
        integration_id: h.integration.clone(),
        ticket_id: 42,
        event_id: Some("01HEVT1".into()),
    };
    assert_eq!(h.drain().await, vec![expected]);

    // Zendesk retries the same event later: newly signed, same event id.
    h.clock.advance(Duration::seconds(30));
    let (status, answer) = post(&router, Delivery::new(&h, event(42, "01HEVT1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"accepted": 0, "duplicate": true}));
    assert_eq!(h.drain().await, Vec::new());
}

#[tokio::test]
async fn a_delivery_whose_enqueue_failed_is_taken_when_zendesk_retries_it() {
    let h = Harness::start(100).await;
    let broken = webhook_router(h.ctx_with_queue(TestQueue::breaks_after(h.queue.clone(), 0)));
    let (status, answer) = post(&broken, Delivery::new(&h, event(42, "01HEVT2"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(h.drain().await, Vec::new());

    // Zendesk retries the same event once we answered 5xx; the queue works again.
    h.clock.advance(Duration::seconds(30));
    let router = webhook_router(h.ctx.clone());
    let (status, answer) = post(&router, Delivery::new(&h, event(42, "01HEVT2"))).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    assert_eq!(
        h.drain().await.len(),
        1,
        "the retried delivery is not a duplicate"
    );
}

#[tokio::test]
async fn a_trigger_body_names_its_ticket() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx.clone());
    let body = br#"{"ticket_id":"5"}"#.to_vec();
    let (status, answer) = post(&router, Delivery::new(&h, body)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    let messages = h.drain().await;
    assert!(
        matches!(
            messages.as_slice(),
            [SyncMessage::TicketChanged {
                ticket_id: 5,
                event_id: None,
                ..
            }]
        ),
        "{messages:?}"
    );
}

#[tokio::test]
async fn forged_unsigned_and_stale_deliveries_are_refused() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx.clone());
    let forged = Delivery {
        secret: "guessed-secret",
        ..Delivery::new(&h, event(1, "e1"))
    };
    let unsigned = Delivery {
        signed: false,
        ..Delivery::new(&h, event(1, "e2"))
    };
    let stale = Delivery {
        timestamp: (h.clock.now() - Duration::minutes(6))
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        ..Delivery::new(&h, event(1, "e3"))
    };
    for (what, delivery) in [("forged", forged), ("unsigned", unsigned), ("stale", stale)] {
        let (status, answer) = post(&router, delivery).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        assert_eq!(error_code(&answer), "invalid_signature", "{what}");
        assert!(!answer.to_string().contains(WEBHOOK_SECRET));
    }
    assert_eq!(h.drain().await, Vec::new());

    // A refused delivery does not burn its event id: the genuine one still goes through.
    let (status, _) = post(&router, Delivery::new(&h, event(1, "e1"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_inactive_integrations_are_refused() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx.clone());
    let unknown = Delivery {
        integration: "someone-else",
        ..Delivery::new(&h, event(1, "e1"))
    };
    let (status, answer) = post(&router, unknown).await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::NOT_FOUND, "integration_not_found")
    );

    let stored = h
        .ctx
        .store
        .get_integration(&h.integration)
        .await
        .expect("read")
        .expect("integration");
    let mut inactive = stored.value;
    inactive.active = false;
    h.ctx
        .store
        .update_integration(&inactive, stored.version)
        .await
        .expect("deactivate");
    let (status, answer) = post(&router, Delivery::new(&h, event(1, "e1"))).await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::GONE, "integration_inactive")
    );
    assert_eq!(h.drain().await, Vec::new());
}

#[tokio::test]
async fn bodies_that_are_not_ticket_events_or_too_large_are_refused() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx.clone());
    let user_event =
        json!({"type": "zen:event-type:user.created", "id": "u1", "subject": "zen:user:9"});
    let cases: [(&str, Vec<u8>, StatusCode, &str, &str); 4] = [
        (
            "user event",
            user_event.to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_webhook_body",
            "not a ticket event",
        ),
        (
            "no ticket",
            br#"{"hello":"world"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_webhook_body",
            "names no ticket",
        ),
        (
            "not JSON",
            b"ticket 5 changed".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_webhook_body",
            "not a JSON object",
        ),
        (
            "oversized",
            vec![b' '; 300 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "larger than",
        ),
    ];
    for (what, body, status, code, says) in cases {
        let (got, answer) = post(&router, Delivery::new(&h, body)).await;
        assert_eq!(
            (got, error_code(&answer)),
            (status, code),
            "{what}: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{what}: {message}");
    }
    assert_eq!(h.drain().await, Vec::new());
}

#[tokio::test]
async fn real_deliveries_from_zendesk_reach_the_queue() {
    let h = Harness::start(100).await;
    h.seed(3, 1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, webhook_router(h.ctx.clone())).into_future());

    // Register the webhook as activation does, and keep its signing secret.
    let api = h
        .ctx
        .zendesk
        .connect(ZendeskAccount {
            integration_id: h.integration.clone(),
            base_url: h.sim.base_url(),
            api_email: export_common::API_EMAIL.into(),
            api_token: SecretString::from(export_common::API_TOKEN),
        })
        .expect("client");
    let webhook = api
        .create_webhook(&NewWebhook {
            name: "zendesk-sync".into(),
            endpoint: format!("http://{addr}/webhooks/zendesk/{}", h.integration),
            subscriptions: TICKET_EVENT_SUBSCRIPTIONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        })
        .await
        .expect("webhook");
    let secret = api
        .webhook_signing_secret(&webhook.id)
        .await
        .expect("secret");
    h.ctx
        .secrets
        .put(&webhook_secret_name(h.integration.as_str()), &secret)
        .await
        .expect("store secret");

    let ticket = h.open_ticket();
    let change = TicketChange {
        priority: Some(TicketPriority::Urgent),
        ..Default::default()
    };
    h.sim
        .agent_update_ticket(ticket, change)
        .expect("agent change");
    let deliveries = h
        .sim
        .wait_for_webhook_deliveries(1, StdDuration::from_secs(10))
        .await;
    assert!(!deliveries.is_empty(), "Zendesk delivered");
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
    let messages = h.drain().await;
    assert!(!messages.is_empty());
    for m in &messages {
        assert!(
            matches!(m, SyncMessage::TicketChanged { ticket_id, event_id: Some(_), .. } if *ticket_id == ticket),
            "{m:?}"
        );
    }
    server.abort();
}
