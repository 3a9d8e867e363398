//! A sync context on the embedded store and queue (temp dir), a simulated Zendesk account and
//! the real Zendesk client, for the export and webhook tests.
#![allow(dead_code)]

pub mod queues;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use secrecy::SecretString;
use tempfile::TempDir;
use zsync_core::context::{Clock, ServiceSettings, SyncContext};
use zsync_core::message::SyncMessage;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_core::ports::{CrmStore, SecretStore, SyncQueue};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore};
use zsync_mapping::zendesk::{TicketStatus, UserRole};
use zsync_mapping::{Integration, IntegrationId, Timestamp, UserId};
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy, ZendeskClientFactory};
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator};

pub const API_EMAIL: &str = "api@acme.test";
pub const API_TOKEN: &str = "sim-token-123";
pub const WEBHOOK_SECRET: &str = "whsec-test-secret";

/// A clock the test moves (lease expiry, webhook timestamps).
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

pub struct Harness {
    pub sim: Simulator,
    pub ctx: SyncContext,
    pub queue: Arc<EmbeddedQueue>,
    pub clock: Arc<ManualClock>,
    pub integration: IntegrationId,
    _dir: TempDir,
}

/// Client settings for tests: Zendesk's real page size unless told otherwise, budgets wide
/// enough that the simulator's limits (when on) are what the client meets, short waits.
pub fn client_config(page_size: u32) -> ClientConfig {
    let wide = RequestBudget {
        requests: 10_000,
        window: StdDuration::from_secs(1),
    };
    ClientConfig {
        export_budget: wide,
        general_budget: wide,
        export_page_size: page_size,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: StdDuration::from_millis(10),
            max_delay: StdDuration::from_millis(100),
            max_rate_limit_wait: StdDuration::from_secs(3),
            default_rate_limit_wait: StdDuration::from_millis(200),
        },
        ..ClientConfig::default()
    }
}

impl Harness {
    pub async fn start(page_size: u32) -> Self {
        Self::start_with(page_size, SimConfig::default()).await
    }

    pub async fn start_with(page_size: u32, sim_config: SimConfig) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let store = Arc::new(
            EmbeddedStore::open(dir.path().join("store.redb"))
                .await
                .expect("store"),
        );
        let queue = Arc::new(
            EmbeddedQueue::open(dir.path().join("queue.redb"))
                .await
                .expect("queue"),
        );
        let secrets = Arc::new(
            FileSecretStore::open(dir.path().join("secrets.json"))
                .await
                .expect("secrets"),
        );
        let sim = Simulator::start(sim_config).await.expect("simulator");
        sim.add_api_user(API_EMAIL, API_TOKEN, UserRole::Admin);
        let zendesk =
            Arc::new(ZendeskClientFactory::new(client_config(page_size)).expect("client"));
        let clock = Arc::new(ManualClock(Mutex::new(Utc::now())));
        let ctx = SyncContext {
            store: store.clone(),
            queue: queue.clone(),
            secrets: secrets.clone(),
            zendesk,
            clock: clock.clone(),
            settings: ServiceSettings {
                public_url: "http://127.0.0.1:1".into(),
                allow_insecure_zendesk_urls: true,
                export_lease_ttl: zsync_core::export::LEASE_TTL,
            },
        };
        let integration = IntegrationId::new("acme");
        let now = clock.now();
        store
            .create_integration(&Integration {
                id: integration.clone(),
                name: "Acme".into(),
                url: sim.base_url(),
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
            .await
            .expect("integration");
        secrets
            .put(
                &api_token_name(integration.as_str()),
                &SecretString::from(API_TOKEN),
            )
            .await
            .expect("token");
        secrets
            .put(
                &webhook_secret_name(integration.as_str()),
                &SecretString::from(WEBHOOK_SECRET),
            )
            .await
            .expect("webhook secret");
        Self {
            sim,
            ctx,
            queue,
            clock,
            integration,
            _dir: dir,
        }
    }

    pub fn seed(&self, tickets: usize, comments_per_ticket: usize) {
        self.sim.seed(SeedSpec {
            tickets,
            users: 40,
            agents: 4,
            comments_per_ticket,
            seed: 7,
        });
    }

    /// The same context with another queue in front (failing, slow, hanging).
    pub fn ctx_with_queue(&self, queue: Arc<dyn SyncQueue>) -> SyncContext {
        SyncContext {
            queue,
            ..self.ctx.clone()
        }
    }

    /// Receives and acknowledges everything waiting (bounded).
    pub async fn drain(&self) -> Vec<SyncMessage> {
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let batch = self
                .queue
                .receive(100, Duration::minutes(10))
                .await
                .expect("receive");
            if batch.is_empty() {
                return all;
            }
            for delivery in batch {
                self.queue.ack(&delivery.receipt).await.expect("ack");
                all.push(delivery.message);
            }
        }
        panic!("queue did not drain");
    }

    pub fn all_ticket_ids(&self) -> BTreeSet<u64> {
        self.sim.tickets().iter().map(|t| t.id).collect()
    }

    /// A ticket an agent can still change (not closed or deleted).
    pub fn open_ticket(&self) -> u64 {
        self.sim
            .tickets()
            .iter()
            .find(|t| !matches!(t.status, Some(TicketStatus::Closed | TicketStatus::Deleted)))
            .expect("an open ticket")
            .id
    }

    /// Every comment id per ticket, as the simulator holds them.
    pub fn all_comment_ids(&self) -> BTreeMap<u64, BTreeSet<u64>> {
        self.all_ticket_ids()
            .into_iter()
            .map(|t| (t, self.sim.comments(t).iter().map(|c| c.id).collect()))
            .collect()
    }
}

pub fn deadline() -> Instant {
    Instant::now() + StdDuration::from_secs(120)
}

/// Ticket id → how many snapshots of it were sent.
pub fn snapshot_counts(messages: &[SyncMessage]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for m in messages {
        if let SyncMessage::TicketSnapshot { ticket, .. } = m {
            *counts.entry(ticket.id).or_insert(0) += 1;
        }
    }
    counts
}

/// Ticket id → comment ids sent (with repeats, to spot duplicates).
pub fn sent_comments(messages: &[SyncMessage]) -> BTreeMap<u64, Vec<u64>> {
    let mut sent: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for m in messages {
        if let SyncMessage::TicketComments {
            ticket_id,
            comments,
            ..
        } = m
        {
            sent.entry(*ticket_id)
                .or_default()
                .extend(comments.iter().map(|c| c.id));
        }
    }
    sent
}

pub fn as_sets(sent: &BTreeMap<u64, Vec<u64>>) -> BTreeMap<u64, BTreeSet<u64>> {
    sent.iter()
        .map(|(t, c)| (*t, c.iter().copied().collect()))
        .collect()
}
