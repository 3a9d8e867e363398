//! Hostile text never stalls a sync, end to end on the AWS adapters (SQS + DLQ, DynamoDB,
//! Secrets Manager on moto): a subject, comment and user name with U+FFFF, U+FFFE and control
//! characters reach the CRM exactly; a message SQS keeps refusing is dead-lettered with its
//! reason and logged, and the export moves on.
//!
//! moto 5.2.5 accepts every character in a body (its `_validate_message` checks only the size,
//! counted in characters) where SQS refuses anything outside XML 1.0 `Char`. The SQS adapter
//! therefore checks the rule itself before sending, so the first test fails here too without
//! the encoder; the encoder's own property tests (`zsync-core`, `message::queue_text`) prove
//! every encoded body is SQS-legal and decodes exactly.

mod api_common;
mod aws_common;
// Shared with e2e_aws.rs, which uses the rest of it.
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;
mod hostile_common;

use std::sync::Arc;

use e2e_aws_common::World;
use e2e_aws_common::checks::{assert_nothing_failed, seed};
use hostile_common::{assert_crm_holds_the_exact_text, seed_hostile};
use zsync_aws::SqsQueue;
use zsync_aws::aws_sdk_sqs::types::QueueAttributeName;
use zsync_core::context::SyncContext;
use zsync_core::export::RunEnd;
use zsync_core::message::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_mapping::LogOutcome;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::NewTicket;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_subject_comment_and_user_name_reach_the_crm_intact_through_sqs() {
    let w = World::start(20).await;
    seed(&w, 5, 1);
    let seeded = seed_hostile(&w.sim);

    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    assert_eq!(run.tickets_enqueued, 6);
    w.pump().await;

    let record = w
        .record(seeded.ticket)
        .await
        .expect("the hostile ticket has a case");
    assert_crm_holds_the_exact_text(w.ctx.store.as_ref(), &record.case_id).await;
    assert_nothing_failed(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sqs_keeps_refusing_is_dead_lettered_logged_and_passed() {
    let w = World::start(20).await;
    seed(&w, 6, 1);
    let requester = w.sim.add_user(
        "Big Sender",
        Some("big@customer.example.com"),
        UserRole::EndUser,
    );
    let big = w.sim.add_ticket(NewTicket {
        subject: "Huge attachment inline".into(),
        description: "x".repeat(20_000),
        requester_id: requester,
        ..NewTicket::default()
    });
    // A queue that takes 8 KiB (the adapter splits for 256 KiB, so SQS itself refuses the
    // big ticket's messages, and with them the whole batch they are in), with the usual DLQ.
    let small_url = w
        .sqs
        .create_queue()
        .queue_name(format!("{}-small", aws_common::unique("zsync")))
        .attributes(QueueAttributeName::MaximumMessageSize, "8192")
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("url");
    let small = Arc::new(SqsQueue::new(w.sqs.clone(), &small_url, &w.urls.dlq_url));
    let ctx = SyncContext {
        queue: small.clone(),
        ..w.ctx.clone()
    };

    let run = w.export(&ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "the export moved on: {run:?}");
    assert_eq!(run.tickets_enqueued, 6, "every ticket but the refused one");

    let mut snapshots = Vec::new();
    for _ in 0..50 {
        let got = small
            .receive(10, chrono::Duration::minutes(5))
            .await
            .expect("receive");
        if got.is_empty() {
            break;
        }
        for d in got {
            small.ack(&d.receipt).await.expect("ack");
            if let SyncMessage::TicketSnapshot { ticket, .. } = d.message {
                snapshots.push(ticket.id);
            }
        }
    }
    snapshots.sort_unstable();
    let expected: Vec<u64> = w
        .sim
        .tickets()
        .iter()
        .map(|t| t.id)
        .filter(|t| *t != big)
        .collect();
    assert_eq!(
        snapshots, expected,
        "the refused ticket's neighbours arrived"
    );

    let dead = aws_common::dead_letters(&w.sqs, &w.urls.dlq_url).await;
    assert_eq!(dead.len(), 2, "the snapshot and the description comment");
    for (body, reason) in &dead {
        let ticket = match SyncMessage::decode(body).expect("the body is kept whole") {
            SyncMessage::TicketSnapshot { ticket, .. } => ticket.id,
            SyncMessage::TicketComments { ticket_id, .. } => ticket_id,
            other => panic!("{other:?}"),
        };
        assert_eq!(ticket, big);
        assert!(reason.contains("after 3 tries"), "{reason}");
    }
    let log = w
        .ctx
        .store
        .list_log(&w.integration, 100)
        .await
        .expect("log");
    let failed: Vec<_> = log
        .iter()
        .filter(|e| e.outcome == LogOutcome::Failed)
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed.iter().all(|e| e.ticket_number == Some(big)),
        "{failed:?}"
    );

    let again = w.export(&ctx).await;
    assert_eq!(again.end, RunEnd::Complete);
    assert_eq!(
        (again.tickets_enqueued, again.comment_messages),
        (0, 0),
        "the cursor moved past it: {again:?}"
    );
}
