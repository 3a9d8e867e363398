//! Webhook-driven updates on the cloud adapters against moto, as the Lambdas run them: each
//! update is an agent's change in the simulated Zendesk, its signed delivery through the
//! webhook function's router, and the mapper's handling of what that enqueued. The webhook and
//! mapper functions are separate processes in AWS, so each gets its own context with its own
//! secret cache, wired as their cold start wires it ([`with_secret_cache`]).
//!
//! What it reports are request counts per update, which is what AWS bills: Secrets Manager
//! `GetSecretValue` per 1,000 updates with the cache (warm instances) and without it (the
//! wiring before the cache, or every invocation a cold start), and DynamoDB and SQS requests
//! per update.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::SecondsFormat;
use secrecy::SecretString;
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::SyncContext;
use zsync_core::secret_cache::{DEFAULT_SECRET_TTL, with_secret_cache};
use zsync_core::sync::{Handling, handle_message};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use zsync_zendesk_sim::TicketChange;

use crate::aws_sync::{Counters, FreshStack, Requests};
use crate::world::{self, BoxError, Ports, WEBHOOK_SECRET, World};

/// Tickets of the simulated account (the updates go round them).
const TICKETS: usize = 50;

/// Counts of one series of updates.
pub struct UpdateCosts {
    pub updates: usize,
    /// How long the series took (moto-bound): the cached reads are per TTL window of it.
    pub elapsed: std::time::Duration,
    pub dynamodb: Requests,
    pub sqs: Requests,
    pub secrets: Requests,
}

impl UpdateCosts {
    pub fn per_update(&self, requests: u64) -> f64 {
        requests as f64 / self.updates.max(1) as f64
    }
}

pub struct WebhookRun {
    /// Each function with its own secret cache (warm instances).
    pub cached: UpdateCosts,
    /// Every invocation reading its secrets (no cache).
    pub uncached: UpdateCosts,
}

/// `cached_updates` updates with cached secrets, then `uncached_updates` without, on a fresh
/// table, queue pair and secret prefix (deleted afterwards, best effort).
pub async fn run(
    cached_updates: usize,
    uncached_updates: usize,
    seed: u64,
) -> Result<WebhookRun, BoxError> {
    let counters = Counters::default();
    let stack = FreshStack::create("zsync-bench-webhooks", &counters).await?;
    let ports = stack.ports()?;
    let outcome = measure(ports, cached_updates, uncached_updates, seed, &counters).await;
    stack.delete().await;
    outcome
}

async fn measure(
    ports: Ports,
    cached_updates: usize,
    uncached_updates: usize,
    seed: u64,
    counters: &Counters,
) -> Result<WebhookRun, BoxError> {
    let world = world::assemble(ports, TICKETS, 10, seed).await?;
    // Two processes: the webhook function and the mapper, each with its own cache.
    let webhook_fn = with_secret_cache(world.ctx.clone(), DEFAULT_SECRET_TTL);
    let mapper_fn = with_secret_cache(world.ctx.clone(), DEFAULT_SECRET_TTL);
    let cached = series(
        &world,
        &webhook_fn,
        &mapper_fn,
        cached_updates,
        "cached",
        counters,
    )
    .await?;
    let uncached = series(
        &world,
        &world.ctx,
        &world.ctx,
        uncached_updates,
        "uncached",
        counters,
    )
    .await?;
    Ok(WebhookRun { cached, uncached })
}

async fn series(
    world: &World,
    webhook_fn: &SyncContext,
    mapper_fn: &SyncContext,
    updates: usize,
    tag: &str,
    counters: &Counters,
) -> Result<UpdateCosts, BoxError> {
    for counter in [&counters.dynamodb, &counters.sqs, &counters.secrets] {
        counter.reset();
    }
    let router = webhook_router(webhook_fn.clone());
    let secret = SecretString::from(WEBHOOK_SECRET);
    let started = std::time::Instant::now();
    let mut done = 0;
    // Closed tickets refuse updates: skip them (bounded).
    for i in 0..updates * 4 {
        if done == updates {
            break;
        }
        let ticket = world.ticket_ids[i % world.ticket_ids.len()];
        let change = TicketChange {
            subject: Some(format!("bench {tag} {i}")),
            ..TicketChange::default()
        };
        if world.sim.agent_update_ticket(ticket, change).is_err() {
            continue;
        }
        let body = serde_json::json!({
            "account_id": 1, "detail": {"id": ticket.to_string()}, "event": {},
            "id": format!("bench-{tag}-{i}"), "subject": format!("zen:ticket:{ticket}"),
            "time": chrono::Utc::now().to_rfc3339(),
            "type": "zen:event-type:ticket.subject_changed",
        })
        .to_string();
        let stamp = chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let signature = sign(&secret, &stamp, body.as_bytes());
        let request = Request::post(format!("/webhooks/zendesk/{}", world.integration))
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(TIMESTAMP_HEADER, stamp)
            .body(Body::from(body))?;
        let answer = router.clone().oneshot(request).await?;
        if answer.status() != StatusCode::OK {
            return Err(format!("webhook answered {}", answer.status()).into());
        }
        apply(mapper_fn).await?;
        done += 1;
    }
    if done < updates {
        return Err(format!("only {done} of {updates} tickets could be updated").into());
    }
    Ok(UpdateCosts {
        updates: done,
        elapsed: started.elapsed(),
        dynamodb: Requests(counters.dynamodb.snapshot()),
        sqs: Requests(counters.sqs.snapshot()),
        secrets: Requests(counters.secrets.snapshot()),
    })
}

/// What the SQS event source does for the mapper: receive, handle, delete.
async fn apply(mapper_fn: &SyncContext) -> Result<(), BoxError> {
    let deliveries = mapper_fn
        .queue
        .receive(10, chrono::Duration::seconds(60))
        .await?;
    if deliveries.is_empty() {
        return Err("the webhook enqueued nothing".into());
    }
    for delivery in deliveries {
        match handle_message(mapper_fn, &delivery.message, delivery.receive_count, 5).await {
            Handling::Done => mapper_fn.queue.ack(&delivery.receipt).await?,
            other => return Err(format!("the mapper did not apply an update: {other:?}").into()),
        }
    }
    Ok(())
}

/// The report's lines.
pub fn print(run: &WebhookRun) {
    let ttl_secs = DEFAULT_SECRET_TTL.num_seconds().unsigned_abs().max(1);
    for (label, costs) in [
        ("warm instances, secrets cached", &run.cached),
        (
            "no secret cache (before; or every invocation cold)",
            &run.uncached,
        ),
    ] {
        let reads = costs.secrets.of("GetSecretValue");
        println!(
            "  [moto] webhook updates, {label}: {} updates in {:.0} s ({} TTL window(s) of {} s); Secrets Manager GetSecretValue {reads} = {:.1} per 1,000 updates; DynamoDB {:.2} and SQS {:.2} requests per update; DynamoDB {:?}; SQS {:?}",
            costs.updates,
            costs.elapsed.as_secs_f64(),
            costs.elapsed.as_secs() / ttl_secs + 1,
            ttl_secs,
            reads as f64 * 1000.0 / costs.updates.max(1) as f64,
            costs.per_update(costs.dynamodb.total().requests),
            costs.per_update(costs.sqs.total().requests),
            costs.dynamodb.by_operation(),
            costs.sqs.by_operation(),
        );
    }
}
