//! Shared set-up of the HTTP API tests: the Router on the embedded store, queue and secret file
//! (temp dir), the real Zendesk client against the simulator, and HS256 tokens.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use zsync_api::{Auth, api_router};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::export::run_exports;
use zsync_core::message::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_core::sync::{Handling, handle_message};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{Contact, ContactId};
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy, ZendeskClientFactory};
use zsync_zendesk_sim::{SimConfig, Simulator};

pub const AUTH_SECRET: &str = "api-tests-hs256-secret-5f1c9e0b7a";
pub const ZD_EMAIL: &str = "admin@acme.example.com";
/// The Zendesk API token; no response body may ever contain it.
pub const ZD_TOKEN: &str = "zd-token-7c41e2b09d5a";
/// Where the simulator is told to deliver webhooks: nothing listens there.
pub const PUBLIC_URL: &str = "http://127.0.0.1:9";

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
}

pub struct Api {
    pub router: Router,
    pub ctx: SyncContext,
    pub queue: Arc<EmbeddedQueue>,
    pub sim: Simulator,
    /// Every response body, for the "token never returned" check.
    pub bodies: Mutex<Vec<String>>,
    _dir: TempDir,
}

pub fn token(email: &str, roles: &[&str]) -> String {
    token_expiring(email, roles, chrono::Utc::now().timestamp() + 3600)
}

pub fn token_expiring(email: &str, roles: &[&str], exp: i64) -> String {
    let claims = json!({"email": email, "roles": roles, "exp": exp, "sub": email});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(AUTH_SECRET.as_bytes()),
    )
    .expect("token")
}

fn client_config() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_rate_limit_wait: Duration::from_secs(5),
            default_rate_limit_wait: Duration::from_millis(200),
        },
        general_budget: RequestBudget {
            requests: 10_000,
            window: Duration::from_secs(1),
        },
        ..ClientConfig::default()
    }
}

impl Api {
    pub async fn start() -> Api {
        let dir = TempDir::new().expect("temp dir");
        let store = EmbeddedStore::open(dir.path().join("store.redb"))
            .await
            .expect("store");
        let queue = Arc::new(
            EmbeddedQueue::open(dir.path().join("queue.redb"))
                .await
                .expect("queue"),
        );
        let secrets = FileSecretStore::open(dir.path().join("secrets.json"))
            .await
            .expect("secrets");
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator");
        sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
        let ctx = SyncContext {
            store: Arc::new(store),
            queue: queue.clone(),
            secrets: Arc::new(secrets),
            zendesk: Arc::new(ZendeskClientFactory::new(client_config()).expect("client")),
            clock: Arc::new(SystemClock),
            settings: ServiceSettings {
                public_url: PUBLIC_URL.to_owned(),
                allow_insecure_zendesk_urls: true,
                export_lease_ttl: zsync_core::export::LEASE_TTL,
            },
        };
        let auth = Auth::hs256(&AUTH_SECRET.to_owned().into()).expect("auth");
        Api {
            router: api_router(ctx.clone(), auth),
            ctx,
            queue,
            sim,
            bodies: Mutex::new(Vec::new()),
            _dir: dir,
        }
    }

    /// The same API with another queue in front of (or instead of) the embedded one; `queue`
    /// and `drain_queue` still read the embedded queue.
    pub fn with_queue(mut self, queue: Arc<dyn SyncQueue>) -> Api {
        self.ctx.queue = queue;
        let auth = Auth::hs256(&AUTH_SECRET.to_owned().into()).expect("auth");
        self.router = api_router(self.ctx.clone(), auth);
        self
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.bodies.lock().unwrap().push(text.clone());
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, json, text }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(&body))
            .await
    }

    /// A CRM user created by a bootstrap admin token; returns its id and a token for it.
    pub async fn user(&self, email: &str, admin: bool) -> (String, String) {
        let bootstrap = token("bootstrap@crm.example.com", &["admin"]);
        let roles: Vec<&str> = if admin { vec!["admin"] } else { vec![] };
        let reply = self
            .post(
                "/users",
                &bootstrap,
                json!({"email": email, "name": email, "roles": roles}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let id = reply.json["id"].as_str().expect("user id").to_owned();
        (id, token(email, &[]))
    }

    /// Integration settings pointing at the simulator.
    pub fn settings(&self, owner_id: &str, two_way: bool) -> Value {
        settings_for(&self.sim, owner_id, two_way)
    }

    /// Another Zendesk account (its own simulator, the same API user): one account has at most
    /// one integration (docs/sync-rules.md §2).
    pub async fn other_account(&self) -> Simulator {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator");
        sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
        sim
    }

    /// Creates (and optionally activates) an integration for the account of `sim`.
    pub async fn integration_on(
        &self,
        sim: &Simulator,
        token: &str,
        owner_id: &str,
        two_way: bool,
        activate: bool,
    ) -> String {
        let created = self
            .post("/integrations", token, settings_for(sim, owner_id, two_way))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"].as_str().expect("id").to_owned();
        if activate {
            let activated = self
                .post(&format!("/integrations/{id}/activate"), token, json!({}))
                .await;
            assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
        }
        id
    }
}

/// Integration settings pointing at `sim`.
pub fn settings_for(sim: &Simulator, owner_id: &str, two_way: bool) -> Value {
    {
        let mut body = json!({
            "type": "zendesk", "name": "Demo Zendesk Integration",
            "url": sim.base_url(), "api_email": ZD_EMAIL, "api_token": ZD_TOKEN,
            "owner_id": owner_id, "two_way_sync": two_way,
        });
        if two_way {
            body["sync_priority"] = json!("remote");
        }
        body
    }
}

impl Api {
    /// Creates (and optionally activates) an integration; returns its id.
    pub async fn integration(
        &self,
        token: &str,
        owner_id: &str,
        two_way: bool,
        activate: bool,
    ) -> String {
        let created = self
            .post("/integrations", token, self.settings(owner_id, two_way))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"].as_str().expect("id").to_owned();
        if activate {
            let activated = self
                .post(&format!("/integrations/{id}/activate"), token, json!({}))
                .await;
            assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
        }
        id
    }

    /// Every message waiting in the queue (received and acknowledged).
    pub async fn drain_queue(&self) -> Vec<SyncMessage> {
        let mut out = Vec::new();
        for _ in 0..50 {
            let got = self
                .queue
                .receive(10, chrono::Duration::seconds(30))
                .await
                .expect("receive");
            if got.is_empty() {
                break;
            }
            for delivery in got {
                self.queue.ack(&delivery.receipt).await.expect("ack");
                out.push(delivery.message);
            }
        }
        out
    }

    /// The mapper (`handle_message`, as the local server runs it) until the queue is empty
    /// (bounded); every message must be done. Returns how many were handled.
    pub async fn mapper(&self) -> usize {
        let mut handled = 0;
        for _ in 0..10 {
            let messages = self.drain_queue().await;
            if messages.is_empty() {
                break;
            }
            for message in messages {
                assert_eq!(
                    handle_message(&self.ctx, &message, 1, 5).await,
                    Handling::Done,
                    "{message:?}"
                );
                handled += 1;
            }
        }
        handled
    }

    /// One scheduler run (`run_exports`): every active integration's export.
    pub async fn scheduler(&self) {
        // The export starts a page only with enough time left (`MIN_PAGE_TIME`).
        run_exports(&self.ctx, Instant::now() + Duration::from_secs(120))
            .await
            .expect("run exports");
    }

    /// No response so far contained the Zendesk API token.
    pub fn assert_token_never_returned(&self) {
        let bodies = self.bodies.lock().unwrap();
        assert!(!bodies.is_empty());
        for body in bodies.iter() {
            assert!(
                !body.contains(ZD_TOKEN),
                "a response carried the API token: {body}"
            );
        }
    }
}

/// A contact as the sync would have made it; returns its id.
pub async fn contact(api: &Api, email: &str, first: &str, last: &str) -> String {
    let outcome = api
        .ctx
        .store
        .get_or_create_contact(&Contact {
            id: ContactId::new(format!("contact-{email}")),
            email: Some(email.to_owned()),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            ..Contact::default()
        })
        .await
        .expect("contact");
    outcome.contact.id.0
}

pub async fn new_case(api: &Api, token: &str, body: Value) -> Value {
    let reply = api.post("/cases", token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json
}

/// A published case of a two-way integration; returns (integration, case, ticket, token).
pub async fn published(api: &Api) -> (String, String, u64, String) {
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    let case = api
        .post("/cases", &owner_token, json!({"subject": "Linked"}))
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.text);
    let id = case.json["id"].as_str().unwrap().to_owned();
    let published = api
        .post(
            &format!("/cases/{id}/publish"),
            &owner_token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let ticket = published.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("ticket number");
    api.mapper().await;
    (integration, id, ticket, owner_token)
}
