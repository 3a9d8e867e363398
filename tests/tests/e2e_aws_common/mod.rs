//! The deployed wiring in-process: one `SyncContext` on DynamoDB + SQS (with its DLQ) + Secrets
//! Manager on moto, the real Zendesk client against the simulator, driven only through what
//! the Lambdas run — the API router, the scheduler's `run_exports`, the mapper's
//! `process_batch` fed from real SQS receives, and the webhook route.

pub mod checks;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::SecondsFormat;
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_api::{Auth, api_router};
use zsync_aws::aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use zsync_aws::{QueuePair, RequestCounter, SqsQueue, aws_sdk_sqs};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::export::{IntegrationRun, run_exports};
use zsync_core::ports::secrets::webhook_secret_name;
use zsync_core::sync::{ReceivedMessage, process_batch};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{Case, IntegrationId, TicketRecord};
use zsync_zendesk::ZendeskClientFactory;
use zsync_zendesk_sim::{SimConfig, Simulator};

use crate::api_common::{AUTH_SECRET, token};
use crate::aws_common::{QueueFixture, fresh_counted_store, fresh_queue, fresh_secrets};
use crate::export_common::client_config;

pub const ZD_EMAIL: &str = "admin@acme.example.com";
pub const ZD_TOKEN: &str = "zd-token-e2e-aws-41c7";
/// The queue's redrive `maxReceiveCount` (aws_common creates the pair with 5).
pub const MAX_RECEIVES: u32 = 5;

pub struct World {
    pub sim: Simulator,
    pub ctx: SyncContext,
    pub api: Router,
    pub webhooks: Router,
    pub queue: Arc<SqsQueue>,
    pub sqs: aws_sdk_sqs::Client,
    pub urls: QueuePair,
    /// SQS requests (the adapter's and the mapper driver's).
    pub sqs_requests: RequestCounter,
    pub dynamo: RequestCounter,
    /// The owner's bearer token, and the integration made and activated through the API.
    pub owner_token: String,
    pub integration: IntegrationId,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
}

/// What one pass of the mapper did.
#[derive(Debug, Default)]
pub struct Pumped {
    pub received: usize,
    pub batches: usize,
    /// Ids reported as `batchItemFailures` (left for redelivery), every time.
    pub failed: Vec<String>,
}

impl World {
    /// Everything fresh (table, queues, secret prefix, simulator); an owner and a
    /// two-way integration created and activated through the API.
    pub async fn start(page_size: u32) -> World {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator");
        sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
        let (store, dynamo) = fresh_counted_store().await;
        let QueueFixture {
            queue,
            client: sqs,
            urls,
            counter: sqs_requests,
        } = fresh_queue().await;
        let queue = Arc::new(queue);
        let ctx = SyncContext {
            store: Arc::new(store),
            queue: queue.clone(),
            secrets: Arc::new(fresh_secrets().await),
            zendesk: Arc::new(
                ZendeskClientFactory::new(client_config(page_size)).expect("client factory"),
            ),
            clock: Arc::new(SystemClock),
            settings: ServiceSettings {
                // Nothing listens there: the tests deliver webhook bodies to the route.
                public_url: "http://127.0.0.1:9".into(),
                allow_insecure_zendesk_urls: true,
                export_lease_ttl: zsync_core::export::LEASE_TTL,
            },
        };
        let auth = Auth::hs256(&AUTH_SECRET.to_owned().into()).expect("auth");
        let mut world = World {
            api: api_router(ctx.clone(), auth),
            webhooks: webhook_router(ctx.clone()),
            sim,
            ctx,
            queue,
            sqs,
            urls,
            sqs_requests,
            dynamo,
            owner_token: String::new(),
            integration: IntegrationId::new(""),
        };
        let bootstrap = token("bootstrap@crm.example.com", &["admin"]);
        let owner = world
            .post(
                "/users",
                &bootstrap,
                json!({"email": "owner@crm.example.com", "name": "Olivia Owner", "roles": []}),
            )
            .await;
        assert_eq!(owner.status, StatusCode::CREATED, "{}", owner.text);
        world.owner_token = token("owner@crm.example.com", &[]);
        let created = world
            .post(
                "/integrations",
                &world.owner_token,
                json!({
                    "type": "zendesk", "name": "Acme Zendesk", "url": world.sim.base_url(),
                    "api_email": ZD_EMAIL, "api_token": ZD_TOKEN,
                    "owner_id": owner.json["id"], "two_way_sync": true, "sync_priority": "remote",
                }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"].as_str().expect("integration id");
        let activated = world
            .post(
                &format!("/integrations/{id}/activate"),
                &world.owner_token,
                json!({}),
            )
            .await;
        assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
        world.integration = IntegrationId::new(id);
        world
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let builder = Request::builder().method(method).uri(path).header(
            header::AUTHORIZATION,
            format!("Bearer {}", self.owner_token),
        );
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        send(&self.api, request).await
    }

    pub async fn post(&self, path: &str, bearer: &str, body: Value) -> Reply {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        send(&self.api, request).await
    }

    /// The scheduler Lambda: every active integration's export, bounded.
    pub async fn export(&self, ctx: &SyncContext) -> IntegrationRun {
        let deadline = Instant::now() + StdDuration::from_secs(60);
        let mut runs = run_exports(ctx, deadline).await.expect("run exports");
        assert_eq!(runs.len(), 1, "{runs:?}");
        runs.remove(0)
    }

    /// The mapper Lambda until the queue is empty: receive up to 10, `process_batch`, delete
    /// what was not reported failed (SQS with ReportBatchItemFailures). Failed messages become
    /// visible again at once, so redeliveries happen within this pass.
    pub async fn pump(&self) -> Pumped {
        let mut pumped = Pumped::default();
        for _ in 0..500 {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.urls.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .expect("receive");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return pumped;
            }
            let mut receipts = BTreeMap::new();
            let mut batch = Vec::new();
            for m in messages {
                let id = m.message_id.clone().expect("message id");
                let receive_count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .expect("receive count");
                receipts.insert(id.clone(), m.receipt_handle.clone().expect("receipt"));
                batch.push(ReceivedMessage {
                    id,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                    receipt: None,
                });
            }
            pumped.received += batch.len();
            pumped.batches += 1;
            let failed = process_batch(&self.ctx, batch, MAX_RECEIVES).await;
            let done: Vec<_> = receipts
                .iter()
                .filter(|(id, _)| !failed.contains(id))
                .map(|(id, receipt)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(id.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
                        .receipt_handle(receipt)
                        .build()
                        .expect("entry")
                })
                .collect();
            if !done.is_empty() {
                let out = self
                    .sqs
                    .delete_message_batch()
                    .queue_url(&self.urls.queue_url)
                    .set_entries(Some(done))
                    .send()
                    .await
                    .expect("delete");
                assert!(out.failed.is_empty(), "{:?}", out.failed);
            }
            pumped.failed.extend(failed);
        }
        panic!("the mapper did not empty the queue");
    }

    /// Messages waiting in the main queue (visible or in flight).
    pub async fn queue_depth(&self) -> usize {
        use zsync_core::ports::SyncQueue;
        self.queue.depth().await.expect("depth")
    }

    /// Delivers a Zendesk `ticket.status_changed` event for `ticket` to the webhook route,
    /// signed with `secret` (the one activation stored unless told otherwise).
    pub async fn deliver_event(
        &self,
        ticket: u64,
        event_id: &str,
        secret: Option<&str>,
    ) -> (StatusCode, Value) {
        let event = json!({"current": "OPEN", "previous": "NEW"});
        self.deliver_ticket_event(
            ticket,
            "zen:event-type:ticket.status_changed",
            event_id,
            event,
            secret,
        )
        .await
    }

    /// Delivers a Zendesk ticket event of `event_type` (e.g. `zen:event-type:ticket.comment_redacted`)
    /// with its `event` object for `ticket` to the webhook route, signed with `secret` (the one
    /// activation stored unless told otherwise).
    pub async fn deliver_ticket_event(
        &self,
        ticket: u64,
        event_type: &str,
        event_id: &str,
        event: Value,
        secret: Option<&str>,
    ) -> (StatusCode, Value) {
        let secret = match secret {
            Some(s) => SecretString::from(s),
            None => self
                .ctx
                .secrets
                .get(&webhook_secret_name(self.integration.as_str()))
                .await
                .expect("secrets")
                .expect("activation stored the webhook secret"),
        };
        let body = json!({
            "type": event_type,
            "account_id": 18525119,
            "id": event_id,
            "time": chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "zendesk_event_version": "2022-11-06",
            "subject": format!("zen:ticket:{ticket}"),
            "detail": {"id": ticket.to_string(), "status": "OPEN"},
            "event": event,
        })
        .to_string();
        let timestamp = chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let request = Request::post(format!("/webhooks/zendesk/{}", self.integration))
            .header(header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&secret, &timestamp, body.as_bytes()))
            .header(TIMESTAMP_HEADER, &timestamp)
            .body(Body::from(body))
            .expect("request");
        let reply = send(&self.webhooks, request).await;
        (reply.status, reply.json)
    }

    /// A case created and published through the API (the queue pumped); returns (case id,
    /// ticket number).
    /// (Not every e2e binary publishes.)
    #[allow(dead_code)]
    pub async fn published_case(&self, subject: &str) -> (String, u64) {
        let created = self
            .call(Method::POST, "/cases", Some(json!({"subject": subject})))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let case_id = created.json["id"].as_str().expect("case id").to_owned();
        let published = self
            .call(
                Method::POST,
                &format!("/cases/{case_id}/publish"),
                Some(json!({"integration_id": self.integration.as_str()})),
            )
            .await;
        assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
        let ticket = published.json["ticket"]["ticket_number"]
            .as_u64()
            .expect("linked");
        self.pump().await;
        (case_id, ticket)
    }

    pub async fn record(&self, ticket: u64) -> Option<TicketRecord> {
        self.ctx
            .store
            .get_ticket_record(&self.integration, ticket)
            .await
            .expect("record")
            .map(|r| r.value)
    }

    /// The case linked to `ticket` and its version.
    pub async fn case_of(&self, ticket: u64) -> (Case, u64) {
        let record = self.record(ticket).await.expect("ticket record");
        let stored = self
            .ctx
            .store
            .get_case(&record.case_id)
            .await
            .expect("get case")
            .expect("case");
        (stored.value, stored.version)
    }

    /// Every case of the integration, through the port's paging (bounded).
    pub async fn all_cases(&self) -> Vec<Case> {
        let filter = zsync_core::ports::CaseFilter {
            integration_id: Some(self.integration.clone()),
            ..Default::default()
        };
        let mut cases = Vec::new();
        let mut cursor = None;
        for _ in 0..100 {
            let page = self
                .ctx
                .store
                .list_cases(&filter, cursor.as_deref(), 100)
                .await
                .expect("list cases");
            cases.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return cases,
            }
        }
        panic!("case paging did not end");
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, json, text }
}
