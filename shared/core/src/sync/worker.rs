//! The queue worker of the local server: receives from `ctx.queue`, handles each message and
//! acknowledges, retries with backoff, or dead-letters with the reason after the maximum
//! number of receives. Stops when `shutdown` completes (after finishing the batch in hand).

use std::future::Future;
use std::time::Duration as StdDuration;

use chrono::Duration;
use futures::StreamExt;

use crate::context::SyncContext;
use crate::ports::Delivery;
use crate::sync::batch::{Handling, handle_message};

/// Messages received at once, and handled at once: they mostly wait on Zendesk and the store,
/// and the embedded store commits concurrent writes together (4 at a time instead of all 10
/// made a first sync 1.6 times slower: 2.6 instead of 7.3 writes per commit).
const BATCH_SIZE: usize = 10;
const VISIBILITY_SECONDS: i64 = 180;
/// Poll interval of an idle worker. An empty receive on the embedded queue is one cheap read
/// transaction, and this wait is most of a webhook's latency on the local server (250 ms here
/// made its p99 ~200 ms in the benchmark).
const IDLE_WAIT: StdDuration = StdDuration::from_millis(20);
/// Wait after a failed receive (the queue itself is in trouble: do not hammer it).
const ERROR_WAIT: StdDuration = StdDuration::from_secs(2);
const MAX_BACKOFF_SECONDS: i64 = 60;

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    pub done: u64,
    pub retried: u64,
    pub dropped: u64,
    pub dead_lettered: u64,
}

/// Wait before a failed message is tried again: doubling per receive, capped.
pub fn retry_delay(receive_count: u32) -> Duration {
    let exponent = receive_count.min(6);
    Duration::seconds((1_i64 << exponent).min(MAX_BACKOFF_SECONDS))
}

pub async fn run_worker(
    ctx: SyncContext,
    max_receives: u32,
    shutdown: impl Future<Output = ()>,
) -> WorkerStats {
    let mut stats = WorkerStats::default();
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            () = &mut shutdown => break,
            received = ctx.queue.receive(BATCH_SIZE, Duration::seconds(VISIBILITY_SECONDS)) => received,
        };
        let deliveries = match received {
            Ok(deliveries) if !deliveries.is_empty() => deliveries,
            Ok(_) => {
                if pause(&mut shutdown, IDLE_WAIT).await {
                    break;
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "queue receive failed");
                if pause(&mut shutdown, ERROR_WAIT).await {
                    break;
                }
                continue;
            }
        };
        let ctx = &ctx;
        let outcomes: Vec<Settled> = futures::stream::iter(deliveries)
            .map(|delivery| async move { settle(ctx, delivery, max_receives).await })
            .buffer_unordered(BATCH_SIZE)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Settled::Done => stats.done += 1,
                Settled::Dropped => stats.dropped += 1,
                Settled::Retried => stats.retried += 1,
                Settled::DeadLettered => stats.dead_lettered += 1,
            }
        }
    }
    stats
}

/// True if shutdown came during the pause.
async fn pause(
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    wait: StdDuration,
) -> bool {
    tokio::select! {
        () = shutdown.as_mut() => true,
        () = tokio::time::sleep(wait) => false,
    }
}

enum Settled {
    Done,
    Dropped,
    Retried,
    DeadLettered,
}

/// Handles one delivery and tells the queue.
async fn settle(ctx: &SyncContext, delivery: Delivery, max_receives: u32) -> Settled {
    let handling =
        handle_message(ctx, &delivery.message, delivery.receive_count, max_receives).await;
    let queue = &ctx.queue;
    let (answer, settled) = match &handling {
        Handling::Done => (queue.ack(&delivery.receipt).await, Settled::Done),
        Handling::Dropped(reason) => (
            queue.dead_letter(&delivery.receipt, reason).await,
            Settled::Dropped,
        ),
        Handling::Retry(reason) if delivery.receive_count >= max_receives => (
            queue.dead_letter(&delivery.receipt, reason).await,
            Settled::DeadLettered,
        ),
        Handling::Retry(_) => (
            queue
                .retry_later(&delivery.receipt, retry_delay(delivery.receive_count))
                .await,
            Settled::Retried,
        ),
        // Only answered before the last receive (see `sync::batch`).
        Handling::Wait { delay, .. } => (
            queue.retry_later(&delivery.receipt, *delay).await,
            Settled::Retried,
        ),
    };
    if let Err(e) = answer {
        // The message becomes visible again after its timeout; handling it again is harmless.
        tracing::warn!(error = %e, "queue did not take the answer");
    } else if matches!(settled, Settled::Dropped) {
        crate::telemetry::dead_letter_parked("poison");
    }
    settled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), Duration::seconds(2));
        assert_eq!(retry_delay(2), Duration::seconds(4));
        assert_eq!(retry_delay(40), Duration::seconds(MAX_BACKOFF_SECONDS));
    }
}
