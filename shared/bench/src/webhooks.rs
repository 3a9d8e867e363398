//! Webhook → case updated: an agent changes a ticket's subject in Zendesk, the signed webhook
//! goes through intake, and the time until the case shows the new subject is measured.
//!
//! Two ways: `engine` hands the enqueued message straight to the mapper (what the SQS event
//! source does for the Lambda: it long-polls, so there is no idle wait), `worker` uses the
//! local server's queue workers as they are (they poll the embedded queue every 250 ms when it
//! is idle).

use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use secrecy::SecretString;
use zsync_core::intake::accept_webhook;
use zsync_core::sync::{Handling, handle_message};
use zsync_core::webhook_signature::sign;
use zsync_zendesk_sim::TicketChange;

use crate::world::{BoxError, WEBHOOK_SECRET, World};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Engine,
    Worker,
}

pub struct Latencies {
    pub samples: Vec<Duration>,
    pub requests: u64,
    pub by_endpoint: Vec<(String, u64)>,
}

impl Latencies {
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }
}

fn body(ticket: u64, event: &str) -> Vec<u8> {
    serde_json::json!({
        "account_id": 1, "detail": {"id": ticket.to_string()}, "event": {}, "id": event,
        "subject": format!("zen:ticket:{ticket}"), "time": chrono::Utc::now().to_rfc3339(),
        "type": "zen:event-type:ticket.subject_changed",
    })
    .to_string()
    .into_bytes()
}

pub async fn measure(
    world: &World,
    count: usize,
    mode: Mode,
    tag: &str,
) -> Result<Latencies, BoxError> {
    let secret = SecretString::from(WEBHOOK_SECRET);
    world.sim.reset_request_counts();
    let mut samples = Vec::with_capacity(count);
    // Closed tickets refuse updates, as in Zendesk: skip them until `count` webhooks were
    // measured (bounded: a few percent of a seeded account is closed).
    for i in 0..count * 4 {
        if samples.len() == count {
            break;
        }
        let ticket = world.ticket_ids[(i * 7919) % world.ticket_ids.len()];
        let subject = format!("bench {tag} {i}");
        let change = TicketChange {
            subject: Some(subject.clone()),
            ..TicketChange::default()
        };
        if world.sim.agent_update_ticket(ticket, change).is_err() {
            continue;
        }
        let body = body(ticket, &format!("bench-{tag}-{i}"));
        let stamp = chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let signature = sign(&secret, &stamp, &body);
        let started = Instant::now();
        accept_webhook(
            &world.ctx,
            &world.integration,
            Some(&signature),
            Some(&stamp),
            &body,
        )
        .await?;
        match mode {
            Mode::Engine => apply_now(world).await?,
            Mode::Worker => {}
        }
        wait_for_subject(world, ticket, &subject).await?;
        samples.push(started.elapsed());
    }
    Ok(Latencies {
        samples,
        requests: world.sim.total_requests(),
        by_endpoint: world.sim.request_counts().into_iter().collect(),
    })
}

/// Receives what intake enqueued and applies it, as the mapper Lambda would be invoked.
async fn apply_now(world: &World) -> Result<(), BoxError> {
    let deliveries = world
        .ctx
        .queue
        .receive(10, chrono::Duration::seconds(60))
        .await?;
    for delivery in deliveries {
        match handle_message(&world.ctx, &delivery.message, delivery.receive_count, 5).await {
            Handling::Done | Handling::Dropped(_) => world.ctx.queue.ack(&delivery.receipt).await?,
            Handling::Retry(reason) | Handling::Wait { reason, .. } => return Err(reason.into()),
        }
    }
    Ok(())
}

async fn wait_for_subject(world: &World, ticket: u64, subject: &str) -> Result<(), BoxError> {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if let Some(record) = world
            .ctx
            .store
            .get_ticket_record(&world.integration, ticket)
            .await?
            && let Some(case) = world.ctx.store.get_case(&record.value.case_id).await?
            && case.value.subject == subject
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    Err(format!("ticket {ticket} did not reach the case in 30 s").into())
}
