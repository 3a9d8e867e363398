//! The webhook Lambda's path: an API Gateway (HTTP API) event, as lambda_http decodes it, into
//! the webhook route. A base64-encoded event body must reach the route as the original bytes,
//! or the signature (over the exact bytes) could not match.

mod export_common;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::SecondsFormat;
use export_common::{Harness, WEBHOOK_SECRET};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::Clock;
use zsync_core::message::SyncMessage;
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

fn api_gateway_event(h: &Harness, body: &[u8], base64_encoded: bool) -> String {
    let timestamp = h.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let signature = sign(&SecretString::from(WEBHOOK_SECRET), &timestamp, body);
    let body = if base64_encoded {
        STANDARD.encode(body)
    } else {
        String::from_utf8(body.to_vec()).expect("text body")
    };
    json!({
        "version": "2.0",
        "routeKey": "POST /webhooks/zendesk/{integration_id}",
        "rawPath": "/webhooks/zendesk/acme",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature,
            TIMESTAMP_HEADER: timestamp,
            "user-agent": "Zendesk Webhook"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/webhooks/zendesk/acme",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "Zendesk Webhook"
            },
            "requestId": "req-1",
            "routeKey": "POST /webhooks/zendesk/{integration_id}",
            "stage": "$default",
            "time": "26/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1795683600000u64
        },
        "pathParameters": {"integration_id": "acme"},
        "body": body,
        "isBase64Encoded": base64_encoded
    })
    .to_string()
}

async fn invoke(h: &Harness, event: &str) -> (StatusCode, Value) {
    let request = lambda_http::request::from_str(event).expect("an API Gateway v2 event");
    let response = webhook_router(h.ctx.clone())
        .oneshot(request)
        .await
        .expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).expect("JSON"))
}

/// A body whose bytes a text round trip would not keep (non-ASCII, CRLF, tab).
fn body(event_id: &str) -> Vec<u8> {
    format!(
        "{{\"type\":\"zen:event-type:ticket.comment_added\",\"id\":\"{event_id}\",\r\n\t\"subject\":\"zen:ticket:77\",\"detail\":{{\"id\":\"77\"}},\"event\":{{\"comment\":{{\"body\":\"Grüße — ✓\"}}}}}}"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_base64_event_body_reaches_the_route_as_the_original_bytes() {
    let h = Harness::start(100).await;
    let (status, answer) = invoke(&h, &api_gateway_event(&h, &body("b64-1"), true)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    let (status, answer) = invoke(&h, &api_gateway_event(&h, &body("plain-1"), false)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    let mut tickets: Vec<(u64, Option<String>)> = h
        .drain()
        .await
        .into_iter()
        .map(|m| match m {
            SyncMessage::TicketChanged {
                ticket_id,
                event_id,
                ..
            } => (ticket_id, event_id),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    tickets.sort();
    assert_eq!(
        tickets,
        vec![(77, Some("b64-1".into())), (77, Some("plain-1".into()))]
    );
}
