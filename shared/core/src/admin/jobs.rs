//! Sync jobs and the per-ticket sync log of an integration (owner or admin only).

use zsync_mapping::{IntegrationId, JobId, SyncJob, SyncLogEntry};

use super::caller::Caller;
use super::error::{AdminError, AdminResult};
use super::people::cursor_error;
use super::support::load_integration;
use crate::context::SyncContext;
use crate::export::{ScheduleError, schedule_sync};
use crate::ports::{LogFilter, Page};

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

/// One page, newest first (docs/http-api.md: `?cursor=&limit=`).
pub async fn list_jobs(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    cursor: Option<&str>,
    limit: usize,
) -> AdminResult<Page<SyncJob>> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    ctx.store
        .list_jobs_page(id, cursor, limit)
        .await
        .map_err(cursor_error)
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

/// One page of the entries matching `filter`, newest first (docs/http-api.md:
/// `?ticket=&outcome=&cursor=&limit=`).
pub async fn list_log(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    filter: &LogFilter,
    cursor: Option<&str>,
    limit: usize,
) -> AdminResult<Page<SyncLogEntry>> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    ctx.store
        .list_log_page(id, filter, cursor, limit)
        .await
        .map_err(cursor_error)
}
