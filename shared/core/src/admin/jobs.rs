//! Sync jobs and the per-ticket sync log of an integration (owner or admin only).

use zsync_mapping::{IntegrationId, JobId, SyncJob, SyncLogEntry};

use super::caller::Caller;
use super::error::{AdminError, AdminResult};
use super::support::load_integration;
use crate::context::SyncContext;
use crate::export::{ScheduleError, schedule_sync};

/// "Schedule Sync" (docs/sync-rules.md §2): a queued manual job, or a full one that restarts the
/// export.
pub async fn schedule_integration_sync(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    full: bool,
) -> AdminResult<SyncJob> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    schedule_sync(ctx, id, full).await.map_err(|e| match e {
        ScheduleError::UnknownIntegration(id) => AdminError::not_found("integration", id),
        ScheduleError::Inactive(id) => AdminError::conflict(
            "integration_inactive",
            format!("integration {id} is not active; activate it before scheduling a sync"),
        ),
        ScheduleError::Store(e) => e.into(),
    })
}

/// Newest first.
pub async fn list_jobs(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    limit: usize,
) -> AdminResult<Vec<SyncJob>> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    Ok(ctx.store.list_jobs(id, limit).await?)
}

pub async fn show_job(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    job: &JobId,
) -> AdminResult<SyncJob> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    ctx.store
        .get_job(id, job)
        .await?
        .map(|v| v.value)
        .ok_or_else(|| AdminError::not_found("sync job", job))
}

/// Newest first.
pub async fn list_log(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    limit: usize,
) -> AdminResult<Vec<SyncLogEntry>> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    Ok(ctx.store.list_log(id, limit).await?)
}
