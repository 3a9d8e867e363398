//! The scheduler function's local stand-in: every poll interval (and right after a
//! "Schedule Sync"), run the export of every active integration with `run_exports`.
//!
//! A tick runs the export in short slices (a deadline a little over the export's minimum page
//! time) and starts the next slice at once while a run reports `Deadline`. Each slice ends at
//! a page boundary with its lease released and its cursor stored, so a shutdown waits for at
//! most one slice instead of a whole backfill, and a restart continues from the cursor.

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
    kick: Kick,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(
        poll_interval = %format_duration(interval),
        "scheduler started"
    );
    loop {
        tick(&ctx, &stop).await;
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            () = tokio::time::sleep(interval) => {}
            () = kick.0.notified() => tracing::debug!("scheduler kicked"),
        }
    }
    tracing::info!("scheduler stopped");
}

async fn tick(ctx: &SyncContext, stop: &watch::Receiver<bool>) {
    for _ in 0..MAX_SLICES_PER_TICK {
        if *stop.borrow() {
            return;
        }
        let deadline = Instant::now() + MIN_PAGE_TIME + SLICE;
        let runs = match run_exports(ctx, deadline).await {
            Ok(runs) => runs,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the integrations to export");
                return;
            }
        };
        let mut more = false;
        for run in &runs {
            report(run);
            more |= run.end == RunEnd::Deadline;
        }
        if !more {
            return;
        }
    }
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
             for at most 5 minutes); the next tick retries"
        ),
        RunEnd::Interrupted(reason) | RunEnd::Paused(reason) => {
            tracing::warn!(integration, job, %reason, "export paused; the next tick continues")
        }
        RunEnd::Failed(reason) => {
            tracing::error!(integration, job, %reason, "export failed; the job says why")
        }
    }
}
