//! End to end under faults (docs/sync-rules.md §6 "Nothing is lost"): a first sync of 2,000 tickets
//! while Zendesk answers 5xx to 20% of requests and rate-limits with a short window, webhooks
//! arrive duplicated and out of order, agents change tickets mid-sync, the mapper is interrupted at
//! random points (futures dropped mid-batch, acknowledgements lost) and the process "restarts"
//! (export task killed, store and queue reopened from the same files). At the end the CRM equals
//! Zendesk exactly, the queue is empty and the DLQ holds only the one poison message put there on
//! purpose. Every random choice comes from one seed.

mod fault_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, SecondsFormat, Utc};
use secrecy::SecretString;
use zsync_core::context::{Clock, ServiceSettings, SyncContext};
use zsync_core::export::{LEASE_TTL, RunEnd, run_integration_export};
use zsync_core::intake::accept_webhook;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_core::ports::{CaseFilter, CrmStore, SyncQueue};
use zsync_core::sync::{Handling, handle_message};
use zsync_core::webhook_signature::sign;
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore, QueueOptions};
use zsync_mapping::case_mapping::{
    InboundStatus, inbound_priority, inbound_status, inbound_subject, status_on_create,
};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CasePriority, CrmUser, Integration, IntegrationId, Role, Timestamp, UserId};
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy, ZendeskClientFactory};
use zsync_zendesk_sim::{FaultPlan, RateLimit, SeedSpec, SimConfig, Simulator, TicketChange};

const SEED: u64 = 0x5EED_2026;
const TICKETS: usize = 2_000;
const API_EMAIL: &str = "api@acme.test";
const API_TOKEN: &str = "fault-token-9f3a";
const WEBHOOK_SECRET: &str = "fault-webhook-secret-41c7";
const MAX_RECEIVES: u32 = 12;
const POISON: &str = "{this is not a sync message";

/// splitmix64: small, seeded, good enough to pick faults.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Real time plus an offset the test moves forward ("the restart took a while").
struct SkewClock(Mutex<Duration>);

impl Clock for SkewClock {
    fn now(&self) -> Timestamp {
        Utc::now() + *self.0.lock().unwrap()
    }
}

fn client_config() -> ClientConfig {
    let wide = RequestBudget {
        requests: 100_000,
        window: StdDuration::from_secs(1),
    };
    ClientConfig {
        export_budget: wide,
        general_budget: wide,
        request_timeout: StdDuration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 6,
            base_delay: StdDuration::from_millis(5),
            max_delay: StdDuration::from_millis(40),
            max_rate_limit_wait: StdDuration::from_secs(3),
            default_rate_limit_wait: StdDuration::from_millis(200),
        },
        ..ClientConfig::default()
    }
}

/// One "process": the embedded adapters opened from the data dir.
struct Process {
    ctx: SyncContext,
    queue: Arc<EmbeddedQueue>,
}

async fn open_process(dir: &Path, clock: Arc<SkewClock>) -> Process {
    // The previous process's blocking store calls may still hold the files for a moment.
    let mut last_error = String::new();
    for _ in 0..100 {
        let store = EmbeddedStore::open(dir.join("store.redb")).await;
        // Room for the chaos below (every lost ack and dropped future costs a receive), so the
        // queue's own max-receives rule never fires for a message that would succeed.
        let options = QueueOptions {
            max_receives: MAX_RECEIVES,
            ..QueueOptions::default()
        };
        let queue = EmbeddedQueue::open_with(dir.join("queue.redb"), options).await;
        match (store, queue) {
            (Ok(store), Ok(queue)) => {
                let secrets = FileSecretStore::open(dir.join("secrets.json"))
                    .await
                    .unwrap();
                let queue = Arc::new(queue);
                let ctx = SyncContext {
                    store: Arc::new(store),
                    queue: queue.clone(),
                    secrets: Arc::new(secrets),
                    zendesk: Arc::new(ZendeskClientFactory::new(client_config()).unwrap()),
                    clock,
                    settings: ServiceSettings {
                        public_url: "http://127.0.0.1:1".into(),
                        allow_insecure_zendesk_urls: true,
                        export_lease_ttl: zsync_core::export::LEASE_TTL,
                    },
                };
                return Process { ctx, queue };
            }
            (store, queue) => {
                last_error = format!("{:?} / {:?}", store.err(), queue.err());
                tokio::time::sleep(StdDuration::from_millis(50)).await;
            }
        }
    }
    panic!("could not reopen the data dir: {last_error}");
}

async fn set_up(
    dir: &Path,
    sim: &Simulator,
    integration: &IntegrationId,
    clock: &Arc<SkewClock>,
) -> Process {
    let process = open_process(dir, clock.clone()).await;
    let store = &process.ctx.store;
    store
        .create_user(&CrmUser {
            id: UserId::new("owner"),
            email: "owner@crm.example.com".into(),
            name: "Owner".into(),
            roles: vec![Role::Admin],
        })
        .await
        .unwrap();
    let now = Utc::now();
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
        .unwrap();
    let secrets = &process.ctx.secrets;
    secrets
        .put(
            &api_token_name(integration.as_str()),
            &SecretString::from(API_TOKEN),
        )
        .await
        .unwrap();
    secrets
        .put(
            &webhook_secret_name(integration.as_str()),
            &SecretString::from(WEBHOOK_SECRET),
        )
        .await
        .unwrap();
    // A message no consumer can read: it must end in the DLQ, and be the only thing there.
    process.queue.send_raw(POISON).await.unwrap();
    process
}

fn spawn_export(ctx: &SyncContext, integration: &IntegrationId) -> tokio::task::JoinHandle<RunEnd> {
    let ctx = ctx.clone();
    let integration = integration.clone();
    tokio::spawn(async move {
        let deadline = Instant::now() + StdDuration::from_secs(120);
        run_integration_export(&ctx, &integration, deadline)
            .await
            .end
    })
}

/// One receive of the chaotic mapper: most messages are handled and answered, some are
/// handled but never acknowledged (lost ack), some are dropped mid-handling.
async fn chaotic_batch(process: &Process, rng: &mut Rng) -> usize {
    let deliveries = process
        .queue
        .receive(10, Duration::seconds(1))
        .await
        .unwrap();
    let count = deliveries.len();
    let mut plans = Vec::new();
    for d in deliveries {
        let roll = rng.below(100);
        let cut_after = rng.below(4);
        plans.push((d, roll, cut_after));
    }
    let ctx = &process.ctx;
    let queue = &process.queue;
    futures::future::join_all(plans.into_iter().map(|(d, roll, cut_after)| async move {
        if roll < 6 {
            // Dropped mid-handling: the future is cancelled wherever it is.
            let handling = handle_message(ctx, &d.message, d.receive_count, MAX_RECEIVES);
            let _ = tokio::time::timeout(StdDuration::from_millis(cut_after), handling).await;
            return;
        }
        let handling = handle_message(ctx, &d.message, d.receive_count, MAX_RECEIVES).await;
        if roll < 12 {
            return; // lost acknowledgement: redelivered after the visibility timeout
        }
        // A receipt can have expired meanwhile (slow handling): the redelivery is harmless.
        let _ = match handling {
            Handling::Done | Handling::Dropped(_) => queue.ack(&d.receipt).await,
            Handling::Retry(reason) if d.receive_count >= MAX_RECEIVES => {
                queue.dead_letter(&d.receipt, &reason).await
            }
            Handling::Retry(_) | Handling::Wait { .. } => {
                queue.retry_later(&d.receipt, Duration::zero()).await
            }
        };
    }))
    .await;
    count
}

fn webhook_body(ticket: u64, event: &str, kind: &str) -> Vec<u8> {
    serde_json::json!({
        "account_id": 18_525_119, "detail": {"id": ticket.to_string()}, "event": {},
        "id": event, "subject": format!("zen:ticket:{ticket}"),
        "time": Utc::now().to_rfc3339(), "type": format!("zen:event-type:ticket.{kind}"),
    })
    .to_string()
    .into_bytes()
}

/// Delivers a few pending webhooks in random order, some twice, signed at delivery time.
async fn deliver_webhooks(
    process: &Process,
    integration: &IntegrationId,
    pending: &mut Vec<Vec<u8>>,
    rng: &mut Rng,
) {
    let secret = SecretString::from(WEBHOOK_SECRET);
    for _ in 0..pending.len().min(3) {
        let pick = rng.below(pending.len() as u64) as usize;
        let body = pending.swap_remove(pick);
        let copies = 1 + rng.below(3);
        for _ in 0..copies {
            let stamp = process
                .ctx
                .clock
                .now()
                .to_rfc3339_opts(SecondsFormat::Secs, true);
            let signature = sign(&secret, &stamp, &body);
            let accepted = accept_webhook(
                &process.ctx,
                integration,
                Some(&signature),
                Some(&stamp),
                &body,
            )
            .await;
            assert!(accepted.is_ok(), "{accepted:?}");
        }
    }
}

/// An agent changes a random ticket in Zendesk; Zendesk sends its webhook (maybe twice).
fn agent_change(sim: &Simulator, ids: &[u64], rng: &mut Rng, n: usize, pending: &mut Vec<Vec<u8>>) {
    let ticket = ids[rng.below(ids.len() as u64) as usize];
    let status = [
        TicketStatus::Open,
        TicketStatus::Pending,
        TicketStatus::Hold,
        TicketStatus::Solved,
    ];
    let priority = [
        TicketPriority::Low,
        TicketPriority::Normal,
        TicketPriority::High,
        TicketPriority::Urgent,
    ];
    let change = TicketChange {
        subject: rng.chance(60).then(|| format!("Changed mid-sync #{n}")),
        status: Some(status[rng.below(4) as usize].clone()),
        priority: Some(priority[rng.below(4) as usize].clone()),
        comment: rng
            .chance(50)
            .then(|| (format!("agent note {n}"), rng.chance(50))),
        ..TicketChange::default()
    };
    // Closed tickets refuse updates, as in Zendesk: that is fine, nothing changed then.
    if sim.agent_update_ticket(ticket, change).is_ok() {
        let body = webhook_body(ticket, &format!("evt-{n}"), "status_changed");
        if rng.chance(30) {
            pending.push(body.clone()); // Zendesk's own retry of the same event
        }
        pending.push(body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_under_faults_restarts_and_chaos_ends_exactly_like_zendesk() {
    let started = Instant::now();
    let mut rng = Rng(SEED);
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_api_user(API_EMAIL, API_TOKEN, UserRole::Admin);
    let seeded = sim.seed(SeedSpec {
        tickets: TICKETS,
        users: 400,
        agents: 6,
        comments_per_ticket: 3,
        seed: SEED,
    });
    // On tmpfs when there is one: the store fsyncs every write (~1.7 ms on this disk), which
    // would make this test about the disk; durability across the restart is the same.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let data: PathBuf = dir.path().to_path_buf();
    let clock = Arc::new(SkewClock(Mutex::new(Duration::zero())));
    let integration = IntegrationId::new("acme");
    let mut process = set_up(&data, &sim, &integration, &clock).await;

    sim.inject_faults(FaultPlan {
        error_5xx_rate: 0.2,
        seed: SEED,
        ..FaultPlan::default()
    });
    sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 60,
        export_requests_per_minute: 6,
        window: StdDuration::from_millis(500),
    }));

    let mut export = Some(spawn_export(&process.ctx, &integration));
    let mut pending = Vec::new();
    let mut changes = 0;
    let mut deleted = BTreeSet::new();
    let restarts_at = [40_usize, 110];
    let mut export_ends = Vec::new();
    let mut rounds = 0;
    for round in 0..4_000 {
        rounds = round;
        if restarts_at.contains(&round) {
            // Crash: the export dies wherever it is, in-flight messages are lost with the
            // process, and the next process starts after the export lease expired.
            if let Some(task) = export.take() {
                task.abort();
                let _ = task.await;
            }
            drop(process);
            *clock.0.lock().unwrap() += LEASE_TTL + Duration::minutes(1);
            process = open_process(&data, clock.clone()).await;
            export = Some(spawn_export(&process.ctx, &integration));
        }
        if round % 4 == 0 && changes < 80 {
            changes += 1;
            agent_change(&sim, &seeded.ticket_ids, &mut rng, changes, &mut pending);
        }
        if round == 60 {
            for &ticket in seeded.ticket_ids.iter().skip(7).step_by(400) {
                if sim.delete_ticket(ticket).is_ok() {
                    deleted.insert(ticket);
                    pending.push(webhook_body(
                        ticket,
                        &format!("evt-del-{ticket}"),
                        "soft_deleted",
                    ));
                }
            }
        }
        deliver_webhooks(&process, &integration, &mut pending, &mut rng).await;
        let handled = chaotic_batch(&process, &mut rng).await;
        if export.as_ref().is_some_and(|task| task.is_finished())
            && let Some(task) = export.take()
        {
            export_ends.push(task.await.unwrap());
        }
        // The schedule: another run every few rounds (each run costs export requests).
        if export.is_none() && round % 10 == 0 {
            let settled = changes >= 80 && pending.is_empty() && handled == 0;
            if settled && process.queue.depth().await.unwrap() == 0 {
                break;
            }
            export = Some(spawn_export(&process.ctx, &integration));
        }
        if handled == 0 {
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    }
    if let Some(task) = export.take() {
        task.abort();
        let _ = task.await;
    }
    eprintln!(
        "chaos phase done after {:?}, {rounds} rounds",
        started.elapsed()
    );

    // Zendesk heals; the next scheduled run catches up with what changed after the cursor.
    sim.clear_faults();
    sim.set_rate_limit(None);
    for _ in 0..5 {
        let end = run_integration_export(
            &process.ctx,
            &integration,
            Instant::now() + StdDuration::from_secs(60),
        )
        .await
        .end;
        if end == RunEnd::Complete {
            break;
        }
    }
    let drained =
        fault_common::drain(&process.ctx, process.queue.as_ref(), MAX_RECEIVES, 5_000).await;
    assert_eq!(drained.dead_lettered, 0, "{drained:?}");

    assert_crm_equals_zendesk(&process, &sim, &integration, &deleted).await;
    assert_eq!(process.queue.depth().await.unwrap(), 0, "queue empty");
    let dead = process.queue.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1, "only the poison message: {dead:?}");
    assert_eq!(dead[0].body, POISON);
    assert!(sim.request_counts().values().sum::<u64>() > 0);
    eprintln!(
        "fault e2e: {TICKETS} tickets, {changes} agent changes, {} deleted, {} export runs, all complete: {}, {:?}",
        deleted.len(),
        export_ends.len(),
        export_ends.iter().all(|e| *e == RunEnd::Complete),
        started.elapsed()
    );
}

async fn assert_crm_equals_zendesk(
    process: &Process,
    sim: &Simulator,
    integration: &IntegrationId,
    deleted: &BTreeSet<u64>,
) {
    let store = &process.ctx.store;
    let tickets = sim.tickets();
    assert_eq!(
        tickets.len(),
        TICKETS,
        "no Zendesk ticket was created by the sync"
    );
    let mut case_ids = BTreeSet::new();
    for ticket in &tickets {
        let record = store
            .get_ticket_record(integration, ticket.id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("ticket {} has no record", ticket.id))
            .value;
        assert!(
            case_ids.insert(record.case_id.clone()),
            "two tickets share a case"
        );
        let case = store
            .get_case(&record.case_id)
            .await
            .unwrap()
            .expect("case")
            .value;
        if deleted.contains(&ticket.id) {
            assert!(record.deleted, "ticket {} deleted in Zendesk", ticket.id);
            continue;
        }
        assert!(!record.deleted);
        assert_eq!(
            case.subject,
            inbound_subject(ticket.subject.as_deref()),
            "ticket {}",
            ticket.id
        );
        if let InboundStatus::Case(status) = inbound_status(ticket.status.as_ref()) {
            assert_eq!(
                case.status,
                status_on_create(InboundStatus::Case(status)),
                "ticket {}",
                ticket.id
            );
        }
        let priority = inbound_priority(ticket.priority.as_ref()).unwrap_or(CasePriority::Normal);
        assert_eq!(case.priority, priority, "ticket {}", ticket.id);
        assert_eq!(
            record.status.as_deref(),
            ticket.status.as_ref().map(|s| s.as_str()),
            "ticket {}",
            ticket.id
        );
        let want: BTreeMap<u64, String> = sim
            .comments(ticket.id)
            .into_iter()
            .map(|c| (c.id, c.body))
            .collect();
        let have: Vec<_> = store.list_comments(&record.case_id).await.unwrap();
        let have_map: BTreeMap<u64, String> = have
            .iter()
            .filter_map(|c| c.zendesk_comment_id.map(|id| (id, c.body.clone())))
            .collect();
        assert_eq!(
            have.len(),
            want.len(),
            "ticket {}: no duplicate or missing comment",
            ticket.id
        );
        assert_eq!(have_map, want, "ticket {}", ticket.id);
    }
    let linked = collect_cases(store.as_ref(), integration).await;
    assert_eq!(linked, TICKETS, "exactly one case per ticket");

    // Exactly one contact per end-user e-mail, and every requester with an e-mail has one.
    let mut contacts = Vec::new();
    let mut cursor = None;
    for _ in 0..1_000 {
        let page = store.list_contacts(cursor.as_deref(), 100).await.unwrap();
        contacts.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
    for c in &contacts {
        *by_email
            .entry(
                c.email
                    .clone()
                    .expect("contacts from Zendesk have an e-mail"),
            )
            .or_default() += 1;
    }
    assert!(by_email.values().all(|&n| n == 1), "duplicate contacts");
    let requester_emails: BTreeSet<String> = tickets
        .iter()
        .filter_map(|t| t.requester_id)
        .filter_map(|id| sim.user(id))
        .filter(|u| matches!(u.role, Some(UserRole::EndUser)))
        .filter_map(|u| u.email.map(|e| e.trim().to_lowercase()))
        .collect();
    for email in &requester_emails {
        assert!(
            by_email.contains_key(email),
            "no contact for requester {email}"
        );
    }
}

async fn collect_cases(store: &dyn CrmStore, integration: &IntegrationId) -> usize {
    let filter = CaseFilter {
        integration_id: Some(integration.clone()),
        ..CaseFilter::default()
    };
    let mut count = 0;
    let mut cursor = None;
    for _ in 0..10_000 {
        let page = store
            .list_cases(&filter, cursor.as_deref(), 100)
            .await
            .unwrap();
        count += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    count
}
