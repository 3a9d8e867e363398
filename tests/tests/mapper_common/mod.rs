//! Shared set-up of the mapper tests: an embedded store and queue in a temp dir, a simulated
//! Zendesk account, the real Zendesk client, and one active integration pointing at it.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use tempfile::TempDir;
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::ports::secrets::api_token_name;
use zsync_core::ports::{
    CrmStore, ExportFrom, SecretStore, ZendeskAccount, ZendeskApi, ZendeskConnector,
};
use zsync_core::sync::TicketState;
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{
    Case, CaseComment, CrmUser, Integration, IntegrationId, JobCounters, JobId, JobKind, JobState,
    Role, SyncJob, SyncLogEntry, SyncPriority, TicketRecord, UserId,
};
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy, ZendeskClientFactory};
use zsync_zendesk_sim::{SimConfig, Simulator};

pub const API_EMAIL: &str = "admin@acme.example.com";
pub const TOKEN: &str = "sim-token-mapper-5e1f";
pub const INTEGRATION: &str = "int-mapper";
pub const OWNER: &str = "u-owner";
pub const MAX_RECEIVES: u32 = 5;

pub struct World {
    pub sim: Simulator,
    pub ctx: SyncContext,
    pub queue: EmbeddedQueue,
    pub api: Arc<dyn ZendeskApi>,
    pub integration: IntegrationId,
    pub api_user: u64,
    _dir: TempDir,
}

/// Production client behaviour with delays shrunk so tests run in seconds.
pub fn client_config() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(2),
            default_rate_limit_wait: Duration::from_millis(100),
        },
        export_budget: RequestBudget {
            requests: 1_000,
            window: Duration::from_secs(1),
        },
        general_budget: RequestBudget {
            requests: 10_000,
            window: Duration::from_secs(1),
        },
        ..ClientConfig::default()
    }
}

pub async fn world(two_way: bool, priority: SyncPriority) -> World {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let api_user = sim.add_api_user(API_EMAIL, TOKEN, UserRole::Admin);
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("store.redb"))
        .await
        .unwrap();
    let queue = EmbeddedQueue::open(dir.path().join("queue.redb"))
        .await
        .unwrap();
    let secrets = FileSecretStore::open(dir.path().join("secrets.json"))
        .await
        .unwrap();
    let now = Utc::now();
    store
        .create_user(&CrmUser {
            id: UserId::new(OWNER),
            email: "owner@crm.example.com".into(),
            name: "Olivia Owner".into(),
            roles: vec![Role::Admin],
        })
        .await
        .unwrap();
    let integration = IntegrationId::new(INTEGRATION);
    store
        .create_integration(&Integration {
            id: integration.clone(),
            name: "Simulated Zendesk".into(),
            url: sim.base_url(),
            api_email: API_EMAIL.into(),
            api_token_set: true,
            default_zendesk_user_email: None,
            owner_id: UserId::new(OWNER),
            two_way_sync: two_way,
            sync_priority: Some(priority),
            active: true,
            webhook_id: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();
    secrets
        .put(&api_token_name(INTEGRATION), &SecretString::from(TOKEN))
        .await
        .unwrap();
    let factory = ZendeskClientFactory::new(client_config()).unwrap();
    let api = factory
        .connect(ZendeskAccount {
            integration_id: integration.clone(),
            base_url: sim.base_url(),
            api_email: API_EMAIL.into(),
            api_token: SecretString::from(TOKEN),
        })
        .unwrap();
    let ctx = SyncContext {
        store: Arc::new(store),
        queue: Arc::new(queue.clone()),
        secrets: Arc::new(secrets),
        zendesk: Arc::new(factory),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            allow_insecure_zendesk_urls: true,
            export_lease_ttl: zsync_core::export::LEASE_TTL,
        },
    };
    World {
        sim,
        ctx,
        queue,
        api,
        integration,
        api_user,
        _dir: dir,
    }
}

impl World {
    pub fn store(&self) -> &Arc<dyn CrmStore> {
        &self.ctx.store
    }

    /// The ticket as the REST API serves it, with its users and comments.
    pub async fn state_of(&self, ticket: u64) -> TicketState {
        let envelope = self.api.show_ticket(ticket).await.unwrap();
        let fetched = self.api.ticket_comments(ticket).await.unwrap();
        let mut users = envelope.users;
        users.extend(fetched.users);
        TicketState {
            ticket: envelope.ticket,
            users,
            comments: fetched.comments,
        }
    }

    /// The ticket as the incremental export has it (also deleted tickets), with the page's
    /// users and no comments.
    pub async fn exported_state(&self, ticket: u64) -> TicketState {
        let mut from = ExportFrom::StartTime(0);
        let mut found = None;
        for _ in 0..50 {
            let page = self.api.export_tickets(&from).await.unwrap();
            if let Some(t) = page.tickets.iter().rev().find(|t| t.id == ticket) {
                found = Some(TicketState {
                    ticket: t.clone(),
                    users: page.users.clone(),
                    comments: Vec::new(),
                });
            }
            match page.after_cursor {
                Some(cursor) if !page.end_of_stream => from = ExportFrom::Cursor(cursor),
                _ => break,
            }
        }
        found.expect("ticket in the export")
    }

    pub async fn record(&self, ticket: u64) -> TicketRecord {
        self.store()
            .get_ticket_record(&self.integration, ticket)
            .await
            .unwrap()
            .expect("ticket record")
            .value
    }

    pub async fn case(&self, ticket: u64) -> Case {
        let record = self.record(ticket).await;
        self.store()
            .get_case(&record.case_id)
            .await
            .unwrap()
            .expect("case")
            .value
    }

    pub async fn case_version(&self, ticket: u64) -> u64 {
        let record = self.record(ticket).await;
        self.store()
            .get_case(&record.case_id)
            .await
            .unwrap()
            .unwrap()
            .version
    }

    pub async fn comments(&self, ticket: u64) -> Vec<CaseComment> {
        let record = self.record(ticket).await;
        self.store().list_comments(&record.case_id).await.unwrap()
    }

    pub async fn log(&self) -> Vec<SyncLogEntry> {
        self.store().list_log(&self.integration, 500).await.unwrap()
    }

    /// Changes a case in the CRM, as the API would.
    pub async fn edit_case(&self, ticket: u64, edit: impl FnOnce(&mut Case)) {
        let record = self.record(ticket).await;
        let stored = self
            .store()
            .get_case(&record.case_id)
            .await
            .unwrap()
            .unwrap();
        let mut case = stored.value;
        edit(&mut case);
        case.updated_at = Utc::now();
        self.store()
            .update_case(&case, stored.version)
            .await
            .unwrap();
    }

    pub async fn add_crm_user(&self, id: &str, email: &str) -> UserId {
        self.store()
            .create_user(&CrmUser {
                id: UserId::new(id),
                email: email.into(),
                name: id.into(),
                roles: vec![],
            })
            .await
            .unwrap();
        UserId::new(id)
    }

    pub async fn start_job(&self) -> JobId {
        let job = SyncJob {
            id: JobId::new("job-1"),
            integration_id: self.integration.clone(),
            kind: JobKind::Manual,
            state: JobState::Running,
            started_at: Utc::now(),
            finished_at: None,
            counters: JobCounters::default(),
            error: None,
            export_complete: false,
        };
        self.store().create_job(&job).await.unwrap();
        job.id
    }

    pub async fn counters(&self, job: &JobId) -> JobCounters {
        self.store()
            .get_job(&self.integration, job)
            .await
            .unwrap()
            .unwrap()
            .value
            .counters
    }
}
