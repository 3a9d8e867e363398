//! The scheduled export (docs/sync-rules.md §6): catch-up and initial backfill from Zendesk's
//! incremental exports, resumable page by page, one run at a time per integration, within the rate
//! limits.
//!
//! Two streams per integration, both positioned by the stored [`zsync_mapping::ExportCursor`]:
//! - tickets: the cursor-based ticket export with sideloaded users → one `TicketSnapshot` per
//!   ticket (no comments: the export carries none);
//! - comments: the time-based ticket-events export with comment events → `TicketComments` per
//!   ticket, with the comment authors. Authors not sideloaded by this run's ticket pages are
//!   looked up once per page (`show_users`, 100 per request) so the mapper gets every author
//!   with the comment and needs no Zendesk call of its own.
//!
//! A message the queue keeps refusing (after a few tries) is dead-lettered with the reason and
//! logged for its ticket, and the export moves on; an unavailable queue pauses the run.
//!
//! Each page is enqueued before its position is stored (with the version read, so a concurrent
//! writer — a full sync being scheduled — makes this run stop instead of overwriting). A crash
//! or timeout re-sends at most the page in flight; the mapper is idempotent. Zendesk rate
//! limits (which the client waits out within a bound) or any failure that may heal pause the
//! run with the cursor kept; the next run continues.
//!
//! Jobs: a run continues the job the cursor names (queued manual/full jobs start running), or
//! creates a `scheduled` job as soon as it finds work; the job succeeds when both streams
//! reach their end, and fails with the reason on a permanent error.

mod enqueue;
pub mod jobs;
mod lease;
mod outcome;
mod pages;
mod run;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use zsync_mapping::IntegrationId;

pub use jobs::{ScheduleError, schedule_sync};
pub use outcome::{IntegrationRun, RunEnd};
pub use run::{LEASE_TTL, MIN_PAGE_TIME, lease_name};

use crate::context::SyncContext;
use crate::ports::StoreResult;

/// Runs the export of every active integration (concurrently: each has its own lease and
/// Zendesk account) until each is complete or `deadline` is near. Call it again later to
/// continue; the stored cursors are the continuation. First it re-enqueues each integration's
/// pending pushes (the outbox sweep, `crate::sync::sweep_pending_pushes`): CRM changes whose
/// push did not happen yet (queue send failed, Zendesk down, integration was inactive).
pub async fn run_exports(ctx: &SyncContext, deadline: Instant) -> StoreResult<Vec<IntegrationRun>> {
    let integrations = ctx.store.list_integrations().await?;
    let runs = integrations
        .iter()
        .filter(|i| i.value.active)
        .map(|i| async move {
            if let Err(e) = crate::sync::sweep_pending_pushes(ctx, &i.value.id).await {
                // The next run sweeps again; the export does not depend on it.
                tracing::warn!(integration = %i.value.id, error = %e, "pending pushes not swept");
            }
            run_integration_export(ctx, &i.value.id, deadline).await
        });
    Ok(futures::future::join_all(runs).await)
}

/// Runs one integration's export now (the scheduler does this for every active integration;
/// the local server also right after "Schedule Sync").
pub async fn run_integration_export(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    deadline: Instant,
) -> IntegrationRun {
    let mut report = IntegrationRun::new(integration_id.clone());
    let integration = match ctx.store.get_integration(integration_id).await {
        Ok(Some(i)) if i.value.active => i.value,
        Ok(_) => {
            report.end = RunEnd::Inactive;
            return report;
        }
        Err(e) => {
            report.end = RunEnd::Paused(e.to_string());
            return report;
        }
    };
    // One id per run: the lease's holder.
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = lease_name(integration_id);
    let ttl = ctx.settings.export_lease_ttl;
    match ctx
        .store
        .acquire_lease(&lease, &holder, ttl, ctx.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            report.end = RunEnd::Busy;
            return report;
        }
        Err(e) => {
            report.end = RunEnd::Paused(e.to_string());
            return report;
        }
    }
    let deadline = tokio::time::Instant::from_std(deadline);
    let lost = Arc::new(AtomicBool::new(false));
    let mut exporter =
        run::Exporter::new(ctx, &integration, holder.clone(), lost.clone(), deadline);
    let (finished, running) = tokio::sync::oneshot::channel::<()>();
    let export = async {
        let end = exporter.run().await;
        // Ends the renewals (dropping the sender wakes the receiver).
        drop(finished);
        end
    };
    let renewals = lease::keep_lease(ctx, integration_id, &holder, &lost, running);
    let (end, ()) = tokio::join!(export, renewals);
    let mut report = exporter.run;
    report.end = end;
    if let Err(e) = ctx.store.release_lease(&lease, &holder).await {
        // It expires on its own after the lease TTL.
        tracing::warn!(integration = %integration_id, error = %e, "could not release the export lease");
    }
    tracing::info!(
        integration = %integration_id,
        tickets = report.tickets_enqueued,
        comment_messages = report.comment_messages,
        end = ?report.end,
        "export run finished"
    );
    report
}
