//! Nothing the CRM changes is lost (the push outbox), through the HTTP API on the embedded
//! store, with the mapper (`handle_message`) and the scheduler (`run_exports`) as the local
//! server runs them, against the simulator.

mod api_common;
mod export_common;

use std::sync::Arc;

use api_common::Api;
use axum::http::StatusCode;
use export_common::queues::TestQueue;
use serde_json::json;
use zsync_core::ports::SyncQueue;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::TicketPriority;

/// A published case of a two-way integration; returns (integration, case, ticket, token).
async fn published(api: &Api) -> (String, String, u64, String) {
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    let case = api
        .post("/cases", &owner_token, json!({"subject": "Linked"}))
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.text);
    let id = case.json["id"].as_str().unwrap().to_owned();
    let published = api
        .post(
            &format!("/cases/{id}/publish"),
            &owner_token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let ticket = published.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("ticket number");
    api.run_mapper().await;
    (integration, id, ticket, owner_token)
}

#[tokio::test]
async fn an_edit_and_a_comment_whose_enqueue_failed_still_reach_zendesk() {
    let api = Api::start().await;
    let (integration, id, ticket, token) = published(&api).await;
    let embedded: Arc<dyn SyncQueue> = api.queue.clone();
    let healthy = api.ctx.clone();
    let api = api.with_queue(TestQueue::breaks_after(embedded, 0));

    let edited = api
        .patch(
            &format!("/cases/{id}"),
            &token,
            json!({"subject": "Renamed while the queue was down", "priority": "high"}),
        )
        .await;
    assert_eq!(
        edited.status,
        StatusCode::OK,
        "saved with its outbox entry: {}",
        edited.text
    );
    let comment = api
        .post(
            &format!("/cases/{id}/comments"),
            &token,
            json!({"body": "Written while the queue was down"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    assert!(api.drain_queue().await.is_empty(), "nothing was enqueued");
    let pending = healthy
        .store
        .list_pending_pushes(&IntegrationId::new(integration.clone()), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "one entry for the case: {pending:?}");
    assert!(pending[0].fields && pending[0].comments);

    // The queue is back; the scheduler's next run sweeps the outbox.
    let api = api.with_queue(healthy.queue.clone());
    api.run_scheduler().await;
    assert!(api.run_mapper().await >= 1);
    let zendesk = api.sim.ticket(ticket).unwrap();
    assert_eq!(
        zendesk.subject.as_deref(),
        Some("Renamed while the queue was down")
    );
    assert_eq!(zendesk.priority, Some(TicketPriority::High));
    let written = api
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Written while the queue was down"))
        .count();
    assert_eq!(written, 1);
    assert!(
        api.ctx
            .store
            .list_pending_pushes(&IntegrationId::new(integration), 10)
            .await
            .unwrap()
            .is_empty(),
        "cleared once pushed"
    );
    // A second sweep enqueues nothing and pushes nothing twice.
    api.run_scheduler().await;
    api.run_mapper().await;
    let again = api
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Written while the queue was down"))
        .count();
    assert_eq!(again, 1);
}

#[tokio::test]
async fn a_change_made_while_the_integration_is_inactive_is_pushed_on_activation() {
    let api = Api::start().await;
    let (integration, id, ticket, token) = published(&api).await;
    let deactivated = api
        .post(
            &format!("/integrations/{integration}/deactivate"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);

    let edited = api
        .patch(&format!("/cases/{id}"), &token, json!({"priority": "high"}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let comment = api
        .post(
            &format!("/cases/{id}/comments"),
            &token,
            json!({"body": "Written while inactive"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    // The mapper takes the messages and pushes nothing to an inactive integration.
    assert_eq!(api.run_mapper().await, 2);
    assert_eq!(
        api.sim.ticket(ticket).unwrap().priority,
        Some(TicketPriority::Normal)
    );

    let activated = api
        .post(
            &format!("/integrations/{integration}/activate"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
    assert_eq!(
        api.run_mapper().await,
        1,
        "activation enqueued the pending case"
    );
    assert_eq!(
        api.sim.ticket(ticket).unwrap().priority,
        Some(TicketPriority::High)
    );
    let written = api
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Written while inactive"))
        .count();
    assert_eq!(written, 1);
}

#[tokio::test]
async fn comments_written_before_the_publish_reach_zendesk_right_after_it() {
    let api = Api::start().await;
    let (owner, token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&token, &owner, true, true).await;
    let case = api
        .post(
            "/cases",
            &token,
            json!({"subject": "Unpublished", "description": "What happened"}),
        )
        .await;
    let id = case.json["id"].as_str().unwrap().to_owned();
    for body in [
        "First note before publishing",
        "Second note before publishing",
    ] {
        let comment = api
            .post(
                &format!("/cases/{id}/comments"),
                &token,
                json!({"body": body}),
            )
            .await;
        assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    }
    assert!(
        api.drain_queue().await.is_empty(),
        "an unlinked case pushes nothing"
    );
    let published = api
        .post(
            &format!("/cases/{id}/publish"),
            &token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let ticket = published.json["ticket"]["ticket_number"].as_u64().unwrap();
    api.run_mapper().await;
    let bodies: Vec<String> = api
        .sim
        .comments(ticket)
        .into_iter()
        .map(|c| c.body)
        .collect();
    for note in [
        "First note before publishing",
        "Second note before publishing",
    ] {
        assert_eq!(
            bodies.iter().filter(|b| b.contains(note)).count(),
            1,
            "{note} once: {bodies:?}"
        );
    }
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b.contains("What happened"))
            .count(),
        1,
        "the description is not pushed again: {bodies:?}"
    );
    let shown = api.get(&format!("/cases/{id}"), &token).await;
    let unlinked = shown.json["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["zendesk_comment_id"].is_null())
        .count();
    assert!(unlinked <= 1, "the notes are linked: {}", shown.text);
}

async fn keyed_comment(
    api: &Api,
    token: &str,
    case: &str,
    key: &str,
    body: &str,
) -> api_common::Reply {
    let request = axum::http::Request::post(format!("/cases/{case}/comments"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(axum::body::Body::from(json!({"body": body}).to_string()))
        .unwrap();
    api.send(request).await
}

#[tokio::test]
async fn a_retried_comment_with_the_same_idempotency_key_creates_one_comment() {
    let api = Api::start().await;
    let (_integration, id, ticket, token) = published(&api).await;
    let first = keyed_comment(&api, &token, &id, "retry-7f3a", "Only once, please").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let retried = keyed_comment(&api, &token, &id, "retry-7f3a", "Only once, please").await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.text);
    assert_eq!(
        retried.json["id"], first.json["id"],
        "the first comment answers"
    );
    let other = keyed_comment(&api, &token, &id, "retry-8b1c", "Only once, please").await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    assert_ne!(
        other.json["id"], first.json["id"],
        "another key, another comment"
    );
    let refused = keyed_comment(&api, &token, &id, &"k".repeat(256), "x").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(refused.text.contains("Idempotency-Key"), "{}", refused.text);

    let shown = api.get(&format!("/cases/{id}"), &token).await;
    let copies = shown.json["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["body"] == "Only once, please")
        .count();
    assert_eq!(copies, 2, "one per key: {}", shown.text);
    api.run_mapper().await;
    let in_zendesk = api
        .sim
        .comments(ticket)
        .into_iter()
        .filter(|c| c.body.contains("Only once, please"))
        .count();
    assert_eq!(in_zendesk, 2, "one per key in Zendesk too");
}
