//! The push outbox and the mapper's Zendesk waits on the AWS adapters (DynamoDB, SQS on moto),
//! driven through what the Lambdas run: the API router, the scheduler's `run_exports`, and SQS
//! receive → `process_batch_within` with the messages' receipt handles (the mapper Lambda).

mod api_common;
mod aws_common;
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;

use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use e2e_aws_common::{MAX_RECEIVES, World};
use export_common::queues::TestQueue;
use serde_json::{Value, json};
use tower::ServiceExt;
use zsync_api::{Auth, api_router};
use zsync_aws::aws_sdk_sqs::types::MessageSystemAttributeName;
use zsync_core::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_core::sync::{ReceivedMessage, process_batch_within};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus};
use zsync_zendesk_sim::{FaultPlan, TicketChange};

async fn call(
    router: &Router,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_and_a_comment_whose_send_to_sqs_failed_reach_zendesk_after_the_sweep() {
    let w = World::start(100).await;
    let (case_id, ticket) = w.published_case("Queue down").await;
    let mut broken = w.ctx.clone();
    broken.queue = TestQueue::breaks_after(w.queue.clone(), 0);
    let auth = Auth::hs256(&api_common::AUTH_SECRET.to_owned().into()).expect("auth");
    let api = api_router(broken, auth);

    let (status, body) = call(
        &api,
        &w.owner_token,
        Method::PATCH,
        &format!("/cases/{case_id}"),
        json!({"priority": "high"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &api,
        &w.owner_token,
        Method::POST,
        &format!("/cases/{case_id}/comments"),
        json!({"body": "Sent while SQS refused"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(w.queue_depth().await, 0, "nothing reached SQS");
    assert_eq!(
        w.sim.ticket(ticket).unwrap().priority,
        Some(TicketPriority::Normal)
    );

    w.export(&w.ctx).await;
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{:?}", pumped.failed);
    assert_eq!(
        w.sim.ticket(ticket).unwrap().priority,
        Some(TicketPriority::High)
    );
    let written = w
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Sent while SQS refused"))
        .count();
    assert_eq!(written, 1);
    assert!(
        w.ctx
            .store
            .list_pending_pushes(&w.integration, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The mapper Lambda once: receive (with receipts, hidden for 2 s) and `process_batch_within`; returns the
/// ids received and the ids reported failed.
async fn lambda_once(w: &World) -> (Vec<String>, Vec<String>) {
    let out = w
        .sqs
        .receive_message()
        .queue_url(&w.urls.queue_url)
        .max_number_of_messages(10)
        .visibility_timeout(2)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .expect("receive");
    let batch: Vec<ReceivedMessage> = out
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| ReceivedMessage {
            id: m.message_id.clone().expect("id"),
            receive_count: m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|n| n.parse().ok())
                .expect("receive count"),
            body: m.body.unwrap_or_default(),
            receipt: m.receipt_handle,
        })
        .collect();
    let receipts: Vec<(String, String)> = batch
        .iter()
        .map(|m| (m.id.clone(), m.receipt.clone().expect("receipt")))
        .collect();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
    let failed = process_batch_within(&w.ctx, batch, MAX_RECEIVES, deadline).await;
    // What the event source does with ReportBatchItemFailures: delete the rest.
    for (id, receipt) in receipts.iter().filter(|(id, _)| !failed.contains(id)) {
        w.sqs
            .delete_message()
            .queue_url(&w.urls.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete {id}: {e}"));
    }
    let ids = receipts.into_iter().map(|(id, _)| id).collect();
    (ids, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_sqs_hides_a_waiting_message_and_a_push_stays_in_the_outbox() {
    let w = World::start(100).await;
    let (case_id, ticket) = w.published_case("Outage").await;
    w.sim
        .agent_update_ticket(
            ticket,
            TicketChange {
                status: Some(TicketStatus::Pending),
                ..TicketChange::default()
            },
        )
        .unwrap();
    w.sim.inject_faults(FaultPlan {
        error_5xx_rate: 1.0,
        ..FaultPlan::default()
    });
    w.queue
        .send(&[SyncMessage::TicketChanged {
            integration_id: w.integration.clone(),
            ticket_id: ticket,
            event_id: None,
        }])
        .await
        .unwrap();
    let edited = w
        .call(
            Method::PATCH,
            &format!("/cases/{case_id}"),
            Some(json!({"priority": "high"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);

    let (received, failed) = lambda_once(&w).await;
    assert_eq!(received.len(), 2, "the webhook's message and the push");
    assert_eq!(
        failed.len(),
        1,
        "only the inbound message waits: {failed:?}"
    );
    // The push is done with the queue (the event source deletes it); its entry waits.
    let pending = w
        .ctx
        .store
        .list_pending_pushes(&w.integration, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    // ChangeMessageVisibility hid the waiting message for a minute, not the 2 s of the
    // receive: after those it is still in flight.
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    let again = w
        .sqs
        .receive_message()
        .queue_url(&w.urls.queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    assert!(again.messages.unwrap_or_default().is_empty());
    assert_eq!(
        w.queue_depth().await,
        1,
        "the waiting message is still in flight"
    );

    // Zendesk is back: the scheduler's sweep re-enqueues the push and the mapper does it.
    w.sim.clear_faults();
    w.export(&w.ctx).await;
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{:?}", pumped.failed);
    assert_eq!(
        w.sim.ticket(ticket).unwrap().priority,
        Some(TicketPriority::High)
    );
    assert!(
        w.ctx
            .store
            .list_pending_pushes(&w.integration, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_written_before_the_publish_reaches_zendesk_after_it() {
    let w = World::start(100).await;
    let created = w
        .call(
            Method::POST,
            "/cases",
            Some(json!({"subject": "Commented first"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let case_id = created.json["id"].as_str().expect("case id").to_owned();
    let comment = w
        .call(
            Method::POST,
            &format!("/cases/{case_id}/comments"),
            Some(json!({"body": "Noted before publishing"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    let published = w
        .call(
            Method::POST,
            &format!("/cases/{case_id}/publish"),
            Some(json!({"integration_id": w.integration.as_str()})),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let ticket = published.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("linked");
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{:?}", pumped.failed);
    let written = w
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Noted before publishing"))
        .count();
    assert_eq!(written, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_comment_with_the_same_idempotency_key_is_one_comment_on_dynamodb() {
    let w = World::start(100).await;
    let (case_id, ticket) = w.published_case("Keyed").await;
    let keyed = || async {
        let request = Request::post(format!("/cases/{case_id}/comments"))
            .header(header::AUTHORIZATION, format!("Bearer {}", w.owner_token))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", "client-retry-1")
            .body(Body::from(json!({"body": "Exactly one"}).to_string()))
            .expect("request");
        let response = w
            .api
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        )
    };
    let (first_status, first) = keyed().await;
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    let (again_status, again) = keyed().await;
    assert_eq!(again_status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{:?}", pumped.failed);
    let stored = w
        .ctx
        .store
        .list_comments(&zsync_mapping::CaseId::new(case_id.clone()))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.body == "Exactly one")
        .count();
    assert_eq!(stored, 1);
    let written = w
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Exactly one"))
        .count();
    assert_eq!(written, 1);
}
