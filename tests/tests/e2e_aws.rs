//! End to end on the AWS adapters: DynamoDB, SQS (+ DLQ) and Secrets Manager on moto, the real
//! Zendesk client against the simulator, driven only through what the Lambdas run (the API
//! router, the scheduler's `run_exports`, SQS receive → `process_batch`, the webhook route).
//! Run with `--nocapture` to see the request counts.

mod api_common;
mod aws_common;
mod e2e_aws_common;
mod export_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use e2e_aws_common::checks::{assert_account_mirrored, assert_nothing_failed, seed};
use e2e_aws_common::{MAX_RECEIVES, World};
use export_common::queues::TestQueue;
use serde_json::json;
use zsync_core::context::SyncContext;
use zsync_core::export::RunEnd;
use zsync_core::ports::SyncQueue;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus};
use zsync_mapping::{CasePriority, CaseStatus, LogOutcome};
use zsync_zendesk_sim::TicketChange;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_mirrors_the_account_and_a_second_run_changes_nothing() {
    let w = World::start(20).await;
    let tickets = seed(&w, 60, 2);
    let deleted: BTreeSet<u64> = tickets.iter().step_by(10).copied().collect();
    for ticket in &deleted {
        w.sim.delete_ticket(*ticket).expect("delete");
    }
    w.sim.reset_request_counts();
    w.dynamo.reset();
    w.sqs_requests.reset();

    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    assert_eq!(run.tickets_enqueued, 60, "deleted tickets are exported too");
    let pumped = w.pump().await;
    let zendesk = w.sim.total_requests();
    let dynamo = w.dynamo.total().requests;
    let sqs = w.sqs_requests.total().requests;
    assert_account_mirrored(&w, &deleted).await;
    assert_nothing_failed(&w).await;

    let emails: Vec<String> = {
        let page = w
            .ctx
            .store
            .list_contacts(None, 1000)
            .await
            .expect("contacts");
        assert!(page.next_cursor.is_none());
        page.items.into_iter().filter_map(|c| c.email).collect()
    };
    let unique: BTreeSet<_> = emails.iter().map(|e| e.to_lowercase()).collect();
    assert!(!emails.is_empty());
    assert_eq!(unique.len(), emails.len(), "one contact per e-mail");
    let live = (tickets.len() - deleted.len()) as u64;
    println!(
        "first sync: {} tickets ({live} live), {} messages in {} batches ({} redelivered); \
         Zendesk requests {zendesk} = {:.1} per 1,000 tickets; DynamoDB requests {dynamo} = {:.1} per synced ticket; SQS requests {sqs}",
        tickets.len(),
        pumped.received,
        pumped.batches,
        pumped.failed.len(),
        zendesk as f64 * 1000.0 / tickets.len() as f64,
        dynamo as f64 / live as f64,
    );

    let versions: Vec<u64> = {
        let mut v = Vec::new();
        for t in tickets.iter().filter(|t| !deleted.contains(t)) {
            v.push(w.case_of(*t).await.1);
        }
        v
    };
    let again = w.export(&w.ctx).await;
    assert_eq!(again.end, RunEnd::Complete, "{again:?}");
    assert_eq!((again.tickets_enqueued, again.comment_messages), (0, 0));
    assert_eq!(w.queue_depth().await, 0, "no new messages");
    let mut after = Vec::new();
    for t in tickets.iter().filter(|t| !deleted.contains(t)) {
        after.push(w.case_of(*t).await.1);
    }
    assert_eq!(after, versions, "cases untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_updates_the_case_once_and_a_forged_one_is_refused() {
    let w = World::start(100).await;
    seed(&w, 10, 1);
    w.export(&w.ctx).await;
    w.pump().await;
    let ticket = w
        .sim
        .tickets()
        .into_iter()
        .find(|t| matches!(t.status, Some(TicketStatus::New | TicketStatus::Open)))
        .expect("an open ticket")
        .id;
    let comments_before = w
        .ctx
        .store
        .list_comments(&w.case_of(ticket).await.0.id)
        .await;
    let comments_before = comments_before.expect("comments").len();

    w.sim
        .agent_update_ticket(
            ticket,
            TicketChange {
                status: Some(TicketStatus::Pending),
                priority: Some(TicketPriority::Urgent),
                comment: Some(("We called the customer back.".into(), true)),
                ..TicketChange::default()
            },
        )
        .expect("agent change");
    w.sim.reset_request_counts();
    let (status, answer) = w.deliver_event(ticket, "01HE2EAWS1", None).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    let pumped = w.pump().await;
    assert_eq!(pumped.received - pumped.failed.len(), 1, "{pumped:?}");
    let (case, version) = w.case_of(ticket).await;
    assert_eq!(
        (case.status, case.priority),
        (CaseStatus::InProgress, CasePriority::High)
    );
    let comments = w.ctx.store.list_comments(&case.id).await.expect("comments");
    assert_eq!(comments.len(), comments_before + 1);
    assert!(
        comments
            .iter()
            .any(|c| c.body.contains("called the customer back"))
    );
    println!(
        "webhook update: {} Zendesk requests",
        w.sim.total_requests()
    );

    let (status, answer) = w.deliver_event(ticket, "01HE2EAWS1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"accepted": 0, "duplicate": true}));
    let (status, _) = w
        .deliver_event(ticket, "01HE2EAWS2", Some("forged-secret"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(w.queue_depth().await, 0, "neither was enqueued");
    assert_eq!(w.case_of(ticket).await.1, version);
    assert_nothing_failed(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_once_then_push_only_the_edited_field_and_recognise_its_echo() {
    let w = World::start(100).await;
    let created = w
        .call(
            Method::POST,
            "/cases",
            Some(
                json!({"subject": "Printer on fire", "description": "Smoke", "priority": "normal"}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let case_id = created.json["id"].as_str().expect("case id").to_owned();
    let publish = format!("/cases/{case_id}/publish");
    let body = json!({"integration_id": w.integration.as_str()});
    let first = w.call(Method::POST, &publish, Some(body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let ticket = first.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("linked");
    let again = w.call(Method::POST, &publish, Some(body.clone())).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(w.sim.ticket_count(), 1);

    let raced = w
        .call(Method::POST, "/cases", Some(json!({"subject": "Raced"})))
        .await;
    let raced_id = raced.json["id"].as_str().expect("case id").to_owned();
    let path = format!("/cases/{raced_id}/publish");
    let (a, b) = tokio::join!(
        w.call(Method::POST, &path, Some(body.clone())),
        w.call(Method::POST, &path, Some(body.clone())),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text, b.text);
    let linked = w.sim.tickets().into_iter();
    let linked = linked.filter(|t| t.external_id.as_deref() == Some(raced_id.as_str()));
    assert_eq!(linked.count(), 1, "exactly one Zendesk ticket");
    w.pump().await;

    let before = w.sim.ticket(ticket).expect("ticket");
    w.sim.reset_request_counts();
    let edited = w
        .call(
            Method::PATCH,
            &format!("/cases/{case_id}"),
            Some(json!({"priority": "high"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let pushed = w.pump().await;
    assert_eq!(pushed.received - pushed.failed.len(), 1, "{pushed:?}");
    // One update, unless moto failed the write after it and the push was redelivered.
    let updates = w.sim.request_count("tickets_update");
    assert!(
        (1..=1 + pushed.failed.len() as u64).contains(&updates),
        "{updates}"
    );
    let after = w.sim.ticket(ticket).expect("ticket");
    assert_eq!(after.priority, Some(TicketPriority::High));
    assert_eq!(
        (
            &after.subject,
            &after.description,
            &after.status,
            after.assignee_id
        ),
        (
            &before.subject,
            &before.description,
            &before.status,
            before.assignee_id
        ),
        "nothing else changed"
    );

    // Zendesk reports our own update back.
    let (_, version) = w.case_of(ticket).await;
    let (status, _) = w.deliver_event(ticket, "01HE2EAWSECHO", None).await;
    assert_eq!(status, StatusCode::OK);
    let echo = w.pump().await;
    assert_eq!(echo.received - echo.failed.len(), 1, "{echo:?}");
    assert_eq!(w.queue_depth().await, 0, "the echo queued no push");
    assert_eq!(
        w.sim.request_count("tickets_update"),
        updates,
        "and none was made"
    );
    assert_eq!(w.case_of(ticket).await.1, version, "the case is unchanged");
    assert_nothing_failed(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_cut_off_after_two_pages_resumes_without_loss_or_duplicates() {
    let w = World::start(10).await;
    seed(&w, 50, 2);
    let sqs: Arc<dyn SyncQueue> = w.queue.clone();
    let flaky = SyncContext {
        queue: TestQueue::breaks_after(sqs, 2),
        ..w.ctx.clone()
    };
    let cut = w.export(&flaky).await;
    assert!(matches!(cut.end, RunEnd::Paused(_)), "{cut:?}");
    assert_eq!(cut.tickets_enqueued, 20, "two pages made it");
    // The mapper works on what arrived while the scheduler is down.
    w.pump().await;
    assert_eq!(w.all_cases().await.len(), 20);

    let resumed = w.export(&w.ctx).await;
    assert_eq!(resumed.end, RunEnd::Complete, "{resumed:?}");
    assert_eq!(resumed.job_id, cut.job_id, "the same job continues");
    assert_eq!(resumed.tickets_enqueued, 30, "from page three on");
    w.pump().await;
    assert_account_mirrored(&w, &BTreeSet::new()).await;
    assert_nothing_failed(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_leave_their_reason_and_do_not_fail_their_batch() {
    let w = World::start(100).await;
    let integration = w.integration.as_str();
    // From a newer deploy: may be readable later, so retried until SQS dead-letters it.
    let newer = json!({"v": 99, "kind": "ticket_changed", "body": {"integration_id": integration, "ticket_id": 1}}).to_string();
    // Never readable: dead-lettered at once, with the reason (no pointless retries).
    let broken = json!({"v": 1, "kind": "ticket_snapshot", "body": {"integration_id": integration, "ticket": "?"}}).to_string();
    let mut ids = Vec::new();
    for body in [&newer, &broken, &"}{ not json".to_owned()] {
        let sent = w
            .sqs
            .send_message()
            .queue_url(&w.urls.queue_url)
            .message_body(body)
            .send()
            .await
            .expect("send raw");
        ids.push(sent.message_id.expect("message id"));
    }
    seed(&w, 8, 1);
    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");

    let pumped = w.pump().await;
    let retried = |id: &String| pumped.failed.iter().filter(|f| *f == id).count();
    assert_eq!(retried(&ids[0]), MAX_RECEIVES as usize, "{pumped:?}");
    assert_eq!(
        (retried(&ids[1]), retried(&ids[2])),
        (0, 0),
        "dead-lettered at once, not retried"
    );
    assert_account_mirrored(&w, &BTreeSet::new()).await;
    let dead = aws_common::dead_letters(&w.sqs, &w.urls.dlq_url).await;
    let mut dead: Vec<&str> = dead.iter().map(|(body, _)| body.as_str()).collect();
    dead.sort_unstable();
    let mut expected = vec![newer.as_str(), broken.as_str(), "}{ not json"];
    expected.sort_unstable();
    assert_eq!(
        dead, expected,
        "every poison message is kept in the DLQ, none is lost"
    );
    let log = w
        .ctx
        .store
        .list_log(&w.integration, 500)
        .await
        .expect("log");
    let failed: Vec<&str> = log
        .iter()
        .filter(|e| e.outcome == LogOutcome::Failed)
        .map(|e| e.message.as_str())
        .collect();
    assert!(
        failed.iter().any(|m| m.contains("version 99")),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|m| m.contains("undecodable")),
        "{failed:?}"
    );
}
