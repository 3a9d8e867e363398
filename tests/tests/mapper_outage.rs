//! A two-hour Zendesk outage (every request answers 503), on a manual clock: the mapper runs as
//! the Lambda does (`process_batch_within` with each message's receipt) on a queue that keeps
//! SQS's delivery rules on that clock (visibility timeout, `ChangeMessageVisibility`, redrive to
//! the dead-letter queue after `maxReceiveCount` receives), and the scheduler (`run_exports`,
//! which sweeps the push outbox) runs every 5 minutes. Real SQS cannot be time-travelled; moto
//! shows the same calls against the real adapter (e2e_aws.rs).
//!
//! Proves: no healthy message reaches the dead-letter queue during the outage, and the CRM
//! changes made during it (an edit and a comment through the admin flows the HTTP API runs)
//! reach Zendesk after it, once.

mod mapper_common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use mapper_common::{MAX_RECEIVES, OWNER, World, world};
use zsync_core::SyncMessage;
use zsync_core::admin::{Caller, CasePatch, NewCaseComment, add_comment, edit_case};
use zsync_core::context::{Clock, SyncContext};
use zsync_core::export::run_exports;
use zsync_core::ports::{Delivery, QueueError, QueueResult, SyncQueue};
use zsync_core::sync::{ReceivedMessage, apply_ticket_changed, process_batch_within};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CasePriority, CaseStatus, SyncPriority, Timestamp};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};
use zsync_zendesk_sim::{FaultPlan, NewTicket, RateLimit, TicketChange};

/// The queue's VisibilityTimeout in template.yaml.
const VISIBILITY_SECONDS: i64 = 720;

struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

struct Stored {
    body: String,
    receive_count: u32,
    visible_at: Timestamp,
    receipt: Option<String>,
}

/// SQS's delivery rules on a manual clock.
struct ClockedSqs {
    clock: Arc<ManualClock>,
    messages: Mutex<BTreeMap<u64, Stored>>,
    dead: Mutex<Vec<String>>,
    next: Mutex<u64>,
}

impl ClockedSqs {
    fn new(clock: Arc<ManualClock>) -> Self {
        Self {
            clock,
            messages: Mutex::new(BTreeMap::new()),
            dead: Mutex::new(Vec::new()),
            next: Mutex::new(0),
        }
    }

    fn id(&self) -> u64 {
        let mut next = self.next.lock().unwrap();
        *next += 1;
        *next
    }

    /// Up to 10 visible messages, each receive counted; one received more than
    /// `MAX_RECEIVES` times moves to the dead-letter queue instead (the redrive policy).
    fn receive_batch(&self) -> Vec<ReceivedMessage> {
        let now = self.clock.now();
        let mut messages = self.messages.lock().unwrap();
        let visible: Vec<u64> = messages
            .iter()
            .filter(|(_, m)| m.visible_at <= now)
            .map(|(id, _)| *id)
            .take(10)
            .collect();
        let mut batch = Vec::new();
        for id in visible {
            let m = messages.get_mut(&id).unwrap();
            if m.receive_count >= MAX_RECEIVES {
                let m = messages.remove(&id).unwrap();
                self.dead.lock().unwrap().push(m.body);
                continue;
            }
            m.receive_count += 1;
            m.visible_at = now + Duration::seconds(VISIBILITY_SECONDS);
            let receipt = format!("{id}-{}", m.receive_count);
            m.receipt = Some(receipt.clone());
            batch.push(ReceivedMessage {
                id: id.to_string(),
                body: m.body.clone(),
                receive_count: m.receive_count,
                receipt: Some(receipt),
            });
        }
        batch
    }

    fn delete(&self, id: &str) {
        let id: u64 = id.parse().unwrap();
        self.messages.lock().unwrap().remove(&id);
    }

    fn len(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    fn dead_letters(&self) -> Vec<String> {
        self.dead.lock().unwrap().clone()
    }

    fn receive_counts(&self) -> Vec<u32> {
        let messages = self.messages.lock().unwrap();
        messages.values().map(|m| m.receive_count).collect()
    }
}

#[async_trait]
impl SyncQueue for ClockedSqs {
    async fn send(&self, messages: &[SyncMessage]) -> QueueResult<()> {
        for message in messages {
            let id = self.id();
            let stored = Stored {
                body: message.encode(),
                receive_count: 0,
                visible_at: self.clock.now(),
                receipt: None,
            };
            self.messages.lock().unwrap().insert(id, stored);
        }
        Ok(())
    }
    async fn receive(&self, _max: usize, _visibility: Duration) -> QueueResult<Vec<Delivery>> {
        Err(QueueError::Unavailable(
            "the Lambda path receives through the event source".into(),
        ))
    }
    async fn ack(&self, _receipt: &str) -> QueueResult<()> {
        Err(QueueError::InvalidReceipt)
    }
    /// `ChangeMessageVisibility`.
    async fn retry_later(&self, receipt: &str, delay: Duration) -> QueueResult<()> {
        let now = self.clock.now();
        let mut messages = self.messages.lock().unwrap();
        let found = messages
            .values_mut()
            .find(|m| m.receipt.as_deref() == Some(receipt))
            .ok_or(QueueError::InvalidReceipt)?;
        found.visible_at = now + delay.min(Duration::hours(12));
        Ok(())
    }
    async fn dead_letter(&self, _receipt: &str, _reason: &str) -> QueueResult<()> {
        Err(QueueError::InvalidReceipt)
    }
    async fn dead_letter_body(&self, body: &str, _reason: &str) -> QueueResult<()> {
        self.dead.lock().unwrap().push(body.to_owned());
        Ok(())
    }
    async fn depth(&self) -> QueueResult<usize> {
        Ok(self.len())
    }
}

/// A Zendesk ticket already synced to a case.
async fn synced_ticket(w: &World, subject: &str) -> u64 {
    let requester = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: subject.into(),
        description: "Original description".into(),
        requester_id: requester,
        status: Some(TicketStatus::Open),
        priority: Some(TicketPriority::Normal),
        ..NewTicket::default()
    });
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    id
}

/// The mapper Lambda once: every visible message, batch by batch (bounded).
async fn pump(ctx: &SyncContext, sqs: &ClockedSqs) {
    for _ in 0..20 {
        let batch = sqs.receive_batch();
        if batch.is_empty() {
            return;
        }
        let ids: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
        let failed = process_batch_within(ctx, batch, MAX_RECEIVES, deadline).await;
        for id in ids.iter().filter(|id| !failed.contains(id)) {
            sqs.delete(id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_hour_outage_loses_nothing_and_dead_letters_nothing() {
    let w = world(true, SyncPriority::Local).await;
    let edited_ticket = synced_ticket(&w, "Edited during the outage").await;
    let commented_ticket = synced_ticket(&w, "Commented during the outage").await;
    let changed_ticket = synced_ticket(&w, "Changed in Zendesk before the outage").await;

    let clock = Arc::new(ManualClock(Mutex::new(Utc::now())));
    let sqs = Arc::new(ClockedSqs::new(clock.clone()));
    let mut ctx = w.ctx.clone();
    ctx.clock = clock.clone();
    ctx.queue = sqs.clone();
    // The cursor starts now: the scheduler's export finds only what changes from here on.
    run_exports(&ctx, std::time::Instant::now() + StdDuration::from_secs(30))
        .await
        .unwrap();
    pump(&ctx, &sqs).await;

    // A Zendesk change whose webhook message is in the queue when Zendesk goes down.
    w.sim
        .agent_update_ticket(
            changed_ticket,
            TicketChange {
                status: Some(TicketStatus::Pending),
                ..TicketChange::default()
            },
        )
        .unwrap();
    sqs.send(&[SyncMessage::TicketChanged {
        integration_id: w.integration.clone(),
        ticket_id: changed_ticket,
        event_id: None,
    }])
    .await
    .unwrap();

    w.sim.inject_faults(FaultPlan {
        error_5xx_rate: 1.0,
        ..FaultPlan::default()
    });
    let caller = Caller {
        email: "owner@crm.example.com".into(),
        user: w
            .store()
            .get_user(&zsync_mapping::UserId::new(OWNER))
            .await
            .unwrap(),
        admin: true,
    };
    let edited_case = w.record(edited_ticket).await.case_id;
    let commented_case = w.record(commented_ticket).await.case_id;
    let mut comment_id = None;

    // Two hours in one-minute steps; the scheduler every five minutes.
    for minute in 0..120 {
        if minute == 10 {
            edit_case(
                &ctx,
                &edited_case,
                CasePatch {
                    priority: Some(CasePriority::High),
                    subject: Some("Renamed in the CRM during the outage".into()),
                    ..CasePatch::default()
                },
            )
            .await
            .unwrap();
        }
        if minute == 50 {
            let comment = add_comment(
                &ctx,
                &caller,
                &commented_case,
                NewCaseComment {
                    body: Some("Written while Zendesk was down".into()),
                    public: Some(true),
                    idempotency_key: None,
                },
            )
            .await
            .unwrap();
            comment_id = Some(comment.id);
        }
        if minute % 5 == 0 {
            run_exports(&ctx, std::time::Instant::now() + StdDuration::from_secs(10))
                .await
                .unwrap();
        }
        pump(&ctx, &sqs).await;
        assert!(
            sqs.dead_letters().is_empty(),
            "dead-lettered at minute {minute}: {:?}",
            sqs.dead_letters()
        );
        clock.advance(Duration::minutes(1));
    }
    assert!(
        sqs.receive_counts().iter().all(|n| *n < MAX_RECEIVES),
        "a waiting message is one receive from the dead-letter queue: {:?}",
        sqs.receive_counts()
    );
    assert_eq!(
        w.sim.ticket(edited_ticket).unwrap().priority,
        Some(TicketPriority::Normal),
        "nothing reached Zendesk during the outage"
    );

    w.sim.clear_faults();
    // After the outage: until everything is applied (bounded: 5 simulated hours).
    for _ in 0..300 {
        clock.advance(Duration::minutes(1));
        if clock.now().timestamp() % 300 < 60 {
            run_exports(&ctx, std::time::Instant::now() + StdDuration::from_secs(10))
                .await
                .unwrap();
        }
        pump(&ctx, &sqs).await;
        let pending = w
            .store()
            .list_pending_pushes(&w.integration, 10)
            .await
            .unwrap();
        if sqs.len() == 0 && pending.is_empty() {
            break;
        }
    }
    assert!(sqs.dead_letters().is_empty(), "{:?}", sqs.dead_letters());
    assert_eq!(sqs.len(), 0, "the queue drained");
    assert!(
        w.store()
            .list_pending_pushes(&w.integration, 10)
            .await
            .unwrap()
            .is_empty(),
        "the outbox drained"
    );
    let edited = w.sim.ticket(edited_ticket).unwrap();
    assert_eq!(edited.priority, Some(TicketPriority::High));
    assert_eq!(
        edited.subject.as_deref(),
        Some("Renamed in the CRM during the outage")
    );
    let written: Vec<_> = w
        .sim
        .comments(commented_ticket)
        .into_iter()
        .filter(|c| c.body.contains("Written while Zendesk was down"))
        .collect();
    assert_eq!(written.len(), 1, "pushed once");
    let comments = w.comments(commented_ticket).await;
    let pushed = comments
        .iter()
        .find(|c| Some(&c.id) == comment_id.as_ref())
        .expect("the CRM comment");
    assert_eq!(pushed.zendesk_comment_id, Some(written[0].id), "linked");
    assert_eq!(w.case(changed_ticket).await.status, CaseStatus::InProgress);
}

/// The mapper's context with the production Zendesk client (90 s of rate-limit waits, 30 s
/// request timeout) and the clocked queue.
fn lambda_ctx(w: &World, sqs: &Arc<ClockedSqs>, clock: &Arc<ManualClock>) -> SyncContext {
    let mut ctx = w.ctx.clone();
    ctx.zendesk = Arc::new(ZendeskClientFactory::new(ClientConfig::default()).unwrap());
    ctx.queue = sqs.clone();
    ctx.clock = clock.clone();
    ctx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_wait_longer_than_the_time_left_returns_the_message_with_its_delay() {
    let w = world(true, SyncPriority::Local).await;
    let ticket = synced_ticket(&w, "Rate limited").await;
    let clock = Arc::new(ManualClock(Mutex::new(Utc::now())));
    let sqs = Arc::new(ClockedSqs::new(clock.clone()));
    let ctx = lambda_ctx(&w, &sqs, &clock);
    w.sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 1,
        export_requests_per_minute: 1,
        window: StdDuration::from_secs(40),
    }));
    // Another client spends the window's only request: the mapper's first one gets a 429
    // naming a wait of about 40 s.
    w.api.show_ticket(ticket).await.unwrap();
    sqs.send(&[SyncMessage::TicketChanged {
        integration_id: w.integration.clone(),
        ticket_id: ticket,
        event_id: None,
    }])
    .await
    .unwrap();
    let batch = sqs.receive_batch();
    let id = batch[0].id.clone();
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
    let failed = process_batch_within(&ctx, batch, MAX_RECEIVES, deadline).await;
    assert!(
        started.elapsed() < StdDuration::from_secs(10),
        "slept out the rate limit: {:?}",
        started.elapsed()
    );
    assert_eq!(failed, vec![id], "returned to the queue");
    let visible_at = sqs
        .messages
        .lock()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .visible_at;
    assert!(
        visible_at >= clock.now() + Duration::seconds(30),
        "hidden for at least the Retry-After: {}",
        visible_at - clock.now()
    );
    assert!(sqs.dead_letters().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_not_finished_by_the_deadline_fail_alone() {
    let w = world(true, SyncPriority::Local).await;
    let first = synced_ticket(&w, "Hangs 1").await;
    let second = synced_ticket(&w, "Hangs 2").await;
    let clock = Arc::new(ManualClock(Mutex::new(Utc::now())));
    let sqs = Arc::new(ClockedSqs::new(clock.clone()));
    let ctx = lambda_ctx(&w, &sqs, &clock);
    // Zendesk accepts the connection and never answers in time (the client waits 30 s).
    w.sim.inject_faults(FaultPlan {
        timeout_rate: 1.0,
        timeout_delay: StdDuration::from_secs(60),
        ..FaultPlan::default()
    });
    let changed = |ticket_id| SyncMessage::TicketChanged {
        integration_id: w.integration.clone(),
        ticket_id,
        event_id: None,
    };
    sqs.send(&[changed(first), changed(second)]).await.unwrap();
    let mut batch = sqs.receive_batch();
    let hanging: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
    batch.push(ReceivedMessage {
        id: "poison".into(),
        body: "{not json".into(),
        receive_count: 1,
        receipt: None,
    });
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(7);
    let mut failed = process_batch_within(&ctx, batch, MAX_RECEIVES, deadline).await;
    failed.sort();
    assert!(
        started.elapsed() < StdDuration::from_secs(9),
        "ran past the deadline: {:?}",
        started.elapsed()
    );
    assert_eq!(
        failed, hanging,
        "only the unfinished messages are redelivered"
    );
    assert_eq!(
        sqs.dead_letters(),
        vec!["{not json".to_owned()],
        "the rest of the batch counts"
    );
}
