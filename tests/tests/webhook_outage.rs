//! The webhook route needs no authentication, so its 503 names no internals: what the queue or
//! store said (SDK text with ARNs and account ids) goes to the logs, the body is generic.

mod export_common;

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, SecondsFormat};
use export_common::{Harness, WEBHOOK_SECRET};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::Clock;
use zsync_core::message::SyncMessage;
use zsync_core::ports::{Delivery, QueueError, QueueResult, SyncQueue};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// What the SQS adapter reports when the function's role may not send (the SDK's own text).
const SDK_TEXT: &str = "SQS SendMessageBatch: service error: AccessDenied: User: \
    arn:aws:sts::123456789012:assumed-role/zsync-webhook/fn is not authorized to perform: \
    sqs:SendMessage on resource: arn:aws:sqs:eu-west-1:123456789012:zsync-queue";

struct DeniedQueue;

fn denied<T>() -> QueueResult<T> {
    Err(QueueError::Unavailable(SDK_TEXT.to_owned()))
}

#[async_trait]
impl SyncQueue for DeniedQueue {
    async fn send(&self, _: &[SyncMessage]) -> QueueResult<()> {
        denied()
    }
    async fn receive(&self, _: usize, _: Duration) -> QueueResult<Vec<Delivery>> {
        denied()
    }
    async fn ack(&self, _: &str) -> QueueResult<()> {
        denied()
    }
    async fn retry_later(&self, _: &str, _: Duration) -> QueueResult<()> {
        denied()
    }
    async fn dead_letter(&self, _: &str, _: &str) -> QueueResult<()> {
        denied()
    }
    async fn dead_letter_body(&self, _: &str, _: &str) -> QueueResult<()> {
        denied()
    }
    async fn depth(&self) -> QueueResult<usize> {
        denied()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_outage_answers_503_without_the_sdk_text() {
    let h = Harness::start(100).await;
    let router = webhook_router(h.ctx_with_queue(Arc::new(DeniedQueue)));
    let body = json!({
        "type": "zen:event-type:ticket.status_changed", "account_id": 1, "id": "e-outage",
        "time": "2026-11-26T09:00:00Z", "subject": "zen:ticket:42",
        "detail": {"id": "42"}, "event": {}
    })
    .to_string();
    let stamp = h.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let signature = sign(&SecretString::from(WEBHOOK_SECRET), &stamp, body.as_bytes());
    let request = Request::post("/webhooks/zendesk/acme")
        .header(SIGNATURE_HEADER, signature)
        .header(TIMESTAMP_HEADER, stamp)
        .body(Body::from(body))
        .expect("request");
    let response = router.oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes);
    for leak in ["arn:", "123456789012", "AccessDenied", "SendMessage", "sqs"] {
        assert!(!text.contains(leak), "{leak:?} in the 503 body: {text}");
    }
    let answer: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(answer["error"]["code"], "unavailable");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}
