//! The report's "same first sync against moto" section: runs [`aws_sync::run`] when a local
//! emulator is configured, says how to enable it when not, and prints only a verified run.

use crate::aws_sync::{self, AwsSync};
use crate::aws_webhooks;
use crate::world::BoxError;

const HOW_TO_ENABLE: &str = "source scripts/moto.sh && moto_start && target/release/zsync-bench --moto-tickets 300; moto_stop";

/// `tickets` 0 skips the section; `users` is already scaled to the ticket count.
pub async fn section(
    tickets: usize,
    users: usize,
    workers: usize,
    seed: u64,
) -> Result<(), BoxError> {
    if tickets == 0 {
        println!("moto (DynamoDB/SQS) first sync: skipped (--moto-tickets 0)");
        return Ok(());
    }
    let endpoint = match aws_sync::local_endpoint() {
        Ok(endpoint) => endpoint,
        Err(why) => {
            println!(
                "moto (DynamoDB/SQS) first sync: not run: {why}; to run it: `{HOW_TO_ENABLE}`"
            );
            return Ok(());
        }
    };
    println!(
        "moto (DynamoDB/SQS) first sync, EMULATOR-BOUND (moto is one Python process serving at most a few hundred requests/s: time and tickets/s measure moto; the request counts are what AWS would bill): {tickets} tickets × 3 comments, {users} users, {workers} workers, {endpoint}"
    );
    let run = aws_sync::run(tickets, users, workers, seed).await?;
    verify(&run)?;
    print(&run);
    Ok(())
}

/// A number of a broken run is no number: every ticket must have its case, nothing may be
/// dead-lettered, and the export's job must have seen every ticket.
fn verify(run: &AwsSync) -> Result<(), BoxError> {
    let tickets = run.sync.tickets;
    if !run.dead_letters.is_empty() {
        let moto_failed = run
            .dead_letters
            .iter()
            .any(|(reason, _)| reason.contains("StatusCode(500)"));
        let hint = if moto_failed {
            " — moto answered HTTP 500: its TransactWriteItems deep-copies the table and fails \
             under concurrent writes (\"dictionary changed size during iteration\" in its log); \
             run again, with fewer --moto-tickets or --workers"
        } else {
            ""
        };
        return Err(format!(
            "moto first sync incomplete: messages in the dead-letter queue (reason, count): {:?}{hint}",
            run.dead_letters
        )
        .into());
    }
    if run.cases != tickets {
        return Err(format!(
            "moto first sync incomplete: {} cases in the table for {tickets} tickets",
            run.cases
        )
        .into());
    }
    match &run.job {
        Some((_, counters)) if counters.tickets_seen == tickets as u64 => Ok(()),
        Some((_, counters)) => Err(format!(
            "moto first sync incomplete: the job saw {} of {tickets} tickets",
            counters.tickets_seen
        )
        .into()),
        None => Err("moto first sync incomplete: the export recorded no job".into()),
    }
}

fn print(run: &AwsSync) {
    let tickets = run.sync.tickets as f64;
    let secs = run.sync.elapsed.as_secs_f64();
    let aws_requests = run.dynamodb.total().requests + run.sqs.total().requests;
    println!(
        "  [moto] first sync: {} tickets in {:.2} s = {:.0} tickets/s (export alone {:.2} s); moto served {:.0} DynamoDB+SQS requests/s — emulator-bound, not an AWS figure",
        run.sync.tickets,
        secs,
        tickets / secs,
        run.sync.export_elapsed.as_secs_f64(),
        aws_requests as f64 / secs,
    );
    println!(
        "  [moto] zendesk requests: {} total = {:.2} per 1,000 tickets; by endpoint {:?}",
        run.sync.requests,
        run.sync.requests as f64 * 1000.0 / tickets,
        run.sync.by_endpoint
    );
    let dynamodb = run.dynamodb.total();
    println!(
        "  [moto] dynamodb requests: {} total = {:.2} per ticket; {:.2} write / {:.2} read capacity units per ticket (AWS's rules on the real item sizes); by operation {:?}",
        dynamodb.requests,
        dynamodb.requests as f64 / tickets,
        dynamodb.write_units / tickets,
        dynamodb.read_units / tickets,
        run.dynamodb.by_operation()
    );
    let sqs = run.sqs.total().requests.saturating_sub(run.depth_polls);
    println!(
        "  [moto] sqs requests: {sqs} total = {:.2} per ticket (without the harness's {} GetQueueAttributes depth checks; ReceiveMessage includes the local workers' empty polls); by operation {:?}",
        sqs as f64 / tickets,
        run.depth_polls,
        run.sqs.by_operation()
    );
    println!(
        "  [moto] secrets manager requests: {}; by operation {:?}",
        run.secrets.total().requests,
        run.secrets.by_operation()
    );
    if let Some((state, counters)) = &run.job {
        println!(
            "  [moto] end state: {} cases in the table for {} tickets, dead-letter queue empty; export job {state:?}, {counters:?}",
            run.cases, run.sync.tickets
        );
    }
}

/// Webhook-driven updates against moto: `updates` with the secret cache, a quarter of them
/// (at least 20) without, for the comparison. 0 skips the section.
pub async fn webhooks_section(updates: usize, seed: u64) -> Result<(), BoxError> {
    if updates == 0 {
        println!("moto webhook updates: skipped (--moto-webhooks 0)");
        return Ok(());
    }
    let endpoint = match aws_sync::local_endpoint() {
        Ok(endpoint) => endpoint,
        Err(why) => {
            println!("moto webhook updates: not run: {why}; to run it: `{HOW_TO_ENABLE}`");
            return Ok(());
        }
    };
    let uncached = (updates / 4).max(20);
    println!(
        "moto webhook updates (signed delivery through the webhook function's router, then the mapper; each function its own secret cache; request counts are what AWS would bill): {updates} cached + {uncached} uncached, {endpoint}"
    );
    let run = aws_webhooks::run(updates, uncached, seed).await?;
    aws_webhooks::print(&run);
    Ok(())
}
