//! `serve`'s wiring: the embedded adapters under the data directory, the real Zendesk client,
//! and in one process the three things the Lambdas do — the HTTP API with the webhook route
//! (the same Router as the api fn), the scheduler tick (`run_exports`) and the mapper
//! (`run_worker` over the embedded queue). No flow is implemented here.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use zsync_api::{Auth, api_router};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::ports::SyncQueue;
use zsync_core::sync::{WorkerStats, run_worker};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore, OpenError, QueueOptions};
use zsync_zendesk::ZendeskClientFactory;

use crate::options::ServeOptions;
use crate::scheduler::{Kick, run_scheduler};

/// Files under the data directory.
pub const STORE_FILE: &str = "store.redb";
pub const QUEUE_FILE: &str = "queue.redb";
pub const SECRETS_FILE: &str = "secrets.json";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("{0} (is another zendesk-sync using this data directory?)")]
    Open(#[from] OpenError),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Zendesk(#[from] zsync_zendesk::BuildError),
}

/// What a shutdown finished and what it had to leave (redone after a restart).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Messages the workers settled in this process's life.
    pub worker: WorkerStats,
    /// Tasks that did not stop within the grace period and were cut off.
    pub abandoned: Vec<&'static str>,
}

/// A running local server. Stop it with [`LocalServer::shutdown`]; dropping it cuts every task
/// off at once (like a crash: nothing is lost, in-flight messages are redelivered).
pub struct LocalServer {
    addr: SocketAddr,
    public_url: String,
    ctx: SyncContext,
    queue: Arc<EmbeddedQueue>,
    kick: Kick,
    stop: watch::Sender<bool>,
    http: Option<JoinHandle<()>>,
    scheduler: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<WorkerStats>>,
    grace: Duration,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let tasks = self.http.iter().chain(self.scheduler.iter());
        for task in tasks {
            task.abort();
        }
        for worker in &self.workers {
            worker.abort();
        }
    }
}

async fn create_data_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |e: std::io::Error| StartError::DataDir {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    tokio::fs::create_dir_all(dir).await.map_err(fail)?;
    // The store holds contacts and the secret file tokens: owner only.
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .await
        .map_err(fail)
}

impl LocalServer {
    /// Opens the data directory, binds the address and starts the HTTP server, the scheduler
    /// (its first tick runs at once: it catches up after a restart) and the queue workers.
    pub async fn start(options: ServeOptions, auth: Auth) -> Result<Self, StartError> {
        let dir = &options.data_dir;
        create_data_dir(dir).await?;
        let queue_options = QueueOptions::default();
        let store = EmbeddedStore::open(dir.join(STORE_FILE)).await?;
        let queue = Arc::new(EmbeddedQueue::open_with(dir.join(QUEUE_FILE), queue_options).await?);
        let secrets = FileSecretStore::open(dir.join(SECRETS_FILE)).await?;
        let zendesk = ZendeskClientFactory::new(options.zendesk.clone())?;

        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|e| StartError::Bind {
                addr: options.addr,
                reason: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind {
            addr: options.addr,
            reason: e.to_string(),
        })?;
        let public_url = options
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}"));

        let ctx = SyncContext {
            store: Arc::new(store),
            queue: queue.clone(),
            secrets: Arc::new(secrets),
            zendesk: Arc::new(zendesk),
            clock: Arc::new(SystemClock),
            settings: ServiceSettings {
                public_url: public_url.clone(),
                allow_insecure_zendesk_urls: options.allow_insecure_zendesk_urls,
                export_lease_ttl: chrono::Duration::from_std(options.export_lease_ttl)
                    .unwrap_or(zsync_core::export::LEASE_TTL),
            },
        };
        let (stop, stopping) = watch::channel(false);
        let kick = Kick::default();

        let router = http_router(ctx.clone(), auth, kick.clone());
        let mut http_stop = stopping.clone();
        let http = tokio::spawn(async move {
            let serving = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
        let scheduler = tokio::spawn(run_scheduler(
            ctx.clone(),
            options.poll_interval,
            options.export_lease_ttl,
            kick.clone(),
            stopping.clone(),
        ));
        let workers = (0..options.workers.max(1))
            .map(|_| {
                let mut worker_stop = stopping.clone();
                tokio::spawn(run_worker(
                    ctx.clone(),
                    queue_options.max_receives,
                    async move {
                        let _ = worker_stop.wait_for(|s| *s).await;
                    },
                ))
            })
            .collect();
        if !public_url.starts_with("https://") && !options.allow_insecure_zendesk_urls {
            // Zendesk's cloud delivers webhooks only to https URLs it can reach; until then
            // changes arrive with the scheduled export alone.
            tracing::warn!(
                %public_url,
                "Zendesk cannot deliver webhooks to this URL; pass --public-url with an https URL that reaches this server"
            );
        }
        tracing::info!(
            %addr,
            data_dir = %dir.display(),
            %public_url,
            allow_insecure_zendesk_urls = options.allow_insecure_zendesk_urls,
            "zendesk-sync is serving"
        );
        Ok(Self {
            addr,
            public_url,
            ctx,
            queue,
            kick,
            stop,
            http: Some(http),
            scheduler: Some(scheduler),
            workers,
            grace: options.shutdown_grace,
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`: where the API is reached.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL given to Zendesk for webhooks.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The adapters the server runs on. Drop clones before [`LocalServer::shutdown`] returns
    /// if the data directory is to be opened again in this process.
    pub fn context(&self) -> &SyncContext {
        &self.ctx
    }

    /// The embedded queue (depth, dead letters).
    pub fn queue(&self) -> &EmbeddedQueue {
        &self.queue
    }

    /// Messages waiting or in flight.
    pub async fn queue_depth(&self) -> usize {
        self.queue.depth().await.unwrap_or(usize::MAX)
    }

    /// Runs the export now instead of at the next poll.
    pub fn kick_scheduler(&self) {
        self.kick.now();
    }

    /// Stops accepting HTTP requests and queue messages, lets the requests, the export slice
    /// and the messages in hand finish (each within the grace period), then closes the store
    /// and the queue. A restart on the same data directory continues from the stored export
    /// cursor and the queue.
    pub async fn shutdown(mut self) -> ShutdownReport {
        tracing::info!("shutting down: finishing requests, the export slice and messages in hand");
        let _ = self.stop.send(true);
        let mut report = ShutdownReport::default();
        // One deadline for everything: the tasks were all told at once and stop in parallel.
        let deadline = tokio::time::Instant::now() + self.grace;
        if let Some(http) = self.http.take()
            && !finish(http, deadline).await
        {
            report.abandoned.push("http");
        }
        if let Some(scheduler) = self.scheduler.take()
            && !finish(scheduler, deadline).await
        {
            report.abandoned.push("scheduler");
        }
        for worker in std::mem::take(&mut self.workers) {
            let abort = worker.abort_handle();
            match tokio::time::timeout_at(deadline, worker).await {
                Ok(Ok(stats)) => {
                    report.worker.done += stats.done;
                    report.worker.retried += stats.retried;
                    report.worker.dropped += stats.dropped;
                    report.worker.dead_lettered += stats.dead_lettered;
                }
                Ok(Err(_)) => report.abandoned.push("worker"),
                Err(_) => {
                    abort.abort();
                    report.abandoned.push("worker");
                }
            }
        }
        if report.abandoned.is_empty() {
            tracing::info!(done = report.worker.done, "stopped cleanly");
        } else {
            tracing::warn!(abandoned = ?report.abandoned, "stopped; unfinished work is redone after a restart");
        }
        report
    }
}

/// Waits for a task until `deadline`; cuts it off after that. True if it finished.
async fn finish(task: JoinHandle<()>, deadline: tokio::time::Instant) -> bool {
    let abort = task.abort_handle();
    match tokio::time::timeout_at(deadline, task).await {
        Ok(joined) => joined.is_ok(),
        Err(_) => {
            abort.abort();
            false
        }
    }
}

/// The api fn's Router (webhook route included), with request logs and the scheduler kick.
fn http_router(ctx: SyncContext, auth: Auth, kick: Kick) -> Router {
    api_router(ctx, auth)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let kick = kick.clone();
            kick_after_sync_request(request, next, kick)
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// In AWS a scheduled sync starts at the scheduler's next tick; locally the export starts as
/// soon as `POST /integrations/{id}/sync` was accepted.
async fn kick_after_sync_request(request: Request, next: Next, kick: Kick) -> Response {
    let is_sync = request.method() == Method::POST && is_sync_path(request.uri().path());
    let response = next.run(request).await;
    if is_sync && response.status() == StatusCode::ACCEPTED {
        kick.now();
    }
    response
}

fn is_sync_path(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["", "integrations", id, "sync"] if !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_schedule_sync_route_kicks() {
        assert!(is_sync_path("/integrations/abc/sync"));
        assert!(is_sync_path("/integrations/abc/sync/"));
        assert!(!is_sync_path("/integrations/abc/activate"));
        assert!(!is_sync_path("/integrations//sync"));
        assert!(!is_sync_path("/cases/sync"));
        assert!(!is_sync_path("/integrations/abc/sync/extra"));
    }
}
