//! `DELETE /integrations/{id}?purge=true` (docs/sync-rules.md §2 lifecycle): besides what a delete
//! removes, the integration's ticket records, sync log, jobs, export cursor, outbox entries and
//! first-sighting markers go; its cases and contacts stay, unlinked.
//!
//! An integration can hold more records than one API request may remove (the api Lambda has
//! 29 s): the purge runs in bounded store steps for at most [`PURGE_BUDGET`] per request and
//! the integration record is deleted only once nothing is left. Until then the integration
//! stays, deactivated (nothing syncs into what is being removed), and the request answers
//! "purge in progress"; repeating it goes on where the last one stopped.

use std::time::{Duration, Instant};

use zsync_mapping::IntegrationId;

use super::error::AdminResult;
use crate::context::SyncContext;
use crate::sync::forget_sighting;

/// Wall time one request spends purging, well inside the api Lambda's 29 s.
pub const PURGE_BUDGET: Duration = Duration::from_secs(15);
/// Items one store step removes (a DynamoDB step: about one call per item).
const STEP_LIMIT: usize = 100;
/// Steps one request runs at most, whatever the clock says.
const MAX_STEPS: usize = 1_000;

/// Runs purge steps until nothing is left (true) or the budget is spent (false).
pub(crate) async fn purge_sync_data(
    ctx: &SyncContext,
    id: &IntegrationId,
    budget: Duration,
) -> AdminResult<bool> {
    let started = Instant::now();
    let mut removed = 0usize;
    for _ in 0..MAX_STEPS {
        let step = ctx.store.purge_integration_data(id, STEP_LIMIT).await?;
        for ticket in &step.tickets {
            forget_sighting(ctx, id, *ticket).await?;
        }
        removed += step.removed;
        if step.done {
            tracing::info!(integration = %id, removed, "integration sync data purged");
            return Ok(true);
        }
        if started.elapsed() >= budget {
            break;
        }
    }
    tracing::info!(integration = %id, removed, "integration purge continues on the next request");
    Ok(false)
}
