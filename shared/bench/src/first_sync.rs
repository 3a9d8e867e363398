//! First sync end to end: the scheduled export enqueues every ticket and comment, queue
//! workers (as many as the local server runs) apply them to the store; done when the export is
//! complete and the queue is empty.

use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use tokio::sync::watch;
use zsync_core::context::SyncContext;
use zsync_core::export::{RunEnd, run_integration_export};
use zsync_core::sync::run_worker;
use zsync_mapping::IntegrationId;

use crate::world::{BoxError, World};

pub struct FirstSync {
    pub tickets: usize,
    pub elapsed: Duration,
    pub export_elapsed: Duration,
    pub requests: u64,
    pub by_endpoint: Vec<(String, u64)>,
}

/// Starts `workers` queue workers; they stop when the returned sender says so.
pub fn start_workers(
    ctx: &SyncContext,
    workers: usize,
) -> (watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>) {
    let (stop, stopping) = watch::channel(false);
    let handles = (0..workers)
        .map(|_| {
            let ctx = ctx.clone();
            let mut stopping = stopping.clone();
            tokio::spawn(async move {
                run_worker(ctx, 5, async move {
                    let _ = stopping.wait_for(|s| *s).await;
                })
                .await;
            })
        })
        .collect();
    (stop, handles)
}

/// The first sync of `world`'s integration; done when the queue is empty, which is checked
/// every `depth_poll` (on SQS each check is a request, so the AWS run polls less often).
pub async fn run(
    world: &World,
    workers: usize,
    depth_poll: Duration,
) -> Result<FirstSync, BoxError> {
    world.sim.reset_request_counts();
    let timing = sync_until_drained(&world.ctx, &world.integration, workers, depth_poll).await?;
    let counts = world.sim.request_counts();
    Ok(FirstSync {
        tickets: world.ticket_ids.len(),
        elapsed: timing.elapsed,
        export_elapsed: timing.export_elapsed,
        requests: counts.values().sum(),
        by_endpoint: counts.into_iter().collect(),
    })
}

/// How long a first sync took: in all, and until the export completed.
pub struct SyncTiming {
    pub elapsed: Duration,
    pub export_elapsed: Duration,
}

/// Runs the export of `integration` to completion with `workers` queue workers applying what
/// it enqueues, until the queue is empty.
pub async fn sync_until_drained(
    ctx: &SyncContext,
    integration: &IntegrationId,
    workers: usize,
    depth_poll: Duration,
) -> Result<SyncTiming, BoxError> {
    let started = Instant::now();
    let (stop, handles) = start_workers(ctx, workers);
    let mut export_elapsed = None;
    for _ in 0..100 {
        let deadline = Instant::now() + Duration::from_secs(900);
        let run = run_integration_export(ctx, integration, deadline).await;
        match run.end {
            RunEnd::Complete => {
                export_elapsed = Some(started.elapsed());
                break;
            }
            RunEnd::Failed(reason) => return Err(reason.into()),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let export_elapsed = export_elapsed.ok_or("the export did not complete")?;
    wait_for_empty_queue(ctx, Duration::from_secs(3_600), depth_poll).await?;
    let elapsed = started.elapsed();
    let _ = stop.send(true);
    for handle in handles {
        let _ = handle.await;
    }
    Ok(SyncTiming {
        elapsed,
        export_elapsed,
    })
}

/// Refuses to report a first sync that did not mirror the account: the newest job must have
/// seen and created every ticket with no failure, and nothing may be dead-lettered.
pub async fn verify(
    ctx: &SyncContext,
    integration: &IntegrationId,
    tickets: usize,
    dead_letters: usize,
) -> Result<zsync_mapping::JobCounters, BoxError> {
    let job = ctx
        .store
        .list_jobs(integration, 1)
        .await?
        .into_iter()
        .next()
        .ok_or("no sync job was recorded")?;
    let c = job.counters;
    let expected = tickets as u64;
    if c.tickets_seen != expected
        || c.cases_created != expected
        || c.failed != 0
        || dead_letters != 0
    {
        return Err(format!(
            "the first sync did not mirror the account ({tickets} tickets): {c:?}, {dead_letters} dead letters"
        )
        .into());
    }
    Ok(c)
}

pub async fn wait_for_empty_queue(
    ctx: &SyncContext,
    bound: Duration,
    poll: Duration,
) -> Result<(), BoxError> {
    let until = Instant::now() + bound;
    while Instant::now() < until {
        if ctx.queue.depth().await? == 0 {
            return Ok(());
        }
        tokio::time::sleep(poll).await;
    }
    Err("the queue did not drain in time".into())
}

/// Cost of one store write transaction (the embedded store fsyncs each): `n` dedupe marks.
pub async fn write_txn_cost(world: &World, n: u32) -> Result<Duration, BoxError> {
    let started = Instant::now();
    for i in 0..n {
        world
            .ctx
            .store
            .remember_once(
                &format!("bench#fsync#{i}"),
                ChronoDuration::hours(1),
                chrono::Utc::now(),
            )
            .await?;
    }
    Ok(started.elapsed() / n.max(1))
}
