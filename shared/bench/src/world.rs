//! The measured system: a seeded simulated Zendesk account and adapters wired as the service
//! wires them, with one active integration. [`build`] uses the embedded adapters as the local
//! server does (store, queue with default options, secret file); `aws_sync` hands
//! [`assemble`] the DynamoDB, SQS and Secrets Manager adapters instead. Either way the real
//! Zendesk client talks to the simulator.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use secrecy::SecretString;
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_core::ports::{CrmStore, SecretStore, SyncQueue};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore, QueueOptions};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{CrmUser, Integration, IntegrationId, Role, UserId};
use zsync_zendesk::{ClientConfig, RequestBudget, ZendeskClientFactory};
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator};

pub const API_EMAIL: &str = "bench@acme.test";
const API_TOKEN: &str = "bench-token";
pub const WEBHOOK_SECRET: &str = "bench-webhook-secret";

pub struct World {
    pub sim: Simulator,
    pub ctx: SyncContext,
    pub integration: IntegrationId,
    pub ticket_ids: Vec<u64>,
}

/// The production client without its self-imposed request budgets (10 export requests and
/// 200 requests a minute, Zendesk's smallest plan): with them the run measures Zendesk's rate
/// limit, not the service. `main` reports what the budgets mean for the same sync.
fn unpaced_client() -> ClientConfig {
    let unpaced = RequestBudget {
        requests: 1_000_000,
        window: std::time::Duration::from_secs(1),
    };
    ClientConfig {
        export_budget: unpaced,
        general_budget: unpaced,
        ..ClientConfig::default()
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The storage side of the service: whichever adapters the run measures.
pub struct Ports {
    pub store: Arc<dyn CrmStore>,
    pub queue: Arc<dyn SyncQueue>,
    pub secrets: Arc<dyn SecretStore>,
}

/// The embedded adapters in `data_dir`, as the local server opens them; also returned as
/// themselves, for their write statistics.
pub async fn build(
    data_dir: &Path,
    tickets: usize,
    users: usize,
    seed: u64,
) -> Result<(World, EmbeddedStore, EmbeddedQueue), BoxError> {
    let (ports, store, queue) = embedded_ports(data_dir).await?;
    Ok((assemble(ports, tickets, users, seed).await?, store, queue))
}

/// The store, queue and secret file in `data_dir`, opened as the local server opens them.
pub async fn embedded_ports(
    data_dir: &Path,
) -> Result<(Ports, EmbeddedStore, EmbeddedQueue), BoxError> {
    let store = EmbeddedStore::open(data_dir.join("store.redb")).await?;
    let queue =
        EmbeddedQueue::open_with(data_dir.join("queue.redb"), QueueOptions::default()).await?;
    let secrets = FileSecretStore::open(data_dir.join("secrets.json")).await?;
    let ports = Ports {
        store: Arc::new(store.clone()),
        queue: Arc::new(queue.clone()),
        secrets: Arc::new(secrets),
    };
    Ok((ports, store, queue))
}

/// Seeds a new simulator (`tickets` × 3 comments, `users` requesters) and wires `ports` to it
/// with one active integration whose secrets are stored.
pub async fn assemble(
    ports: Ports,
    tickets: usize,
    users: usize,
    seed: u64,
) -> Result<World, BoxError> {
    let (sim, ticket_ids) = seeded_simulator(tickets, users, seed).await?;
    let (ctx, integration) = connect(ports, &sim.base_url()).await?;
    Ok(World {
        sim,
        ctx,
        integration,
        ticket_ids,
    })
}

/// A simulated account of `tickets` × 3 comments and `users` requesters (20 agents), with the
/// API user the integration signs in as; rate limits off: the benchmark measures the
/// service, not Zendesk's budget.
pub async fn seeded_simulator(
    tickets: usize,
    users: usize,
    seed: u64,
) -> Result<(Simulator, Vec<u64>), BoxError> {
    let sim = Simulator::start(SimConfig::default()).await?;
    sim.add_api_user(API_EMAIL, API_TOKEN, UserRole::Admin);
    let seeded = sim.seed(SeedSpec {
        tickets,
        users,
        agents: 20,
        comments_per_ticket: 3,
        seed,
    });
    Ok((sim, seeded.ticket_ids))
}

/// The service on `ports`, with one active integration on the Zendesk at `zendesk_url` (the
/// simulator's API user) whose secrets are stored.
pub async fn connect(
    ports: Ports,
    zendesk_url: &str,
) -> Result<(SyncContext, IntegrationId), BoxError> {
    let ctx = SyncContext {
        store: ports.store,
        queue: ports.queue,
        secrets: ports.secrets,
        zendesk: Arc::new(ZendeskClientFactory::new(unpaced_client())?),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            allow_insecure_zendesk_urls: true,
            export_lease_ttl: zsync_core::export::LEASE_TTL,
        },
    };
    let integration = IntegrationId::new("bench");
    let now = Utc::now();
    ctx.store
        .create_user(&CrmUser {
            id: UserId::new("owner"),
            email: "owner@crm.example.com".into(),
            name: "Owner".into(),
            roles: vec![Role::Admin],
        })
        .await?;
    ctx.store
        .create_integration(&Integration {
            id: integration.clone(),
            name: "Bench".into(),
            url: zendesk_url.to_owned(),
            api_email: API_EMAIL.into(),
            api_token_set: true,
            default_zendesk_user_email: None,
            owner_id: UserId::new("owner"),
            two_way_sync: false,
            sync_priority: None,
            active: true,
            webhook_id: None,
            created_at: now,
            updated_at: now,
        })
        .await?;
    let token = SecretString::from(API_TOKEN);
    ctx.secrets
        .put(&api_token_name(integration.as_str()), &token)
        .await?;
    ctx.secrets
        .put(
            &webhook_secret_name(integration.as_str()),
            &SecretString::from(WEBHOOK_SECRET),
        )
        .await?;
    Ok((ctx, integration))
}
