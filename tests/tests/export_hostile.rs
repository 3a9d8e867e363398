//! Hostile text never stalls a sync, on the embedded adapters (whose queue refuses what SQS
//! refuses): a subject, comment and user name with U+FFFF, U+FFFE and control characters go
//! export → queue → mapper → store intact; a message the queue keeps refusing is dead-lettered
//! with its reason and logged for its ticket, and the export moves on.

mod export_common;
mod hostile_common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use export_common::{Harness, deadline, snapshot_counts};
use hostile_common::{assert_crm_holds_the_exact_text, seed_hostile};
use zsync_core::export::{RunEnd, run_integration_export};
use zsync_core::message::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_core::sync::run_worker;
use zsync_embedded::{EmbeddedQueue, QueueOptions};
use zsync_mapping::LogOutcome;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::NewTicket;

/// Runs the local server's queue worker until the queue is empty (bounded).
async fn map_everything(h: &Harness) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run_worker(h.ctx.clone(), 5, async {
        let _ = stopped.await;
    }));
    for _ in 0..200 {
        if h.queue.depth().await.expect("depth") == 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let stats = worker.await.expect("worker");
    assert_eq!(h.queue.depth().await.expect("depth"), 0, "{stats:?}");
    assert_eq!(stats.dead_lettered, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_subject_comment_and_user_name_reach_the_crm_intact() {
    let h = Harness::start(20).await;
    h.seed(5, 1);
    let seeded = seed_hostile(&h.sim);

    let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    assert_eq!(run.tickets_enqueued, 6);
    map_everything(&h).await;

    let record = h
        .ctx
        .store
        .get_ticket_record(&h.integration, seeded.ticket)
        .await
        .expect("record")
        .expect("the hostile ticket has a case")
        .value;
    assert_crm_holds_the_exact_text(h.ctx.store.as_ref(), &record.case_id).await;
    assert!(
        h.queue
            .dead_letters()
            .await
            .expect("dead letters")
            .is_empty()
    );
    let log = h
        .ctx
        .store
        .list_log(&h.integration, 100)
        .await
        .expect("log");
    assert!(
        log.iter().all(|e| e.outcome != LogOutcome::Failed),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_queue_keeps_refusing_is_dead_lettered_logged_and_passed() {
    let h = Harness::start(20).await;
    h.seed(6, 1);
    // The queue takes 8 KiB (the export splits for SQS's 256 KiB): this ticket's snapshot and
    // its description comment are refused on every try, its neighbours on the page are not.
    let requester = h.sim.add_user(
        "Big Sender",
        Some("big@customer.example.com"),
        UserRole::EndUser,
    );
    let big = h.sim.add_ticket(NewTicket {
        subject: "Huge attachment inline".into(),
        description: "x".repeat(20_000),
        requester_id: requester,
        ..NewTicket::default()
    });
    let dir = tempfile::TempDir::new().expect("temp dir");
    let small = Arc::new(
        EmbeddedQueue::open_with(
            dir.path().join("small.redb"),
            QueueOptions {
                max_message_bytes: 8 * 1024,
                ..QueueOptions::default()
            },
        )
        .await
        .expect("queue"),
    );
    let ctx = h.ctx_with_queue(small.clone());

    let run = run_integration_export(&ctx, &h.integration, deadline()).await;
    assert_eq!(run.end, RunEnd::Complete, "the export moved on: {run:?}");
    assert_eq!(run.tickets_enqueued, 6, "every ticket but the refused one");

    let mut sent = Vec::new();
    for _ in 0..100 {
        let got = small
            .receive(100, chrono::Duration::minutes(5))
            .await
            .expect("receive");
        if got.is_empty() {
            break;
        }
        for d in got {
            small.ack(&d.receipt).await.expect("ack");
            sent.push(d.message);
        }
    }
    let counts = snapshot_counts(&sent);
    let expected: Vec<u64> = h
        .all_ticket_ids()
        .into_iter()
        .filter(|t| *t != big)
        .collect();
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), expected);

    let dead = small.dead_letters().await.expect("dead letters");
    assert_eq!(
        dead.len(),
        2,
        "the snapshot and the description comment: {dead:?}"
    );
    for letter in &dead {
        let message = SyncMessage::decode(&letter.body).expect("the body is kept whole");
        let ticket = match &message {
            SyncMessage::TicketSnapshot { ticket, .. } => ticket.id,
            SyncMessage::TicketComments { ticket_id, .. } => *ticket_id,
            other => panic!("{other:?}"),
        };
        assert_eq!(ticket, big);
        assert!(
            letter.reason.contains("after 3 tries") && letter.reason.contains("too large"),
            "{}",
            letter.reason
        );
    }

    let log = h
        .ctx
        .store
        .list_log(&h.integration, 100)
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
    let jobs = h
        .ctx
        .store
        .list_jobs(&h.integration, 10)
        .await
        .expect("jobs");
    assert_eq!(jobs[0].counters.failed, 2, "one per stream: {:?}", jobs[0]);

    // The cursor moved past it: nothing is sent again.
    let again = run_integration_export(&ctx, &h.integration, deadline()).await;
    assert_eq!(again.end, RunEnd::Complete);
    assert_eq!(
        (again.tickets_enqueued, again.comment_messages),
        (0, 0),
        "{again:?}"
    );
    assert_eq!(small.depth().await.expect("depth"), 0);
}
