//! The scheduler Lambda: the EventBridge schedule invokes it; it runs the export of every
//! active integration (`zsync_core::export::run_exports`) until shortly before the invocation's
//! deadline. Whatever is left continues at the next invocation from the stored cursors, so the
//! Lambda timeout only bounds one invocation, never the export.

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use zsync_core::context::SyncContext;
use zsync_core::export::{IntegrationRun, run_exports};
use zsync_lambda::{Environment, build_context, init_metrics, init_tracing, metered};

/// Time kept back before the Lambda deadline: releasing leases, closing jobs, flushing logs.
const MARGIN: Duration = Duration::from_secs(15);

#[derive(Debug, Serialize)]
struct RunSummary {
    integration_id: String,
    job_id: Option<String>,
    tickets_enqueued: u64,
    comment_messages: u64,
    comment_rereads: u64,
    end: String,
}

impl From<&IntegrationRun> for RunSummary {
    fn from(run: &IntegrationRun) -> Self {
        Self {
            integration_id: run.integration_id.to_string(),
            job_id: run.job_id.as_ref().map(ToString::to_string),
            tickets_enqueued: run.tickets_enqueued,
            comment_messages: run.comment_messages,
            comment_rereads: run.comment_rereads,
            end: format!("{:?}", run.end),
        }
    }
}

/// The monotonic instant `MARGIN` before the wall-clock `deadline` (now if already past).
fn deadline_from(deadline: SystemTime, wall_now: SystemTime, now: Instant) -> Instant {
    let left = deadline.duration_since(wall_now).unwrap_or_default();
    now + left.saturating_sub(MARGIN)
}

async fn handle(
    ctx: &SyncContext,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<Vec<RunSummary>, lambda_runtime::Error> {
    let deadline = deadline_from(event.context.deadline(), SystemTime::now(), Instant::now());
    tracing::info!(source = %event.payload.source, "scheduled export");
    let runs = run_exports(ctx, deadline).await?;
    Ok(runs.iter().map(RunSummary::from).collect())
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let metrics = init_metrics()?;
    let ctx = build_context(&Environment::from_process()?).await?;
    let ctx = &ctx;
    metered::run(
        metrics,
        service_fn(move |event| async move { handle(ctx, event).await }),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_keeps_a_margin_and_never_lies_in_the_past_of_now() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let now = Instant::now();
        let in_five_minutes = wall + Duration::from_secs(300);
        assert_eq!(
            deadline_from(in_five_minutes, wall, now),
            now + Duration::from_secs(300) - MARGIN
        );
        assert_eq!(deadline_from(wall + Duration::from_secs(5), wall, now), now);
        assert_eq!(deadline_from(wall - Duration::from_secs(5), wall, now), now);
    }
}
