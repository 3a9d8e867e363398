//! The scheduler function's local stand-in: every poll interval (and right after a
//! "Schedule Sync"), run the export of every active integration with `run_exports`.
//!
//! A tick runs the export in short slices (a deadline a little over the export's minimum page
//! time) and starts the next slice at once while a run reports `Deadline`. Each slice ends at
//! a page boundary with its lease released and its cursor stored, so a shutdown waits for at
//! most one slice instead of a whole backfill, and a restart continues from the cursor.
//!
//! After a crash (`kill -9`) the dead process's export lease is still held until its TTL runs
//! out; a tick that finds an export busy therefore tries again after a few seconds rather than
//! a whole poll interval, so the export continues within the lease TTL (docs/sync-rules.md §6).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use zsync_core::context::SyncContext;
use zsync_core::export::{IntegrationRun, MIN_PAGE_TIME, RunEnd, run_exports};

use crate::options::format_duration;

/// How long a slice keeps starting pages.
const SLICE: Duration = Duration::from_secs(2);
/// Bound on the slices of one tick (an hour of exporting); the next tick continues.
const MAX_SLICES_PER_TICK: u32 = 3600 / 2;
/// How soon a tick that met a busy export lease is followed by another, at most.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// Asks the scheduler for a tick now (after "Schedule Sync"). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Kick(Arc<Notify>);

impl Kick {
    /// A kick during a tick makes another tick follow it at once.
    pub fn now(&self) {
        self.0.notify_one();
    }
}

/// Runs until `stop` turns true; returns after the slice in hand.
pub async fn run_scheduler(
    ctx: SyncContext,
    interval: Duration,
    lease_ttl: Duration,
    kick: Kick,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        poll_interval = %format_duration(interval),
        export_lease_ttl = %format_duration(lease_ttl),
        "scheduler started"
    );
    loop {
        let busy = tick(&ctx, &stop).await;
        let wait = next_tick_in(interval, lease_ttl, busy);
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            () = tokio::time::sleep(wait) => {}
            () = kick.0.notified() => tracing::debug!("scheduler kicked"),
        }
    }
    tracing::info!("scheduler stopped");
}

/// The wait before the next tick: the poll interval, or soon after a busy lease (a fraction of
/// its TTL, so a crashed process's lease is taken over within about one TTL).
fn next_tick_in(interval: Duration, lease_ttl: Duration, busy: bool) -> Duration {
    if busy {
        interval
            .min(BUSY_RETRY)
            .min(lease_ttl / 4)
            .max(Duration::from_millis(100))
    } else {
        interval
    }
}

/// One tick; true if an export's lease was held by another run (e.g. a crashed process).
async fn tick(ctx: &SyncContext, stop: &watch::Receiver<bool>) -> bool {
    let mut busy = false;
    for _ in 0..MAX_SLICES_PER_TICK {
        if *stop.borrow() {
            return busy;
        }
        let deadline = Instant::now() + MIN_PAGE_TIME + SLICE;
        let runs = match run_exports(ctx, deadline).await {
            Ok(runs) => runs,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the integrations to export");
                return busy;
            }
        };
        let mut more = false;
        for run in &runs {
            report(run);
            more |= run.end == RunEnd::Deadline;
            busy |= run.end == RunEnd::Busy;
        }
        if !more {
            return busy;
        }
    }
    busy
}

fn report(run: &IntegrationRun) {
    let integration = run.integration_id.as_str();
    let job = run.job_id.as_ref().map(|j| j.as_str()).unwrap_or("-");
    match &run.end {
        RunEnd::Complete | RunEnd::Deadline | RunEnd::Inactive => tracing::debug!(
            integration,
            job,
            end = ?run.end,
            tickets = run.tickets_enqueued,
            "export slice done"
        ),
        RunEnd::Busy => tracing::warn!(
            integration,
            "another run holds the export lease (a process that did not stop cleanly holds it \
             until its TTL runs out); retrying shortly"
        ),
        RunEnd::Interrupted(reason) | RunEnd::Paused(reason) => {
            tracing::warn!(integration, job, %reason, "export paused; the next tick continues")
        }
        RunEnd::Failed(reason) => {
            tracing::error!(integration, job, %reason, "export failed; the job says why")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_lease_is_retried_well_within_its_ttl_and_otherwise_the_interval_holds() {
        let five_minutes = Duration::from_secs(300);
        let ttl = Duration::from_secs(45);
        assert_eq!(next_tick_in(five_minutes, ttl, false), five_minutes);
        assert_eq!(next_tick_in(five_minutes, ttl, true), BUSY_RETRY);
        assert_eq!(
            next_tick_in(five_minutes, Duration::from_secs(4), true),
            Duration::from_secs(1)
        );
        assert_eq!(
            next_tick_in(Duration::from_secs(2), ttl, true),
            Duration::from_secs(2)
        );
    }
}
