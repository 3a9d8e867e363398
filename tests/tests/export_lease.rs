//! The export lease while a run is slow (docs/sync-rules.md §6): it is short, so the running
//! export renews it; a second run meanwhile is refused, and a run whose lease was taken over
//! stops at its next page. Real time and a 1 s lease; a slow queue makes each page take longer
//! than the lease.

mod export_common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use export_common::queues::TestQueue;
use export_common::{Harness, deadline};
use zsync_core::context::{SyncContext, SystemClock};
use zsync_core::export::{RunEnd, lease_name, run_integration_export};
use zsync_mapping::IntegrationId;

/// A context whose queue takes `send_delay` per send, on the system clock, with a 1 s lease.
fn slow_context(h: &Harness, send_delay: StdDuration) -> SyncContext {
    let mut ctx = h.ctx_with_queue(TestQueue::slow(h.queue.clone(), send_delay));
    ctx.clock = Arc::new(SystemClock);
    ctx.settings.export_lease_ttl = Duration::seconds(1);
    ctx
}

fn spawn_run(ctx: &SyncContext, integration: &IntegrationId) -> tokio::task::JoinHandle<RunEnd> {
    let (ctx, integration) = (ctx.clone(), integration.clone());
    tokio::spawn(async move {
        run_integration_export(&ctx, &integration, deadline())
            .await
            .end
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_keeps_its_lease_so_a_second_run_is_refused() {
    let h = Harness::start(20).await;
    h.seed(60, 0);
    // A page's send takes 2 s: twice the lease, so only renewing while it waits keeps it.
    let ctx = slow_context(&h, StdDuration::from_millis(2000));
    let first = spawn_run(&ctx, &h.integration);
    // Past the 1 s lease taken before the first page, while that page is being sent.
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert!(
        !first.is_finished(),
        "the first run should still be exporting"
    );
    let second = run_integration_export(&ctx, &h.integration, deadline()).await;
    assert_eq!(second.end, RunEnd::Busy, "the lease was renewed");
    let end = tokio::time::timeout(StdDuration::from_secs(60), first)
        .await
        .expect("the first run ends")
        .expect("no panic");
    assert_eq!(end, RunEnd::Complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_lease_was_taken_over_stops_at_its_next_page() {
    let h = Harness::start(20).await;
    h.seed(60, 0);
    let ctx = slow_context(&h, StdDuration::from_millis(700));
    let first = spawn_run(&ctx, &h.integration);
    tokio::time::sleep(StdDuration::from_millis(1000)).await;
    // Another process that believes the lease expired (its clock is ahead) takes it.
    let taken = ctx
        .store
        .acquire_lease(
            &lease_name(&h.integration),
            "another process",
            Duration::hours(1),
            Utc::now() + Duration::seconds(30),
        )
        .await
        .expect("acquire");
    assert!(taken);
    let end = tokio::time::timeout(StdDuration::from_secs(60), first)
        .await
        .expect("the first run ends")
        .expect("no panic");
    assert!(
        matches!(&end, RunEnd::Interrupted(reason) if reason.contains("taken over")),
        "{end:?}"
    );
}
