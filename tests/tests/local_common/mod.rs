//! Shared set-up of the tests of `zendesk-sync serve`'s wiring (`LocalServer`) against the
//! simulator: options, tokens, an HTTP client for the server's API, and the sync helpers.

#![allow(dead_code)]

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
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy};
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator};

pub const SECRET: &str = "local-server-test-secret-0c5b1e77a9";
pub const ZD_EMAIL: &str = "api@acme.test";
pub const ZD_TOKEN: &str = "zd-token-local-4417";
pub const ADMIN: &str = "boss@acme.test";

pub fn auth() -> Auth {
    Auth::hs256(&SecretString::from(SECRET)).expect("auth")
}

pub fn admin_token() -> String {
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
pub fn client_config(page_size: u32, export_per_second: u32) -> ClientConfig {
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

pub fn options(dir: &Path, zendesk: ClientConfig) -> ServeOptions {
    let mut options = ServeOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)), dir);
    options.allow_insecure_zendesk_urls = true;
    options.zendesk = zendesk;
    options.shutdown_grace = Duration::from_secs(20);
    options
}

pub async fn seeded_sim(tickets: usize) -> (Simulator, Vec<u64>) {
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

pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
}

impl Http {
    pub fn new(server: &LocalServer) -> Self {
        Http {
            client: reqwest::Client::new(),
            base: server.base_url(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
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

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, json) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {json}");
        json
    }
}

/// Through the API: the first admin, an integration on the simulator, activation, and a full
/// sync. Returns (integration id, job id).
pub async fn start_sync(http: &Http, sim: &Simulator) -> (IntegrationId, String) {
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
pub async fn tickets_with_cases(
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
pub async fn wait_for_sync(
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
