//! `zendesk-sync serve`'s wiring in-process (`LocalServer`) against the simulator: the API with
//! HS256 tokens, a full sync through the scheduler and the queue workers into the embedded
//! store, a Zendesk change arriving by webhook, and a shutdown in the middle of a sync
//! followed by a restart on the same data directory that loses and duplicates nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};
use zendesk_sync::{LocalServer, ServeOptions, mint_token};
use zsync_api::Auth;
use zsync_core::context::SyncContext;
use zsync_core::ports::CaseFilter;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::{TicketStatus, UserRole};
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy};
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator, TicketChange};

const SECRET: &str = "local-server-test-secret-0c5b1e77a9";
const ZD_EMAIL: &str = "api@acme.test";
const ZD_TOKEN: &str = "zd-token-local-4417";
const ADMIN: &str = "boss@acme.test";

fn auth() -> Auth {
    Auth::hs256(&SecretString::from(SECRET)).expect("auth")
}

fn admin_token() -> String {
    mint_token(
        &SecretString::from(SECRET),
        ADMIN,
        &["admin"],
        Duration::from_secs(600),
    )
    .expect("token")
}

/// Short retries; `export_per_second` export requests a second (slows a backfill down so a
/// test can stop it half-way).
fn client_config(page_size: u32, export_per_second: u32) -> ClientConfig {
    let second = |requests| RequestBudget {
        requests,
        window: Duration::from_secs(1),
    };
    ClientConfig {
        export_budget: second(export_per_second),
        general_budget: second(10_000),
        export_page_size: page_size,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_rate_limit_wait: Duration::from_secs(5),
            default_rate_limit_wait: Duration::from_millis(200),
        },
        ..ClientConfig::default()
    }
}

fn options(dir: &Path, zendesk: ClientConfig) -> ServeOptions {
    let mut options = ServeOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)), dir);
    options.allow_insecure_zendesk_urls = true;
    options.zendesk = zendesk;
    options.shutdown_grace = Duration::from_secs(20);
    options
}

async fn seeded_sim(tickets: usize) -> (Simulator, Vec<u64>) {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
    let seeded = sim.seed(SeedSpec {
        tickets,
        users: 40,
        agents: 4,
        comments_per_ticket: 2,
        seed: 11,
    });
    (sim, seeded.ticket_ids)
}

struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(server: &LocalServer) -> Self {
        Http {
            client: reqwest::Client::new(),
            base: server.base_url(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(admin_token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(Value::Null);
        (status, json)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, json) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {json}");
        json
    }
}

/// Through the API: the first admin, an integration on the simulator, activation, and a full
/// sync. Returns (integration id, job id).
async fn start_sync(http: &Http, sim: &Simulator) -> (IntegrationId, String) {
    let user = http
        .post(
            "/users",
            json!({"email": ADMIN, "name": "Boss", "roles": ["admin"]}),
        )
        .await;
    let integration = http
        .post(
            "/integrations",
            json!({"type": "zendesk", "name": "Acme", "url": sim.base_url(),
                   "api_email": ZD_EMAIL, "api_token": ZD_TOKEN,
                   "owner_id": user["id"], "two_way_sync": false}),
        )
        .await;
    let id = integration["id"].as_str().expect("id").to_owned();
    http.post(&format!("/integrations/{id}/activate"), json!({}))
        .await;
    let job = http
        .post(&format!("/integrations/{id}/sync"), json!({"full": true}))
        .await;
    (
        IntegrationId::new(id),
        job["id"].as_str().expect("job").to_owned(),
    )
}

/// Every (ticket number → case count) of the integration, read from the store.
async fn tickets_with_cases(
    ctx: &SyncContext,
    integration: &IntegrationId,
) -> BTreeMap<u64, usize> {
    let filter = CaseFilter {
        integration_id: Some(integration.clone()),
        ..CaseFilter::default()
    };
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = ctx
            .store
            .list_cases(&filter, cursor.as_deref(), 200)
            .await
            .expect("cases");
        for case in &page.items {
            let record = ctx
                .store
                .get_ticket_record_for_case(&case.id)
                .await
                .expect("record")
                .expect("every synced case is linked");
            *out.entry(record.value.ticket_number).or_insert(0) += 1;
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    out
}

/// Waits until the job succeeded and the queue is empty (everything applied).
async fn wait_for_sync(
    server: &LocalServer,
    integration: &IntegrationId,
    job: &str,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    let job = zsync_mapping::JobId::new(job);
    loop {
        let stored = server
            .context()
            .store
            .get_job(integration, &job)
            .await
            .expect("job")
            .expect("job exists");
        let state = stored.value.state;
        assert_ne!(
            state,
            zsync_mapping::JobState::Failed,
            "{:?}",
            stored.value.error
        );
        if state == zsync_mapping::JobState::Succeeded && server.queue_depth().await == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sync not done within {within:?}: job {state:?}, {} queued",
            server.queue_depth().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_sync_through_serve_reaches_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, tickets) = seeded_sim(40).await;
    let server = LocalServer::start(options(dir.path(), client_config(1000, 100)), auth())
        .await
        .expect("start");
    let http = Http::new(&server);

    // Health and the OpenAPI document need no token; everything else does.
    let anonymous = reqwest::get(format!("{}/health", http.base))
        .await
        .expect("health");
    assert_eq!(anonymous.status(), 200);
    let refused = reqwest::get(format!("{}/cases", http.base))
        .await
        .expect("cases");
    assert_eq!(refused.status(), 401);

    // The default poll interval is 5 minutes: the sync starts because "Schedule Sync" kicks
    // the scheduler.
    let (integration, job) = start_sync(&http, &sim).await;
    // The webhook Zendesk got points at this server's webhook route.
    let hooks = sim.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].endpoint,
        format!("{}/webhooks/zendesk/{integration}", server.public_url())
    );

    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    let synced = tickets_with_cases(server.context(), &integration).await;
    let expected: BTreeMap<u64, usize> = tickets.iter().map(|&t| (t, 1)).collect();
    assert_eq!(synced, expected, "one case per ticket");

    // A case as the API shows it: the ticket's subject and every comment, description first.
    let number = tickets
        .iter()
        .copied()
        .find(|&t| {
            sim.ticket(t)
                .and_then(|t| t.status)
                .is_some_and(|s| s == TicketStatus::Open)
        })
        .expect("an open ticket");
    let case_id = server
        .context()
        .store
        .get_ticket_record(&integration, number)
        .await
        .expect("record")
        .expect("synced")
        .value
        .case_id
        .to_string();
    let (status, case) = http
        .call(reqwest::Method::GET, &format!("/cases/{case_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(case["ticket"]["ticket_number"], number);
    let ticket = sim.ticket(number).expect("ticket");
    assert_eq!(case["subject"].as_str(), ticket.subject.as_deref());
    let comments = case["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), sim.comments(number).len());

    // A change in Zendesk arrives through the signed webhook on this server's webhook route.
    let change = TicketChange {
        status: Some(TicketStatus::Solved),
        comment: Some(("Fixed on our side.".to_owned(), true)),
        ..TicketChange::default()
    };
    sim.agent_update_ticket(number, change).expect("update");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, case) = http
            .call(reqwest::Method::GET, &format!("/cases/{case_id}"), None)
            .await;
        let bodies: Vec<&str> = case["comments"]
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["body"].as_str()).collect())
            .unwrap_or_default();
        if case["ticket"]["status"] == "solved" && bodies.contains(&"Fixed on our side.") {
            assert_eq!(case["status"], "closed", "solved maps to closed");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the webhook's change never arrived: {:?}",
            sim.webhook_deliveries()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        sim.webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(200))
    );

    let report = server.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
    assert!(report.worker.done >= tickets.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_in_the_middle_of_a_sync_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, tickets) = seeded_sim(300).await;
    // 25 tickets a page, 3 export requests a second: the backfill takes several seconds.
    let config = client_config(25, 3);
    let server = LocalServer::start(options(dir.path(), config.clone()), auth())
        .await
        .expect("start");
    let http = Http::new(&server);
    let (integration, job) = start_sync(&http, &sim).await;

    // Stop once some pages are exported and some cases written, well before the end.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cursor = server
            .context()
            .store
            .get_export_cursor(&integration)
            .await
            .expect("cursor");
        let paged = cursor.is_some_and(|c| c.value.cursor.is_some());
        if paged
            && !tickets_with_cases(server.context(), &integration)
                .await
                .is_empty()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the export never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ctx = server.context().clone();
    drop(http);
    let stopping = Instant::now();
    let report = server.shutdown().await;
    let stop_took = stopping.elapsed();
    assert!(report.abandoned.is_empty(), "a clean stop: {report:?}");
    let before = tickets_with_cases(&ctx, &integration).await;
    eprintln!(
        "stopped in {stop_took:?} with {} of {} tickets as cases, {} messages settled",
        before.len(),
        tickets.len(),
        report.worker.done
    );
    let cursor = ctx
        .store
        .get_export_cursor(&integration)
        .await
        .expect("cursor")
        .expect("stored");
    assert!(
        !cursor.value.end_of_stream && before.len() < tickets.len(),
        "the stop came mid-sync: {} of {} cases, end of stream {}",
        before.len(),
        tickets.len(),
        cursor.value.end_of_stream
    );
    // The data directory is opened again below; nothing of the first process may hold it.
    drop(ctx);

    let server = LocalServer::start(options(dir.path(), config), auth())
        .await
        .expect("restart on the same data directory");
    wait_for_sync(&server, &integration, &job, Duration::from_secs(90)).await;
    let after = tickets_with_cases(server.context(), &integration).await;
    let expected: BTreeMap<u64, usize> = tickets.iter().map(|&t| (t, 1)).collect();
    assert_eq!(after, expected, "every ticket exactly one case");
    // Nothing was given up on either.
    assert!(server.queue().dead_letters().await.expect("dlq").is_empty());
    server.shutdown().await;
}
