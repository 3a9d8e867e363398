//! The service in a process of its own, for its peak RSS: the harness holds the simulated
//! account (tens of MiB for 20,000 tickets), so its own RSS overstates the service's. The
//! harness runs itself again with `--service-of <zendesk url>`; that child opens the embedded
//! adapters in a fresh data dir, runs the same first sync against the parent's simulator and
//! prints one JSON line with its timings and its own VmHWM.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::first_sync::{sync_until_drained, verify};
use crate::memory;
use crate::world::{self, BoxError};

/// What the child reported.
pub struct ServiceRun {
    pub elapsed: Duration,
    pub export_elapsed: Duration,
    pub cases_created: u64,
    pub tickets_seen: u64,
    pub peak_rss: u64,
}

/// The child's side: one first sync of the account at `zendesk_url`, then the report line.
pub async fn serve_first_sync(
    zendesk_url: &str,
    data_parent: Option<&Path>,
    workers: usize,
    tickets: usize,
) -> Result<(), BoxError> {
    let dir = match data_parent {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let (ports, _, queue) = world::embedded_ports(dir.path()).await?;
    let (ctx, integration) = world::connect(ports, zendesk_url).await?;
    let timing = sync_until_drained(&ctx, &integration, workers, Duration::from_millis(20)).await?;
    let dead = queue.dead_letters().await?.len();
    let counters = verify(&ctx, &integration, tickets, dead).await?;
    let peak_rss = memory::peak_rss().ok_or("VmHWM is unreadable (/proc/self/status)")?;
    let report = json!({
        "elapsed_s": timing.elapsed.as_secs_f64(),
        "export_s": timing.export_elapsed.as_secs_f64(),
        "cases_created": counters.cases_created,
        "tickets_seen": counters.tickets_seen,
        "peak_rss": peak_rss,
    });
    println!("{report}");
    Ok(())
}

/// The parent's side: runs the child against `zendesk_url` and reads its report.
/// The child verifies its sync mirrored all `tickets` before it reports.
pub async fn measure(
    zendesk_url: &str,
    data_parent: Option<&Path>,
    workers: usize,
    tickets: usize,
) -> Result<ServiceRun, BoxError> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["--service-of", zendesk_url])
        .args(["--workers", &workers.to_string()])
        .args(["--tickets", &tickets.to_string()]);
    if let Some(parent) = data_parent {
        command.arg("--data-dir").arg(parent);
    }
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    if !output.status.success() {
        return Err(format!(
            "the service process failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .ok_or("the service process printed nothing")?;
    let report: Value = serde_json::from_str(line)?;
    let number = |field: &str| {
        report
            .get(field)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the service process's report lacks {field}: {line}"))
    };
    Ok(ServiceRun {
        elapsed: Duration::from_secs_f64(number("elapsed_s")?),
        export_elapsed: Duration::from_secs_f64(number("export_s")?),
        cases_created: number("cases_created")? as u64,
        tickets_seen: number("tickets_seen")? as u64,
        peak_rss: number("peak_rss")? as u64,
    })
}
