//! `zsync-bench`: measures zendesk-sync on a seeded simulated Zendesk account, on the embedded
//! adapters wired as the local server wires them. Not part of the test run.
//!
//! ```text
//! scripts/bench.sh                     # builds it and the Lambdas in release, runs with moto
//! target/release/zsync-bench           # 20,000 tickets, 2,000 users, 1,000 webhooks
//! target/release/zsync-bench --tickets 2000 --webhooks 100 --data-dir /dev/shm
//! ```
//!
//! What it reports (targets in brackets):
//! - first-sync throughput, tickets/s end to end: export → queue → mapper → store, simulator
//!   rate limits off [≥ 5,000/s]; the cost of one lone durable store write (fsync), and how
//!   many writes the store and queue files took and in how many commits (concurrent writes
//!   share a commit);
//! - Zendesk requests per 1,000 tickets for that sync [≤ 6] and per webhook update [≤ 2];
//! - webhook → case-updated latency p50/p99 over N signed webhooks [p99 < 50 ms], straight
//!   to the mapper (as the SQS event source invokes it) and through the local queue workers;
//! - peak RSS of the service [< 100 MiB]: the same first sync again in a child process that
//!   holds only the service (this process also holds the simulated account), and of one
//!   mapper batch (VmHWM, reset before the batch);
//! - Lambda cold start of each function binary in `--bin-dir` (default target/release) against
//!   a local Runtime API stub, and each binary's size [< 20 ms];
//! - the same first sync against moto on the cloud adapters (DynamoDB store, SQS queue,
//!   Secrets Manager; fresh table, queue pair and secret prefix per run), reported separately
//!   because it is emulator-bound: its seconds and tickets/s measure moto, its DynamoDB, SQS
//!   and Secrets Manager requests per ticket are what AWS would bill (the DynamoDB count
//!   includes the SDK's retries of moto's own HTTP 500s, a few percent). It runs when
//!   `AWS_ENDPOINT_URL` names a local emulator (127.0.0.1/localhost only; otherwise the report
//!   says how to enable it), on `--moto-tickets` tickets (default 300, 0 skips it: moto
//!   serves at most a few hundred requests a second, and each of its TransactWriteItems
//!   copies the whole table, so it slows as the table grows — 200 tickets took 1.5–2 min on a
//!   busy 2-core machine). It fails rather than report a run that left a ticket without its
//!   case or a message in the dead-letter queue:
//!
//! ```text
//! source scripts/moto.sh && moto_start && target/release/zsync-bench --moto-tickets 300; moto_stop
//! ```
//!
//! - webhook-driven updates against moto (`--moto-webhooks`, default 200; `--only-moto-webhooks`
//!   runs this section alone): signed deliveries through the webhook function's router, then
//!   the mapper, each function with its own secret cache as its cold start wires it; reports
//!   Secrets Manager `GetSecretValue` per 1,000 updates [≤ 1 per integration per warm instance
//!   per TTL], with and without the cache, and DynamoDB and SQS requests per update.
//!
//! The data dir defaults to a temporary directory on the working disk (the store fsyncs every
//! write transaction, as it does in production); `--data-dir /dev/shm` shows the cost without.
//! Logs are off unless `RUST_LOG` is set (`RUST_LOG=warn` shows the sync's retries on stderr).
//!
//! Criterion benches of the pure hot paths: `cargo bench -p zsync-bench` (map + merge a ticket)
//! and `cargo bench -p zsync-zendesk` (parse an export page).

mod aws_report;
mod aws_sync;
mod aws_webhooks;
mod cold_start;
mod first_sync;
mod memory;
mod service_process;
mod webhooks;
mod world;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Benchmarks zendesk-sync against a simulated Zendesk account")]
struct Args {
    #[arg(long, default_value_t = 20_000)]
    tickets: usize,
    #[arg(long, default_value_t = 2_000)]
    users: usize,
    #[arg(long, default_value_t = 1_000)]
    webhooks: usize,
    /// Queue workers (the local server's default is 2).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Parent of the temporary data dir (default: the system temp dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where the Lambda binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Tickets of the first sync on DynamoDB/SQS against moto, run when AWS_ENDPOINT_URL
    /// names a local emulator (0 skips it). Modest: a ticket costs ~23 DynamoDB and SQS
    /// requests and moto serves a few hundred a second at best, so 300 take minutes.
    #[arg(long, default_value_t = 300)]
    moto_tickets: usize,
    /// Webhook-driven updates on DynamoDB/SQS/Secrets Manager against moto, counting
    /// Secrets Manager, DynamoDB and SQS requests per update (0 skips them).
    #[arg(long, default_value_t = 200)]
    moto_webhooks: usize,
    /// Run only the moto webhook-update section (no embedded runs, no first sync).
    #[arg(long)]
    only_moto_webhooks: bool,
    /// Internal: be the service process of a run (`service_process`) against this Zendesk URL.
    #[arg(long, hide = true)]
    service_of: Option<String>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), world::BoxError> {
    let args = Args::parse();
    // Quiet by default (the report is the output); `RUST_LOG=warn` shows e.g. the sync's retries.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if let Some(zendesk_url) = &args.service_of {
        return service_process::serve_first_sync(
            zendesk_url,
            args.data_dir.as_deref(),
            args.workers,
            args.tickets,
        )
        .await;
    }
    if args.only_moto_webhooks {
        return aws_report::webhooks_section(args.moto_webhooks, args.seed).await;
    }
    if args.tickets == 0 {
        return Err("--tickets must be at least 1".into());
    }
    let dir = match &args.data_dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    println!(
        "zsync-bench: {} tickets × 3 comments, {} users, data dir {}",
        args.tickets,
        args.users,
        dir.path().display()
    );
    let (world, store, queue) =
        world::build(dir.path(), args.tickets, args.users, args.seed).await?;
    println!(
        "seeded; RSS {:.1} MiB",
        memory::mib(memory::current_rss().unwrap_or(0))
    );

    let write = first_sync::write_txn_cost(&world, 200).await?;
    println!(
        "store write transaction alone (durable commit, fsync): {:.2} ms",
        ms(write)
    );

    let (store_before, queue_before) = (store.write_stats(), queue.write_stats());
    let sync = first_sync::run(&world, args.workers, Duration::from_millis(20)).await?;
    let dead = queue.dead_letters().await?.len();
    first_sync::verify(&world.ctx, &world.integration, sync.tickets, dead).await?;
    let secs = sync.elapsed.as_secs_f64();
    println!(
        "first sync: {} tickets in {:.2} s = {:.0} tickets/s (export alone {:.2} s); {:.2} ms per ticket",
        sync.tickets,
        secs,
        sync.tickets as f64 / secs,
        sync.export_elapsed.as_secs_f64(),
        secs * 1000.0 / sync.tickets as f64,
    );
    for (file, before, after) in [
        ("store", store_before, store.write_stats()),
        ("queue", queue_before, queue.write_stats()),
    ] {
        let (writes, commits) = (
            after.writes - before.writes,
            (after.commits - before.commits).max(1),
        );
        println!(
            "  {file} file: {writes} writes in {commits} commits ({:.2} writes per ticket, {:.1} per commit)",
            writes as f64 / sync.tickets as f64,
            writes as f64 / commits as f64
        );
    }
    println!(
        "zendesk requests: {} total = {:.2} per 1,000 tickets; by endpoint {:?}",
        sync.requests,
        sync.requests as f64 * 1000.0 / sync.tickets as f64,
        sync.by_endpoint
    );
    let export_requests: u64 = sync
        .by_endpoint
        .iter()
        .filter(|(endpoint, _)| endpoint.starts_with("incremental") || endpoint == "ticket_events")
        .map(|(_, n)| n)
        .sum();
    println!(
        "with Zendesk's export limit (10 requests/min) the same export takes at least {:.1} min, so at most {:.0} tickets/s",
        export_requests as f64 / 10.0,
        sync.tickets as f64 / (export_requests as f64 * 6.0).max(1.0)
    );
    println!(
        "peak RSS after the first sync (VmHWM): {:.1} MiB",
        memory::mib(memory::peak_rss().unwrap_or(0))
    );
    let service = service_process::measure(
        &world.sim.base_url(),
        args.data_dir.as_deref(),
        args.workers,
        world.ticket_ids.len(),
    )
    .await?;
    println!(
        "the service in a process of its own (this harness holds the simulated account): first sync {} tickets, {} cases in {:.2} s = {:.0} tickets/s (export alone {:.2} s); peak RSS {:.1} MiB",
        service.tickets_seen,
        service.cases_created,
        service.elapsed.as_secs_f64(),
        service.tickets_seen as f64 / service.elapsed.as_secs_f64().max(1e-9),
        service.export_elapsed.as_secs_f64(),
        memory::mib(service.peak_rss)
    );

    let engine = webhooks::measure(&world, args.webhooks, webhooks::Mode::Engine, "engine").await?;
    println!(
        "webhook → case updated, straight to the mapper: p50 {:.2} ms, p99 {:.2} ms over {}; Zendesk requests per webhook update {:.2}",
        ms(engine.percentile(50.0)),
        ms(engine.percentile(99.0)),
        engine.samples.len(),
        engine.requests as f64 / engine.samples.len().max(1) as f64
    );
    println!("  by endpoint: {:?}", engine.by_endpoint);
    let (stop, handles) = first_sync::start_workers(&world.ctx, args.workers);
    let through_workers = webhooks::measure(
        &world,
        args.webhooks.min(200),
        webhooks::Mode::Worker,
        "worker",
    )
    .await?;
    let _ = stop.send(true);
    for handle in handles {
        let _ = handle.await;
    }
    println!(
        "webhook → case updated, through the local queue workers: p50 {:.2} ms, p99 {:.2} ms over {}",
        ms(through_workers.percentile(50.0)),
        ms(through_workers.percentile(99.0)),
        through_workers.samples.len()
    );

    let before = memory::current_rss().unwrap_or(0);
    if memory::reset_peak() {
        let batch = webhooks::measure(&world, 10, webhooks::Mode::Engine, "batch").await?;
        let peak = memory::peak_rss().unwrap_or(0);
        println!(
            "one mapper batch ({} messages): peak RSS {:.1} MiB, {:.2} MiB above the RSS before it",
            batch.samples.len(),
            memory::mib(peak),
            memory::mib(peak.saturating_sub(before))
        );
    } else {
        println!("one mapper batch: /proc/self/clear_refs refused, peak not reset");
    }
    println!(
        "peak RSS of the process (VmHWM since the reset) / current: {:.1} / {:.1} MiB",
        memory::mib(memory::peak_rss().unwrap_or(0)),
        memory::mib(memory::current_rss().unwrap_or(0))
    );

    let starts = cold_start::measure(&args.bin_dir);
    if starts.is_empty() {
        println!(
            "cold start: no function binaries in {} (build them with `cargo build --release -p zsync-fn-webhook -p zsync-fn-scheduler -p zsync-fn-mapper -p zsync-fn-api`)",
            args.bin_dir.display()
        );
    }
    for start in starts {
        match start.init {
            Ok(init) => println!(
                "cold start {}: {:.1} ms to the first `next`; binary {:.1} MiB ({})",
                start.function,
                ms(init),
                memory::mib(start.size_bytes),
                start.binary.display()
            ),
            Err(why) => println!("cold start {}: not measured: {why}", start.function),
        }
    }
    // Requesters scale with the tickets, as in the embedded run.
    let moto_users = (args.users * args.moto_tickets / args.tickets.max(1)).max(1);
    aws_report::section(args.moto_tickets, moto_users, args.workers, args.seed).await?;
    aws_report::webhooks_section(args.moto_webhooks, args.seed).await?;
    Ok(())
}
