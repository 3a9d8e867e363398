//! Helpers of the fault, security and fuzz tests: a bounded queue drain that acts like the
//! local worker without its backoff waits, and signed webhook bodies.

#![allow(dead_code)]

use chrono::{Duration, Utc};
use secrecy::SecretString;
use zsync_core::context::SyncContext;
use zsync_core::ports::SyncQueue;
use zsync_core::sync::{Handling, handle_message};
use zsync_core::webhook_signature::sign;

/// What a drain did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    pub done: u64,
    pub retried: u64,
    pub dead_lettered: u64,
}

/// Handles messages until the queue is empty (or `max_rounds` receives), like `run_worker`
/// but retrying failed messages at once so tests do not sleep through backoffs.
pub async fn drain(
    ctx: &SyncContext,
    queue: &dyn SyncQueue,
    max_receives: u32,
    max_rounds: usize,
) -> Drained {
    let mut stats = Drained::default();
    for _ in 0..max_rounds {
        let deliveries = queue
            .receive(10, Duration::seconds(120))
            .await
            .expect("receive");
        if deliveries.is_empty() {
            if queue.depth().await.expect("depth") == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        let handled = futures::future::join_all(deliveries.iter().map(|d| async move {
            (
                d,
                handle_message(ctx, &d.message, d.receive_count, max_receives).await,
            )
        }))
        .await;
        for (delivery, handling) in handled {
            match handling {
                Handling::Done | Handling::Dropped(_) => {
                    queue.ack(&delivery.receipt).await.expect("ack");
                    stats.done += 1;
                }
                Handling::Retry(reason) if delivery.receive_count >= max_receives => {
                    queue
                        .dead_letter(&delivery.receipt, &reason)
                        .await
                        .expect("dead letter");
                    stats.dead_lettered += 1;
                }
                Handling::Retry(_) | Handling::Wait { .. } => {
                    queue
                        .retry_later(&delivery.receipt, Duration::zero())
                        .await
                        .expect("retry");
                    stats.retried += 1;
                }
            }
        }
    }
    stats
}

/// A Zendesk event-subscription body for one ticket.
pub fn ticket_event_body(account: u64, ticket: u64, event_id: &str) -> Vec<u8> {
    serde_json::json!({
        "account_id": account,
        "detail": {"id": ticket.to_string(), "subject": "changed"},
        "event": {},
        "id": event_id,
        "subject": format!("zen:ticket:{ticket}"),
        "time": Utc::now().to_rfc3339(),
        "type": "zen:event-type:ticket.status_changed",
        "zendesk_event_version": "2022-11-06"
    })
    .to_string()
    .into_bytes()
}

/// (signature, timestamp) headers for `body` signed now with `secret`.
pub fn signed_now(secret: &SecretString, body: &[u8]) -> (String, String) {
    let timestamp = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    (sign(secret, &timestamp, body), timestamp)
}
