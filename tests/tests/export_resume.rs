//! The export survives being cut off anywhere (a failed send, a run dropped mid-page, a 429
//! storm) without losing a ticket, and never runs twice at once for one integration.

mod export_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use export_common::queues::TestQueue;
use export_common::{
    API_EMAIL, API_TOKEN, Harness, as_sets, deadline, sent_comments, snapshot_counts,
};
use zsync_core::export::{LEASE_TTL, RunEnd, run_integration_export};
use zsync_core::message::SyncMessage;
use zsync_mapping::JobState;
use zsync_zendesk_sim::RateLimit;

fn assert_everything_sent(h: &Harness, messages: &[SyncMessage]) {
    let counts = snapshot_counts(messages);
    let sent: Vec<u64> = counts.keys().copied().collect();
    let all: Vec<u64> = h.all_ticket_ids().into_iter().collect();
    assert_eq!(sent, all, "every ticket reached the queue");
    assert_eq!(
        as_sets(&sent_comments(messages)),
        h.all_comment_ids(),
        "every comment"
    );
}

#[tokio::test]
async fn a_failed_send_after_page_two_resumes_without_losing_a_ticket() {
    let h = Harness::start(20).await;
    h.seed(100, 2);
    let flaky = h.ctx_with_queue(TestQueue::breaks_after(h.queue.clone(), 2));
    let first = run_integration_export(&flaky, &h.integration, deadline()).await;
    assert!(matches!(first.end, RunEnd::Paused(_)), "{first:?}");
    assert_eq!(first.tickets_enqueued, 40, "two pages made it");
    let job = first.job_id.clone().expect("a job for the work found");

    let second = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(second.end, RunEnd::Complete, "{second:?}");
    assert_eq!(second.job_id, Some(job), "the same job continues");
    assert_eq!(
        second.tickets_enqueued, 60,
        "continues after the last stored page"
    );
    let messages = h.drain().await;
    assert_everything_sent(&h, &messages);
    assert!(
        snapshot_counts(&messages).values().all(|n| *n == 1),
        "nothing sent twice here"
    );
}

#[tokio::test]
async fn a_scheduled_job_whose_first_page_failed_is_continued_not_orphaned() {
    let h = Harness::start(20).await;
    h.seed(30, 1);
    let broken = h.ctx_with_queue(TestQueue::breaks_after(h.queue.clone(), 0));
    let first = run_integration_export(&broken, &h.integration, deadline()).await;
    assert!(matches!(first.end, RunEnd::Paused(_)), "{first:?}");
    let job = first.job_id.expect("the run found work");

    let second = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(second.end, RunEnd::Complete);
    assert_eq!(second.job_id.as_ref(), Some(&job));
    let jobs = h
        .ctx
        .store
        .list_jobs(&h.integration, 10)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        (
            jobs[0].state,
            jobs[0].export_complete,
            jobs[0].counters.tickets_seen
        ),
        (JobState::Running, true, 30),
        "exported once in all; the mapper (not run here) finishes it"
    );
    assert_everything_sent(&h, &h.drain().await);
}

#[tokio::test]
async fn a_run_dropped_mid_page_resumes_once_its_lease_expires() {
    let h = Harness::start(20).await;
    h.seed(100, 2);
    let hanging = h.ctx_with_queue(TestQueue::hangs_after(h.queue.clone(), 3));
    let cut = tokio::time::timeout(
        StdDuration::from_secs(3),
        run_integration_export(&hanging, &h.integration, deadline()),
    )
    .await;
    assert!(cut.is_err(), "the run hung in page 4 and was dropped");

    // The dropped run still holds the lease: nobody else may export yet.
    let blocked = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(blocked.end, RunEnd::Busy);

    h.clock.advance(LEASE_TTL + Duration::seconds(1));
    let resumed = run_integration_export(&h.ctx, &h.integration, deadline()).await;
    assert_eq!(resumed.end, RunEnd::Complete, "{resumed:?}");
    assert_eq!(
        resumed.tickets_enqueued, 40,
        "from page 4 on: 100 - 3 pages of 20"
    );
    assert_everything_sent(&h, &h.drain().await);
}

#[tokio::test]
async fn two_concurrent_runs_one_exports_the_other_is_refused() {
    let h = Harness::start(10).await;
    h.seed(60, 1);
    let slow = h.ctx_with_queue(TestQueue::slow(
        h.queue.clone(),
        StdDuration::from_millis(30),
    ));
    let (a, b) = tokio::join!(
        run_integration_export(&slow, &h.integration, deadline()),
        run_integration_export(&slow, &h.integration, deadline()),
    );
    let mut ends = [a.end.clone(), b.end.clone()];
    ends.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(ends, [RunEnd::Busy, RunEnd::Complete], "{a:?} {b:?}");
    let messages = h.drain().await;
    assert_everything_sent(&h, &messages);
    assert!(
        snapshot_counts(&messages).values().all(|n| *n == 1),
        "exported once"
    );
}

#[tokio::test]
async fn a_429_storm_slows_the_export_down_but_every_ticket_arrives() {
    let h = Harness::start(10).await;
    h.seed(80, 2);
    h.sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 8,
        export_requests_per_minute: 2,
        window: StdDuration::from_secs(1),
    }));
    // Another app on the same account spends the shared budget without looking at the
    // rate-limit headers, so our client meets 429s it could not foresee.
    let stop = Arc::new(AtomicBool::new(false));
    let hammer = tokio::spawn({
        let stop = stop.clone();
        let url = format!("{}/api/v2/users/me.json", h.sim.base_url());
        async move {
            let http = reqwest::Client::new();
            for _ in 0..2_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                // Bursts: most windows are used up moments after they open.
                let burst = (0..8).map(|_| {
                    http.get(&url)
                        .basic_auth(format!("{API_EMAIL}/token"), Some(API_TOKEN))
                        .send()
                });
                let _ = futures::future::join_all(burst).await;
                tokio::time::sleep(StdDuration::from_millis(250)).await;
            }
        }
    });
    let mut runs = Vec::new();
    for _ in 0..30 {
        let run = run_integration_export(&h.ctx, &h.integration, deadline()).await;
        let done = run.end == RunEnd::Complete;
        assert!(
            matches!(run.end, RunEnd::Complete | RunEnd::Paused(_)),
            "{run:?}"
        );
        runs.push(run);
        if done {
            break;
        }
    }
    assert_eq!(
        runs.last().map(|r| &r.end),
        Some(&RunEnd::Complete),
        "{runs:?}"
    );
    stop.store(true, Ordering::SeqCst);
    hammer.await.expect("other app stops");
    let export_requests = h.sim.request_count("incremental_tickets");
    println!("{runs:?}\n{:?}", h.sim.request_counts());
    assert!(
        export_requests > 8,
        "429s were met: {export_requests} requests for 8 pages"
    );
    assert_everything_sent(&h, &h.drain().await);
}
