//! The IAM-enforced world: a test stack (table, queue pair, secret prefix) on the moto server
//! that enforces IAM (`moto_iam_start` in scripts/moto.sh), and each Lambda wired as it is
//! deployed (`zsync_lambda::build_context_with`, the environment template.yaml gives it) with
//! the keys of an IAM user holding exactly that function's role, taken from the SAM-expanded
//! template and translated into moto's terms ([`policy`]).
//!
//! A new flow: take the function's context from [`World::ctx`] (or drive [`World::api`],
//! [`World::webhooks`], [`World::pump`]) and assert what a user sees.

pub mod coverage;
pub mod policy;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
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
use zsync_aws::aws_sdk_sqs::config::{
    BehaviorVersion, Credentials, Region, SharedCredentialsProvider,
};
use zsync_aws::aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use zsync_aws::{DynamoStore, QueuePair, SdkConfig, aws_sdk_dynamodb, aws_sdk_sqs};
use zsync_core::context::SyncContext;
use zsync_core::export::{IntegrationRun, run_exports};
use zsync_core::ports::secrets::webhook_secret_name;
use zsync_core::sync::{ReceivedMessage, process_batch};
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use zsync_lambda::{Environment, build_context_with};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk::ZendeskClientFactory;
use zsync_zendesk_sim::{SimConfig, Simulator};

use crate::api_common::{AUTH_SECRET, token};
use crate::aws_common::unique;
use crate::export_common::client_config;
use policy::{Stack, Statement, Template};

pub const ZD_EMAIL: &str = "admin@acme.example.com";
pub const ZD_TOKEN: &str = "zd-token-aws-iam-5b2e";
/// The queue's redrive `maxReceiveCount` (the stack's `MaxReceiveCount` parameter).
pub const MAX_RECEIVES: u32 = 5;

/// The four Lambdas of template.yaml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Function {
    Webhook,
    Scheduler,
    Mapper,
    Api,
}

impl Function {
    pub const ALL: [Function; 4] = [
        Function::Webhook,
        Function::Scheduler,
        Function::Mapper,
        Function::Api,
    ];

    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Webhook => "WebhookFunction",
            Function::Scheduler => "SchedulerFunction",
            Function::Mapper => "MapperFunction",
            Function::Api => "ApiFunction",
        }
    }
}

/// The IAM-enforcing moto server's endpoint. Fails (never skips) when it is not running.
pub fn iam_endpoint() -> String {
    let endpoint = std::env::var("ZSYNC_IAM_MOTO_ENDPOINT").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "ZSYNC_IAM_MOTO_ENDPOINT is not set: this suite needs the IAM-enforcing moto server; \
         run scripts/test.sh, or `source scripts/moto.sh && moto_iam_start` first"
    );
    endpoint
}

/// SDK configuration for the IAM-enforcing server with these keys. Built from nothing, not
/// from the environment: the clients would otherwise take `AWS_ENDPOINT_URL` (the other,
/// unchecked moto that scripts/test.sh also starts) over the endpoint given here.
pub async fn sdk_with(credentials: Credentials) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(iam_endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// The administrator moto_iam_start made (it sets up stacks and looks behind the functions).
pub async fn admin_sdk() -> SdkConfig {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (moto_iam_start sets it)"))
    };
    let keys = Credentials::new(
        var("ZSYNC_IAM_ADMIN_KEY_ID"),
        var("ZSYNC_IAM_ADMIN_SECRET"),
        None,
        None,
        "zsync-iam-admin",
    );
    sdk_with(keys).await
}

/// A managed policy's document as IAM serves it (URL-encoded on AWS, plain JSON on moto).
async fn managed_document(iam: &aws_sdk_iam::Client, arn: &str) -> Value {
    let policy = iam.get_policy().policy_arn(arn).send().await;
    let policy = policy.unwrap_or_else(|e| panic!("GetPolicy {arn}: {e:?}"));
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or_else(|| panic!("{arn} has no default version"));
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetPolicyVersion {arn}: {e:?}"));
    let document = out
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or_else(|| panic!("{arn} has no document"));
    serde_json::from_str(document).unwrap_or_else(|e| panic!("{arn}'s document: {e}"))
}

/// A fresh stack on the IAM-enforcing server, and the template's roles resolved to it.
pub struct Fixture {
    pub template: Template,
    pub stack: Stack,
    pub admin: SdkConfig,
    pub iam: aws_sdk_iam::Client,
    pub urls: QueuePair,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let template = Template::load();
        let admin = admin_sdk().await;
        let iam = aws_sdk_iam::Client::new(&admin);
        let me = iam.get_user().send().await.expect("GetUser (admin)");
        let arn = me.user().map(|u| u.arn().to_owned()).expect("admin ARN");
        let account = arn.split(':').nth(4).expect("account in ARN").to_owned();
        let table = unique("zsync");
        zsync_aws::create_table(&aws_sdk_dynamodb::Client::new(&admin), &table)
            .await
            .expect("create table");
        let urls = zsync_aws::create_queue_pair(
            &aws_sdk_sqs::Client::new(&admin),
            &unique("zsync"),
            MAX_RECEIVES,
        )
        .await
        .expect("create queues");
        let parameters = [
            ("Stage", unique("iam").to_lowercase()),
            ("MaxReceiveCount", MAX_RECEIVES.to_string()),
            ("AllowInsecureZendeskUrls", "true".to_owned()),
            ("LogLevel", "info".to_owned()),
        ];
        let stack = Stack {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account,
            table,
            queue_url: urls.queue_url.clone(),
            dlq_url: urls.dlq_url.clone(),
            parameters: parameters
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        };
        Fixture {
            template,
            stack,
            admin,
            iam,
            urls,
        }
    }

    /// The function's role: its inline statements resolved to this stack, and the managed
    /// policies SAM attaches, as IAM serves them.
    pub async fn statements(&self, function: Function) -> Vec<Statement> {
        let role = self.template.role(function.logical_id());
        let mut all = Vec::new();
        for document in &role.inline {
            let resolved = self
                .stack
                .resolve(document)
                .unwrap_or_else(|e| panic!("{function:?}'s policy: {e}"));
            all.extend(policy::statements(&resolved).expect("modelled statements"));
        }
        for arn in &role.managed {
            let document = managed_document(&self.iam, arn).await;
            all.extend(policy::statements(&document).expect("modelled statements"));
        }
        all
    }

    /// A new IAM user holding exactly `statements` in moto's terms; its keys.
    pub async fn user_with(&self, name: &str, statements: &[Statement]) -> Credentials {
        let user = format!("{}-{name}", self.stack.parameters["Stage"]);
        self.iam
            .create_user()
            .user_name(&user)
            .send()
            .await
            .expect("CreateUser");
        self.iam
            .put_user_policy()
            .user_name(&user)
            .policy_name("template")
            .policy_document(policy::to_moto(statements).to_string())
            .send()
            .await
            .expect("PutUserPolicy");
        let key = self
            .iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .expect("CreateAccessKey");
        let key = key.access_key().expect("access key");
        Credentials::new(
            key.access_key_id(),
            key.secret_access_key(),
            None,
            None,
            "zsync-iam-function",
        )
    }

    /// The function wired as its Lambda is: the template's environment for it, its role's keys.
    pub async fn context(&self, function: Function, keys: Credentials) -> SyncContext {
        let mut vars = self
            .template
            .environment(function.logical_id(), &self.stack);
        // Behind a condition in the template; nothing listens there (webhook bodies are
        // delivered to the route directly).
        vars.insert(zsync_lambda::PUBLIC_URL.into(), "http://127.0.0.1:9".into());
        let env = Environment::from_vars(|name| vars.get(name).cloned())
            .unwrap_or_else(|e| panic!("{function:?}'s environment: {e}"));
        let mut ctx = build_context_with(&env, &sdk_with(keys).await)
            .unwrap_or_else(|e| panic!("{function:?}'s context: {e}"));
        assert!(
            ctx.settings.allow_insecure_zendesk_urls,
            "test stack: simulator URLs"
        );
        // The simulator: fast retries, wide budgets.
        ctx.zendesk = Arc::new(ZendeskClientFactory::new(client_config(100)).expect("client"));
        ctx
    }
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
    /// Ids reported as `batchItemFailures` (left for redelivery), every time.
    pub failed: Vec<String>,
}

pub struct World {
    pub sim: Simulator,
    pub fx: Fixture,
    pub keys: BTreeMap<Function, Credentials>,
    pub contexts: BTreeMap<Function, SyncContext>,
    /// The Lambda service's SQS event source, polling with the mapper's role.
    pub event_source: aws_sdk_sqs::Client,
    /// Behind the functions, with the administrator's keys.
    pub admin_store: DynamoStore,
    pub admin_sqs: aws_sdk_sqs::Client,
    pub api: Router,
    pub webhooks: Router,
    pub owner_token: String,
    pub integration: IntegrationId,
    /// API routes called, as (method, path template).
    pub routes: Mutex<BTreeSet<(String, String)>>,
}

impl World {
    /// A stack, the four functions with their roles, an owner and an integration created and
    /// activated through the api function.
    pub async fn start() -> World {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator");
        sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
        let fx = Fixture::new().await;
        let (mut keys, mut contexts) = (BTreeMap::new(), BTreeMap::new());
        for function in Function::ALL {
            let statements = fx.statements(function).await;
            let key = fx
                .user_with(&format!("{function:?}").to_lowercase(), &statements)
                .await;
            contexts.insert(function, fx.context(function, key.clone()).await);
            keys.insert(function, key);
        }
        let event_source =
            aws_sdk_sqs::Client::new(&sdk_with(keys[&Function::Mapper].clone()).await);
        let auth = Auth::hs256(&AUTH_SECRET.to_owned().into()).expect("auth");
        let mut world = World {
            api: api_router(contexts[&Function::Api].clone(), auth),
            webhooks: webhook_router(contexts[&Function::Webhook].clone()),
            admin_store: DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&fx.admin),
                fx.stack.table.clone(),
            ),
            admin_sqs: aws_sdk_sqs::Client::new(&fx.admin),
            sim,
            fx,
            keys,
            contexts,
            event_source,
            owner_token: String::new(),
            integration: IntegrationId::new(""),
            routes: Mutex::new(BTreeSet::new()),
        };
        let bootstrap = token("bootstrap@crm.example.com", &["admin"]);
        let owner = world
            .request(
                Method::POST,
                "/users",
                "/users",
                &bootstrap,
                Some(
                    json!({"email": "owner@crm.example.com", "name": "Olivia Owner", "roles": []}),
                ),
            )
            .await;
        assert_eq!(owner.status, StatusCode::CREATED, "{}", owner.text);
        world.owner_token = token("owner@crm.example.com", &[]);
        let created = world
            .call(
                Method::POST,
                "/integrations",
                "/integrations",
                Some(json!({
                    "type": "zendesk", "name": "Acme Zendesk", "url": world.sim.base_url(),
                    "api_email": ZD_EMAIL, "api_token": ZD_TOKEN,
                    "owner_id": owner.json["id"], "two_way_sync": true, "sync_priority": "remote",
                })),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"]
            .as_str()
            .expect("integration id")
            .to_owned();
        world.integration = IntegrationId::new(&id);
        let activated = world
            .call(
                Method::POST,
                "/integrations/{id}/activate",
                &format!("/integrations/{id}/activate"),
                Some(json!({})),
            )
            .await;
        assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
        world
    }

    pub fn ctx(&self, function: Function) -> &SyncContext {
        &self.contexts[&function]
    }

    /// An SQS client with the function's keys.
    pub async fn sqs_of(&self, function: Function) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&sdk_with(self.keys[&function].clone()).await)
    }

    /// The api function, as the owner; `route` is the path template (for the coverage check).
    pub async fn call(
        &self,
        method: Method,
        route: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.request(method, route, path, &self.owner_token, body)
            .await
    }

    pub async fn request(
        &self,
        method: Method,
        route: &str,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> Reply {
        self.routes
            .lock()
            .expect("routes")
            .insert((method.as_str().to_lowercase(), route.to_owned()));
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        send(&self.api, request).await
    }

    /// The scheduler Lambda with `ctx` (its own, or a variant of it), bounded.
    pub async fn export_with(&self, ctx: &SyncContext) -> IntegrationRun {
        let deadline = Instant::now() + StdDuration::from_secs(60);
        let mut runs = run_exports(ctx, deadline).await.expect("run exports");
        assert_eq!(runs.len(), 1, "{runs:?}");
        runs.remove(0)
    }

    /// The mapper Lambda until the queue is empty, fed as the SQS event source feeds it (with
    /// the mapper's role): receive up to 10, `process_batch`, delete what was not reported
    /// failed. Failed messages become visible again at once.
    pub async fn pump(&self) -> Pumped {
        self.pump_in_batches_of(10).await
    }

    /// [`World::pump`] with batches of at most `size` (1: strictly one message after another).
    pub async fn pump_in_batches_of(&self, size: i32) -> Pumped {
        let (queue_url, ctx) = (&self.fx.urls.queue_url, self.ctx(Function::Mapper));
        let mut pumped = Pumped::default();
        for _ in 0..200 {
            let out = self
                .event_source
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(size)
                .visibility_timeout(0)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .expect("ReceiveMessage with the mapper's role");
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
                let receipt = m.receipt_handle.clone().expect("receipt");
                receipts.insert(id.clone(), receipt.clone());
                // With its receipt, as the Lambda event hands it over: a message waiting on
                // Zendesk is then hidden with the mapper's own ChangeMessageVisibility.
                batch.push(ReceivedMessage {
                    id,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                    receipt: Some(receipt),
                });
            }
            pumped.received += batch.len();
            let failed = process_batch(ctx, batch, MAX_RECEIVES).await;
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
                    .event_source
                    .delete_message_batch()
                    .queue_url(queue_url)
                    .set_entries(Some(done))
                    .send()
                    .await
                    .expect("DeleteMessageBatch with the mapper's role");
                assert!(out.failed.is_empty(), "{:?}", out.failed);
            }
            pumped.failed.extend(failed);
        }
        panic!("the mapper did not empty the queue");
    }

    /// Messages in the main queue (visible or in flight), seen by the administrator.
    pub async fn queue_depth(&self) -> usize {
        let out = self
            .admin_sqs
            .get_queue_attributes()
            .queue_url(&self.fx.urls.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .expect("queue attributes");
        let attributes = out.attributes.unwrap_or_default();
        [
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .filter_map(|name| attributes.get(name)?.parse::<usize>().ok())
        .sum()
    }

    /// Delivers a signed Zendesk ticket event for `ticket` to `router` (the webhook function's
    /// unless a test builds a variant), signed with the secret activation stored.
    pub async fn deliver_event(&self, router: &Router, ticket: u64, event_id: &str) -> Reply {
        let secret: SecretString = self
            .admin_secret(&webhook_secret_name(self.integration.as_str()))
            .await
            .expect("activation stored the webhook secret")
            .into();
        let body = json!({
            "type": "zen:event-type:ticket.status_changed",
            "account_id": 18525119,
            "id": event_id,
            "time": chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "zendesk_event_version": "2022-11-06",
            "subject": format!("zen:ticket:{ticket}"),
            "detail": {"id": ticket.to_string(), "status": "OPEN"},
            "event": {"current": "OPEN", "previous": "NEW"},
        })
        .to_string();
        let timestamp = chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let request = Request::post(format!("/webhooks/zendesk/{}", self.integration))
            .header(header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&secret, &timestamp, body.as_bytes()))
            .header(TIMESTAMP_HEADER, &timestamp)
            .body(Body::from(body))
            .expect("request");
        send(router, request).await
    }

    /// A secret's value under the stack's prefix, read by the administrator (None: absent).
    pub async fn admin_secret(&self, name: &str) -> Option<String> {
        let client = zsync_aws::aws_sdk_secretsmanager::Client::new(&self.fx.admin);
        let env = self
            .fx
            .template
            .environment(Function::Api.logical_id(), &self.fx.stack);
        let prefix = &env[zsync_lambda::SECRET_PREFIX];
        match client
            .get_secret_value()
            .secret_id(format!("{prefix}{name}"))
            .send()
            .await
        {
            Ok(out) => out.secret_string().map(str::to_owned),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                None
            }
            Err(e) => panic!("GetSecretValue {name}: {e:?}"),
        }
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Reply {
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
