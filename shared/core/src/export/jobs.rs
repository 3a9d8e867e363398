//! Sync jobs of the export: "Schedule Sync" (manual and full), the per-run scheduled job, and
//! the state changes a job goes through (queued → running → succeeded / failed).
//!
//! Job records take counter increments from the mapper concurrently (each bumps the version),
//! so every state change is a read-modify-write retried on a version conflict.

use zsync_mapping::{
    ExportCursor, IntegrationId, JobCounters, JobId, JobKind, JobState, SyncJob, Timestamp,
};

use crate::context::SyncContext;
use crate::ports::{StoreError, StoreResult};

/// Read-modify-write attempts before a state change gives up. Every mapper report bumps the
/// job's version, so while a batch drains a state change can lose many races in a row: it
/// backs off a little between attempts (see [`conflict_pause`]) instead of giving up early.
const UPDATE_ATTEMPTS: usize = 32;

/// A short, growing, jittered pause after a lost race (`2^attempt` ms capped at 64, plus up to
/// as much again), so that concurrent counter updates drain before the next read.
async fn conflict_pause(attempt: usize) {
    let base_ms = 1u64 << attempt.min(6);
    // Jitter from the clock's sub-millisecond digits: enough to de-synchronise two writers.
    let jitter_us = u64::from(chrono::Utc::now().timestamp_subsec_micros() % 1000) * base_ms;
    let pause =
        std::time::Duration::from_millis(base_ms) + std::time::Duration::from_micros(jitter_us);
    tokio::time::sleep(pause).await;
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("integration {0} not found")]
    UnknownIntegration(IntegrationId),
    #[error("integration {0} is not active; activate it before scheduling a sync")]
    Inactive(IntegrationId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn new_job(
    integration: &IntegrationId,
    kind: JobKind,
    state: JobState,
    now: Timestamp,
) -> SyncJob {
    SyncJob {
        // v7: time-ordered, so ids sort like start times.
        id: JobId::new(uuid::Uuid::now_v7().to_string()),
        integration_id: integration.clone(),
        kind,
        state,
        started_at: now,
        finished_at: None,
        counters: JobCounters::default(),
        error: None,
        export_complete: false,
    }
}

/// A cursor for an integration that was never exported: everything from the beginning.
pub(crate) fn fresh_cursor(integration: &IntegrationId, now: Timestamp) -> ExportCursor {
    ExportCursor {
        integration_id: integration.clone(),
        cursor: None,
        start_time: 0,
        job_id: None,
        end_of_stream: false,
        updated_at: now,
        events: Default::default(),
    }
}

/// Applies `change` to the stored job, retrying on version conflicts. `change` returns false to
/// leave the job as it is (e.g. it already finished). Returns the job as stored afterwards, or
/// `None` if there is no such job.
pub(crate) async fn update_job(
    ctx: &SyncContext,
    integration: &IntegrationId,
    id: &JobId,
    change: impl Fn(&mut SyncJob) -> bool,
) -> StoreResult<Option<SyncJob>> {
    let mut last_conflict = None;
    for attempt in 0..UPDATE_ATTEMPTS {
        if attempt > 0 {
            conflict_pause(attempt).await;
        }
        let Some(stored) = ctx.store.get_job(integration, id).await? else {
            return Ok(None);
        };
        let mut job = stored.value;
        if !change(&mut job) {
            return Ok(Some(job));
        }
        match ctx.store.update_job(&job, stored.version).await {
            Ok(_) => return Ok(Some(job)),
            Err(e @ StoreError::VersionConflict { .. }) => last_conflict = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_conflict.unwrap_or(StoreError::Unavailable(
        "job update did not converge".into(),
    )))
}

/// Marks a queued job running (no-op for a running or finished one).
pub(crate) async fn mark_running(
    ctx: &SyncContext,
    integration: &IntegrationId,
    id: &JobId,
) -> StoreResult<Option<SyncJob>> {
    update_job(ctx, integration, id, |job| {
        if job.state != JobState::Queued {
            return false;
        }
        job.state = JobState::Running;
        true
    })
    .await
}

/// Finishes an unfinished job as succeeded, or as failed with `error`.
pub(crate) async fn finish(
    ctx: &SyncContext,
    integration: &IntegrationId,
    id: &JobId,
    error: Option<String>,
) -> StoreResult<Option<SyncJob>> {
    let now = ctx.clock.now();
    update_job(ctx, integration, id, |job| {
        if job.state.is_finished() {
            return false;
        }
        job.state = if error.is_some() {
            JobState::Failed
        } else {
            JobState::Succeeded
        };
        job.finished_at = Some(now);
        job.error = error.clone();
        true
    })
    .await
}

/// The export has read everything the job covers: mark it so, and succeed it right away if
/// the mapper has already reported every ticket (otherwise the mapper's last report does).
pub(crate) async fn complete_export(
    ctx: &SyncContext,
    integration: &IntegrationId,
    id: &JobId,
) -> StoreResult<Option<SyncJob>> {
    let now = ctx.clock.now();
    update_job(ctx, integration, id, |job| {
        if job.state.is_finished() || job.export_complete {
            return false;
        }
        job.export_complete = true;
        if job.is_settled() {
            job.state = JobState::Succeeded;
            job.finished_at = Some(now);
        }
        true
    })
    .await
}

/// Called with the job as it stands after a counter update: succeeds it once the export is
/// complete and every ticket it saw has an outcome. The export's completion and the mapper's
/// counters are both versioned writes, so whichever lands last sees both and settles the job.
pub async fn settle(ctx: &SyncContext, job: &SyncJob) -> StoreResult<()> {
    if job.state.is_finished() || !job.is_settled() {
        return Ok(());
    }
    let now = ctx.clock.now();
    update_job(ctx, &job.integration_id, &job.id, |job| {
        if job.state.is_finished() || !job.is_settled() {
            return false;
        }
        job.state = JobState::Succeeded;
        job.finished_at = Some(now);
        true
    })
    .await?;
    Ok(())
}

/// How long a job whose export is complete may wait for the mapper's last reports before it
/// is closed as failed (its remaining messages died in the dead-letter queue without a report).
pub const DRAIN_TIMEOUT: chrono::Duration = chrono::Duration::hours(24);

/// How old an unfinished job the cursor does not name must be before it counts as abandoned
/// (its creator stopped between creating it and attaching it to the cursor). Attaching takes
/// milliseconds; the margin keeps a "Schedule Sync" in progress from being taken for one.
pub const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(10);
/// Jobs looked at for abandoned ones (newest first).
const ABANDONED_SCAN: usize = 20;

/// Fails unfinished jobs that no export will ever finish: not the one `attached` to the
/// cursor, and older than [`ABANDONED_AFTER`]. Called by the export run holding the lease.
pub(crate) async fn close_abandoned(
    ctx: &SyncContext,
    integration: &IntegrationId,
    attached: Option<&JobId>,
) -> StoreResult<()> {
    let cutoff = ctx.clock.now() - ABANDONED_AFTER;
    for job in ctx.store.list_jobs(integration, ABANDONED_SCAN).await? {
        if job.state.is_finished() {
            continue;
        }
        // A settled job whose last report lost its race to succeed it: succeed it now.
        if job.is_settled() {
            settle(ctx, &job).await?;
            continue;
        }
        if Some(&job.id) == attached || job.started_at > cutoff {
            continue;
        }
        let reason = if job.export_complete {
            // Exported and waiting for the mapper: give it time before calling it lost.
            if job.started_at > ctx.clock.now() - DRAIN_TIMEOUT {
                continue;
            }
            format!(
                "{} of {} tickets never reported an outcome",
                job.counters
                    .tickets_seen
                    .saturating_sub(job.counters.processed()),
                job.counters.tickets_seen
            )
        } else {
            "abandoned: the run that created it stopped before the export took it over".to_owned()
        };
        finish(ctx, integration, &job.id, Some(reason)).await?;
    }
    Ok(())
}

/// "Schedule Sync": creates a queued manual (or `full`) job and makes it the job the export
/// works on next; `full` restarts both export streams from the beginning. An unfinished job
/// the export was working on is closed as failed ("superseded"): only one job per integration
/// runs, and the new one carries on (or restarts) its work.
///
/// The job starts running at the next export run (the scheduler's next tick, or the local
/// server's kick) and succeeds when both streams reach their end.
pub async fn schedule_sync(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    full: bool,
) -> Result<SyncJob, ScheduleError> {
    let integration = ctx
        .store
        .get_integration(integration_id)
        .await?
        .ok_or_else(|| ScheduleError::UnknownIntegration(integration_id.clone()))?;
    if !integration.value.active {
        return Err(ScheduleError::Inactive(integration_id.clone()));
    }
    let now = ctx.clock.now();
    let kind = if full { JobKind::Full } else { JobKind::Manual };
    let job = new_job(integration_id, kind, JobState::Queued, now);
    ctx.store.create_job(&job).await?;

    let mut attached = None;
    let mut last_error = None;
    for _ in 0..UPDATE_ATTEMPTS {
        let (mut cursor, version) = match ctx.store.get_export_cursor(integration_id).await? {
            Some(stored) => (stored.value, stored.version),
            None => (fresh_cursor(integration_id, now), 0),
        };
        let previous = cursor.job_id.replace(job.id.clone());
        if full {
            let job_id = cursor.job_id.take();
            cursor = fresh_cursor(integration_id, now);
            cursor.job_id = job_id;
        }
        cursor.updated_at = now;
        match ctx.store.put_export_cursor(&cursor, version).await {
            Ok(_) => {
                attached = Some(previous);
                break;
            }
            Err(e @ StoreError::VersionConflict { .. }) => last_error = Some(e),
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
    }
    let Some(previous) = attached else {
        let error = last_error.unwrap_or(StoreError::Unavailable("cursor update failed".into()));
        // The job never reached the export: say so on the job instead of leaving it queued.
        finish(
            ctx,
            integration_id,
            &job.id,
            Some(format!("could not be scheduled: {error}")),
        )
        .await?;
        return Err(error.into());
    };
    if let Some(previous) = previous.filter(|p| *p != job.id) {
        let reason = format!("superseded by sync job {} before it finished", job.id);
        finish(ctx, integration_id, &previous, Some(reason)).await?;
    }
    Ok(job)
}
