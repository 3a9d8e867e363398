use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use zsync_mapping::zendesk::{
    SigningSecretEnvelope, TicketStatus, WebhookEnvelope, parse_webhook_body,
};
use zsync_zendesk_sim::{NewTicket, TicketChange};

use crate::Harness;

pub(crate) type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A loopback receiver that records every request and answers 200.
pub(crate) async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), received)
}

fn expected_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn signed_event_webhooks_are_delivered_to_the_registered_endpoint() {
    let h = Harness::start().await;
    let (endpoint, received) = receiver().await;
    let created = h
        .send_json(Method::POST, "/api/v2/webhooks", json!({"webhook": {
            "name": "zendesk-sync", "endpoint": endpoint, "http_method": "POST",
            "request_format": "json", "status": "active",
            "subscriptions": ["zen:event-type:ticket.status_changed", "zen:event-type:ticket.comment_added"],
        }}))
        .await;
    assert_eq!(created.status(), 201);
    let hook: WebhookEnvelope = created.json().await.unwrap();
    let secret: SigningSecretEnvelope = h
        .get(&format!(
            "/api/v2/webhooks/{}/signing_secret",
            hook.webhook.id
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(secret.signing_secret.algorithm.as_deref(), Some("SHA256"));

    let requester = h.end_user("Kai", "kai@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });
    // ticket.created is not subscribed: nothing is sent for it.
    h.sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Solved),
                comment: Some(("Solved!".into(), true)),
                ..Default::default()
            },
        )
        .unwrap();
    let deliveries = h
        .sim
        .wait_for_webhook_deliveries(2, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == Some(200) && d.endpoint == endpoint)
    );

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let mut types = Vec::new();
    for (headers, body) in &got {
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        let timestamp = header("x-zendesk-webhook-signature-timestamp");
        assert!(chrono::DateTime::parse_from_rfc3339(&timestamp).is_ok());
        assert_eq!(
            header("x-zendesk-webhook-signature"),
            expected_signature(&secret.signing_secret.secret, &timestamp, body)
        );
        let notice = parse_webhook_body(body).expect("zsync-mapping parses the body");
        assert_eq!(notice.ticket_ids, vec![id]);
        let value: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(value["subject"], format!("zen:ticket:{id}"));
        assert_eq!(value["detail"]["id"], id.to_string());
        assert_eq!(value["detail"]["status"], "SOLVED");
        types.push(notice.event_type);
    }
    types.sort();
    assert_eq!(
        types,
        [
            "zen:event-type:ticket.comment_added",
            "zen:event-type:ticket.status_changed"
        ]
    );

    // After DELETE nothing more is sent.
    let deleted = h
        .send_json(
            Method::DELETE,
            &format!("/api/v2/webhooks/{}", hook.webhook.id),
            json!({}),
        )
        .await;
    assert_eq!(deleted.status(), 204);
    h.sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Open),
                ..Default::default()
            },
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn webhooks_to_non_loopback_hosts_are_refused() {
    let h = Harness::start().await;
    let response = h
        .send_json(
            Method::POST,
            "/api/v2/webhooks",
            json!({"webhook": {
            "name": "x", "endpoint": "https://example.com/hook",
            "subscriptions": ["conditional_ticket_events"]}}),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(h.sim.webhooks().is_empty());
}

#[tokio::test]
async fn conditional_ticket_events_get_one_trigger_body_per_change() {
    let h = Harness::start().await;
    let (endpoint, received) = receiver().await;
    let created = h
        .send_json(Method::POST, "/api/v2/webhooks", json!({"webhook": {
            "name": "trigger", "endpoint": endpoint, "subscriptions": ["conditional_ticket_events"]}}))
        .await;
    assert_eq!(created.status(), 201);
    let requester = h.end_user("Lu", "lu@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });
    let deliveries = h
        .sim
        .wait_for_webhook_deliveries(1, Duration::from_secs(5))
        .await;
    assert_eq!(deliveries.len(), 1);
    let body = received.lock().unwrap()[0].1.clone();
    let notice = parse_webhook_body(&body).unwrap();
    assert_eq!(
        (notice.event_type.as_str(), notice.ticket_ids),
        ("trigger", vec![id])
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_event_id_until_one_succeeds() {
    let h = Harness::start().await;
    // A receiver that is down for the first two attempts, then answers 200.
    let calls = Arc::new(Mutex::new(0u32));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/flaky",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                let mut n = counter.lock().unwrap();
                *n += 1;
                if *n <= 2 {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let created = h
        .send_json(
            Method::POST,
            "/api/v2/webhooks",
            json!({"webhook": {
            "name": "flaky", "endpoint": format!("http://{addr}/flaky"),
            "subscriptions": ["zen:event-type:ticket.created"]}}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let requester = h.end_user("Ned", "ned@example.com");
    h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });

    let deliveries = h
        .sim
        .wait_for_webhook_deliveries(3, Duration::from_secs(10))
        .await;
    let outcome: Vec<(u32, Option<u16>)> =
        deliveries.iter().map(|d| (d.attempt, d.status)).collect();
    assert_eq!(
        outcome,
        vec![(1, Some(503)), (2, Some(503)), (3, Some(200))]
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.event_id == deliveries[0].event_id)
    );
}
