//! `zendesk-sync demo`: the `serve` stack plus a simulated Zendesk in the same process. It
//! seeds the account, then does what a newcomer would do through the HTTP API — create the
//! first CRM admin, create and activate a two-way integration, schedule the first sync —
//! shows the job's progress, and summarises what arrived in the CRM.

mod account;
mod client;
mod progress;
mod summary;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;
use zsync_api::Auth;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk::ClientConfig;
use zsync_zendesk_sim::{RateLimit, SimConfig, Simulator};

pub use account::SeededAccount;
pub use summary::Summary;

use crate::options::ServeOptions;
use crate::server::{LocalServer, ShutdownReport, StartError};
use crate::token::{TokenError, generate_secret, mint_token};
use client::ApiClient;
use progress::{Counts, Progress};

/// The CRM admin the demo creates and acts as.
pub const ADMIN_EMAIL: &str = "admin@demo.example";
/// The Zendesk API user of the simulated account.
const ZENDESK_API_EMAIL: &str = "api@demo-zendesk.example";
/// How long the printed token is valid.
pub const TOKEN_VALIDITY: Duration = Duration::from_secs(12 * 3600);
/// The simulator's and the client's rate-limit "minute": Zendesk's budgets, 60 times faster.
const RATE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub addr: SocketAddr,
    /// A temporary directory (removed at the end) unless given.
    pub data_dir: Option<PathBuf>,
    /// Generated tickets (a few more are added: see `account`).
    pub tickets: usize,
    pub seed: u64,
    pub poll_interval: Duration,
    /// Draw the progress bar on stderr.
    pub progress: bool,
    /// Longest wait for the first sync.
    pub sync_timeout: Duration,
    /// The HS256 secret; a fresh one per session if unset.
    pub auth_secret: Option<SecretString>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: None,
            tickets: 300,
            seed: 7,
            poll_interval: crate::options::DEFAULT_POLL_INTERVAL,
            progress: true,
            sync_timeout: Duration::from_secs(300),
            auth_secret: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create a temporary data directory: {0}")]
    TempDir(String),
    #[error("cannot start the simulated Zendesk: {0}")]
    Simulator(String),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the session's token secret is not usable: {0}")]
    Auth(String),
    #[error("cannot read the store: {0}")]
    Store(String),
    #[error("HTTP request failed: {0}")]
    Http(String),
    #[error("{request} answered {status}: {message}")]
    Api {
        request: String,
        status: u16,
        message: String,
    },
    #[error("the API answered without {0}")]
    Unexpected(&'static str),
    #[error("the first sync did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the first sync failed: {0}")]
    SyncFailed(String),
}

/// A demo that has run its first sync and is still serving.
pub struct Demo {
    pub server: LocalServer,
    pub sim: Simulator,
    pub account: SeededAccount,
    pub summary: Summary,
    /// An admin token signed with the session's secret.
    pub admin_token: String,
    pub data_dir: PathBuf,
    /// Whether `data_dir` is removed when the demo ends.
    pub temporary: bool,
    temp_dir: Option<TempDir>,
}

impl Demo {
    /// Stops the server (as `serve` does), then the simulator; removes a temporary data dir.
    pub async fn shutdown(self) -> ShutdownReport {
        let report = self.server.shutdown().await;
        drop(self.sim);
        drop(self.temp_dir);
        report
    }
}

/// Seeds a simulated Zendesk, starts the local server on it, runs the first sync through the
/// HTTP API and returns the running demo with its summary.
pub async fn run_demo(options: DemoOptions) -> Result<Demo, DemoError> {
    let started = Instant::now();
    let (data_dir, temp_dir) = match &options.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("zendesk-sync-demo-")
                .tempdir()
                .map_err(|e| DemoError::TempDir(e.to_string()))?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let sim = Simulator::start(SimConfig {
        rate_limit: Some(RateLimit {
            window: RATE_WINDOW,
            ..RateLimit::default()
        }),
        ..SimConfig::default()
    })
    .await
    .map_err(|e| DemoError::Simulator(e.to_string()))?;
    let zendesk_token = uuid::Uuid::new_v4().simple().to_string();
    sim.add_api_user(ZENDESK_API_EMAIL, &zendesk_token, UserRole::Admin);
    let account = account::seed_account(&sim, options.tickets, options.seed);

    let secret = options.auth_secret.clone().unwrap_or_else(generate_secret);
    let auth = Auth::hs256(&secret).map_err(|e| DemoError::Auth(e.to_string()))?;
    let mut serve = ServeOptions::new(options.addr, &data_dir);
    serve.allow_insecure_zendesk_urls = true;
    serve.poll_interval = options.poll_interval;
    serve.zendesk = ClientConfig::with_rate_window(RATE_WINDOW);
    let server = LocalServer::start(serve, auth).await?;

    let admin_token = mint_token(&secret, ADMIN_EMAIL, &["admin"], TOKEN_VALIDITY)?;
    let api = ApiClient::new(server.base_url(), admin_token.clone())?;
    let first_sync = async {
        let (integration, job) = set_up_integration(&api, &sim, &zendesk_token).await?;
        let final_job = follow_job(&api, &server, &integration, &job, &account, &options).await?;
        summary::collect(
            &api,
            &server,
            &IntegrationId::new(integration),
            final_job,
            &account,
            started,
        )
        .await
    };
    let summary = match first_sync.await {
        Ok(summary) => summary,
        Err(e) => {
            server.shutdown().await;
            return Err(e);
        }
    };
    Ok(Demo {
        server,
        sim,
        account,
        summary,
        admin_token,
        temporary: temp_dir.is_some(),
        data_dir,
        temp_dir,
    })
}

fn text<'a>(value: &'a Value, pointer: &'static str) -> Result<&'a str, DemoError> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or(DemoError::Unexpected(pointer))
}

/// The first admin, a two-way integration on the simulator, activation (credentials check and
/// webhook) and "Schedule Sync". Returns the integration and job ids.
async fn set_up_integration(
    api: &ApiClient,
    sim: &Simulator,
    zendesk_token: &str,
) -> Result<(String, String), DemoError> {
    let user = api
        .post(
            "/users",
            json!({"email": ADMIN_EMAIL, "name": "Demo Admin", "roles": ["admin"]}),
        )
        .await?;
    let owner = text(&user, "/id")?;
    let created = api
        .post(
            "/integrations",
            json!({
                "type": "zendesk",
                "name": "Demo Zendesk Integration",
                "url": sim.base_url(),
                "api_email": ZENDESK_API_EMAIL,
                "api_token": zendesk_token,
                "default_zendesk_user_email": ZENDESK_API_EMAIL,
                "owner_id": owner,
                "two_way_sync": true,
                "sync_priority": "remote",
            }),
        )
        .await?;
    let integration = text(&created, "/id")?.to_owned();
    api.post(&format!("/integrations/{integration}/activate"), json!({}))
        .await?;
    let job = api
        .post(
            &format!("/integrations/{integration}/sync"),
            json!({"full": true}),
        )
        .await?;
    let job = text(&job, "/id")?.to_owned();
    tracing::info!(integration = %integration, job = %job, "first sync scheduled");
    Ok((integration, job))
}

fn counter(job: &Value, name: &str) -> u64 {
    job.pointer(&format!("/counters/{name}"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Polls the job (and the queue) until the job has finished and every message it caused has
/// been handled; draws the progress bar meanwhile. Returns the finished job.
async fn follow_job(
    api: &ApiClient,
    server: &LocalServer,
    integration: &str,
    job: &str,
    account: &SeededAccount,
    options: &DemoOptions,
) -> Result<Value, DemoError> {
    let mut progress = Progress::new(options.progress);
    let deadline = Instant::now() + options.sync_timeout;
    let path = format!("/integrations/{integration}/jobs/{job}");
    let total = u64::try_from(account.ticket_ids.len()).unwrap_or(u64::MAX);
    loop {
        let current = api.get(&path).await?;
        let queued = server.queue_depth().await;
        let applied = ["cases_created", "cases_updated", "unchanged", "failed"]
            .iter()
            .map(|c| counter(&current, c))
            .sum();
        progress.show(&Counts {
            applied,
            total,
            created: counter(&current, "cases_created"),
            failed: counter(&current, "failed"),
            queued,
        });
        let state = current.get("state").and_then(Value::as_str).unwrap_or("");
        if state == "failed" {
            progress.finish();
            let reason = text(&current, "/error").unwrap_or("no reason given");
            return Err(DemoError::SyncFailed(reason.to_owned()));
        }
        if state == "succeeded" && queued == 0 {
            progress.finish();
            return Ok(current);
        }
        if Instant::now() >= deadline {
            progress.finish();
            return Err(DemoError::Timeout(options.sync_timeout));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
