//! The `SyncQueue` conformance suite (the contract in `zsync_core::ports::queue`).
//!
//! Timing-based cases use visibility timeouts of about a second (SQS counts in whole seconds)
//! and poll with bounded loops.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use zsync_core::message::{SyncMessage, first_refused_char};
use zsync_core::ports::{Delivery, QueueResult, SyncQueue};
use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{CaseId, IntegrationId};

/// Expands to one `#[tokio::test]` per queue case, in a module `queue_conformance`.
/// `$make` is an async factory `() -> Fresh<dyn SyncQueue>` called once per test.
#[macro_export]
macro_rules! queue_conformance_tests {
    ($make:expr) => {
        $crate::__conformance_tests!(
            queue_conformance,
            queue,
            $make,
            [
                send_receive_ack,
                receive_respects_max,
                unacked_message_is_redelivered,
                retry_later_delays_redelivery,
                dead_letter_removes_the_message,
                batch_of_25_delivered_once,
                every_message_kind_round_trips,
                hostile_text_round_trips_exactly,
            ]
        );
    };
}

/// What the inspection cases need beyond the port: inject a raw body, read the dead letters.
#[async_trait]
pub trait QueueInspection: Send + Sync {
    /// Sends `body` as it is, bypassing the envelope encoding.
    async fn send_raw(&self, body: &str) -> QueueResult<()>;
    /// Everything in the dead-letter area, any order.
    async fn dead_letters(&self) -> QueueResult<Vec<DeadLetterView>>;
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetterView {
    pub body: String,
    pub reason: String,
}

/// Expands to the inspection cases, in a module `queue_inspection_conformance`. `$make` is an
/// async factory `() -> (Fresh<dyn SyncQueue>, Arc<dyn QueueInspection>)` over one fresh queue.
#[macro_export]
macro_rules! queue_inspection_conformance_tests {
    ($make:expr) => {
        #[allow(non_snake_case)]
        mod queue_inspection_conformance {
            #[allow(unused_imports)]
            use super::*;
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn undecodable_body_is_dead_lettered() {
                let (fresh, inspect) = ($make)().await;
                $crate::queue::undecodable_body_is_dead_lettered(&*fresh.adapter, &*inspect).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dead_letter_keeps_body_and_reason() {
                let (fresh, inspect) = ($make)().await;
                $crate::queue::dead_letter_keeps_body_and_reason(&*fresh.adapter, &*inspect).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dead_letter_body_parks_a_raw_body_with_its_reason() {
                let (fresh, inspect) = ($make)().await;
                $crate::queue::dead_letter_body_parks_a_raw_body_with_its_reason(
                    &*fresh.adapter,
                    &*inspect,
                )
                .await;
            }
        }
    };
}

/// A distinct, small message.
pub fn changed(ticket_id: u64) -> SyncMessage {
    SyncMessage::TicketChanged {
        integration_id: IntegrationId::new("acme"),
        ticket_id,
        event_id: Some(format!("evt-{ticket_id}")),
    }
}

const LONG: Duration = Duration::seconds(30);
const POLL: StdDuration = StdDuration::from_millis(100);

/// Receives until something arrives or `within` passes (bounded).
pub async fn receive_within(
    queue: &dyn SyncQueue,
    max: usize,
    visibility: Duration,
    within: StdDuration,
) -> Vec<Delivery> {
    let rounds = (within.as_millis() / POLL.as_millis()).max(1);
    for _ in 0..rounds {
        let got = queue.receive(max, visibility).await.expect("receive");
        if !got.is_empty() {
            return got;
        }
        tokio::time::sleep(POLL).await;
    }
    Vec::new()
}

pub async fn send_receive_ack(queue: &dyn SyncQueue) {
    queue
        .send(&[changed(1), changed(2), changed(3)])
        .await
        .expect("send");
    assert_eq!(queue.depth().await.expect("depth"), 3);
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() == 3 {
            break;
        }
        got.extend(receive_within(queue, 3, LONG, StdDuration::from_secs(2)).await);
    }
    let mut messages: Vec<_> = got.iter().map(|d| d.message.clone()).collect();
    messages.sort_by_key(|m| format!("{m:?}"));
    assert_eq!(messages, vec![changed(1), changed(2), changed(3)]);
    assert!(
        got.iter().all(|d| d.receive_count == 1),
        "first delivery counts 1: {got:?}"
    );
    assert_eq!(
        queue.depth().await.expect("depth"),
        3,
        "in flight still counts"
    );
    assert!(
        queue.receive(10, LONG).await.expect("receive").is_empty(),
        "in flight is hidden"
    );

    queue.ack(&got[0].receipt).await.expect("ack");
    assert_eq!(queue.depth().await.expect("depth"), 2);
    for d in &got[1..] {
        queue.ack(&d.receipt).await.expect("ack");
    }
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

pub async fn receive_respects_max(queue: &dyn SyncQueue) {
    queue
        .send(&(1..=5).map(changed).collect::<Vec<_>>())
        .await
        .expect("send");
    let got = receive_within(queue, 2, LONG, StdDuration::from_secs(2)).await;
    assert!(!got.is_empty() && got.len() <= 2, "got {}", got.len());
}

/// Not acknowledged within the visibility timeout → delivered again, counted.
pub async fn unacked_message_is_redelivered(queue: &dyn SyncQueue) {
    queue.send(&[changed(7)]).await.expect("send");
    let first = receive_within(queue, 1, Duration::seconds(1), StdDuration::from_secs(2)).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].receive_count, 1);
    let again = receive_within(queue, 1, LONG, StdDuration::from_secs(5)).await;
    assert_eq!(again.len(), 1, "redelivered after the visibility timeout");
    assert_eq!(again[0].message, changed(7));
    assert_eq!(again[0].receive_count, 2);
    queue.ack(&again[0].receipt).await.expect("ack");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

/// `retry_later` hides the message for the delay, then it comes back.
pub async fn retry_later_delays_redelivery(queue: &dyn SyncQueue) {
    queue.send(&[changed(8)]).await.expect("send");
    let first = receive_within(queue, 1, LONG, StdDuration::from_secs(2)).await;
    assert_eq!(first.len(), 1);
    queue
        .retry_later(&first[0].receipt, Duration::seconds(1))
        .await
        .expect("retry later");
    assert_eq!(queue.depth().await.expect("depth"), 1, "still queued");
    let again = receive_within(queue, 1, LONG, StdDuration::from_secs(5)).await;
    assert_eq!(
        again.len(),
        1,
        "back after the delay, long before the 30 s visibility"
    );
    assert_eq!(
        (again[0].message.clone(), again[0].receive_count),
        (changed(8), 2)
    );
    queue.ack(&again[0].receipt).await.expect("ack");
}

pub async fn dead_letter_removes_the_message(queue: &dyn SyncQueue) {
    queue.send(&[changed(9), changed(10)]).await.expect("send");
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() == 2 {
            break;
        }
        got.extend(receive_within(queue, 2, Duration::seconds(1), StdDuration::from_secs(2)).await);
    }
    assert_eq!(got.len(), 2);
    let (poison, fine) = if got[0].message == changed(9) {
        (&got[0], &got[1])
    } else {
        (&got[1], &got[0])
    };
    queue
        .dead_letter(&poison.receipt, "keeps failing")
        .await
        .expect("dead letter");
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    let again = receive_within(queue, 10, LONG, StdDuration::from_secs(2)).await;
    assert_eq!(
        again.len(),
        1,
        "only the other message comes back: {again:?}"
    );
    assert_eq!(again[0].message, fine.message);
    queue.ack(&again[0].receipt).await.expect("ack");
    assert_eq!(
        queue.depth().await.expect("depth"),
        0,
        "dead letters are not in the queue"
    );
}

/// 25 messages (more than one SQS batch) are all delivered, once each, when acknowledged.
pub async fn batch_of_25_delivered_once(queue: &dyn SyncQueue) {
    queue
        .send(&(1..=25).map(changed).collect::<Vec<_>>())
        .await
        .expect("send");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..40 {
        if seen.len() == 25 {
            break;
        }
        for d in receive_within(queue, 10, LONG, StdDuration::from_secs(1)).await {
            *seen.entry(format!("{:?}", d.message)).or_default() += 1;
            queue.ack(&d.receipt).await.expect("ack");
        }
    }
    assert_eq!(seen.len(), 25, "every message delivered");
    assert!(seen.values().all(|n| *n == 1), "none twice: {seen:?}");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

/// Every message kind, including a ticket snapshot with nested data, survives the trip.
pub async fn every_message_kind_round_trips(queue: &dyn SyncQueue) {
    let ticket: Ticket = serde_json::from_value(serde_json::json!({
        "id": 35436, "subject": "Help, my printer is on fire!", "status": "open",
        "priority": "high", "collaborator_ids": [1, 2], "tags": ["fire", "printer"],
        "description": "Ünïcödé and \"quotes\"\nnew lines",
        "updated_at": "2026-01-01T10:00:00Z", "generated_timestamp": 1767261600
    }))
    .expect("fixture ticket");
    let sent = vec![
        SyncMessage::TicketSnapshot {
            integration_id: IntegrationId::new("acme"),
            job_id: None,
            ticket: Box::new(ticket),
            users: Vec::new(),
            comments: Vec::new(),
            part: Some((1, 2)),
        },
        changed(1),
        SyncMessage::CaseChanged {
            integration_id: "acme".into(),
            case_id: CaseId::new("case-1"),
        },
        SyncMessage::CommentAdded {
            integration_id: "acme".into(),
            case_id: CaseId::new("case-1"),
            comment_id: "cm-1".into(),
        },
    ];
    queue.send(&sent).await.expect("send");
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() >= sent.len() {
            break;
        }
        for d in receive_within(queue, 10, LONG, StdDuration::from_secs(1)).await {
            queue.ack(&d.receipt).await.expect("ack");
            got.push(d.message);
        }
    }
    let key = |m: &SyncMessage| format!("{m:?}");
    let mut expected = sent.clone();
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, expected);
}

/// Text SQS refuses in a body (U+FFFF, U+FFFE, C0 controls) next to text it accepts.
pub const HOSTILE_TEXT: &str =
    "Re: Rechnung \u{FFFF}\u{FFFE} \u{1}\u{8}\u{1B}[31m\u{0} \"q\" \\ \u{FFFD}\u{D7FF}\u{E000} 😀";

/// A subject, a comment and a user name with [`HOSTILE_TEXT`] are sent and come back exactly.
/// (moto accepts every character; the adapters refuse what SQS refuses before sending.)
pub async fn hostile_text_round_trips_exactly(queue: &dyn SyncQueue) {
    let ticket: Ticket = serde_json::from_value(serde_json::json!({
        "id": 9, "subject": HOSTILE_TEXT, "description": HOSTILE_TEXT, "requester_id": 3
    }))
    .expect("fixture ticket");
    let user: User = serde_json::from_value(serde_json::json!({"id": 3, "name": HOSTILE_TEXT}))
        .expect("fixture user");
    let comment = Comment {
        id: 77,
        author_id: Some(3),
        body: HOSTILE_TEXT.into(),
        plain_body: Some(HOSTILE_TEXT.into()),
        public: true,
        created_at: None,
    };
    let sent = vec![
        SyncMessage::TicketSnapshot {
            integration_id: IntegrationId::new("acme"),
            job_id: None,
            ticket: Box::new(ticket),
            users: vec![user.clone()],
            comments: vec![comment.clone()],
            part: None,
        },
        SyncMessage::TicketComments {
            integration_id: IntegrationId::new("acme"),
            job_id: None,
            ticket_id: 9,
            comments: vec![comment],
            users: vec![user],
        },
    ];
    assert!(
        sent.iter()
            .all(|m| first_refused_char(&m.encode()).is_none())
    );
    queue.send(&sent).await.expect("send hostile text");
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() >= sent.len() {
            break;
        }
        for d in receive_within(queue, 10, LONG, StdDuration::from_secs(1)).await {
            queue.ack(&d.receipt).await.expect("ack");
            got.push(d.message);
        }
    }
    let key = |m: &SyncMessage| format!("{m:?}");
    let mut expected = sent.clone();
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, expected);
}

/// A body that is not a sync message is never handed out; it lands in the dead letters with
/// the decoding error, and the good message next to it is delivered.
pub async fn undecodable_body_is_dead_lettered(
    queue: &dyn SyncQueue,
    inspect: &dyn QueueInspection,
) {
    inspect
        .send_raw("{\"v\":1,\"kind\":\"no_such_kind\"}")
        .await
        .expect("send raw");
    inspect.send_raw("not json at all").await.expect("send raw");
    queue.send(&[changed(1)]).await.expect("send");
    let mut got = Vec::new();
    for _ in 0..10 {
        got.extend(receive_within(queue, 10, LONG, StdDuration::from_millis(500)).await);
        let dead = inspect.dead_letters().await.expect("dead letters");
        if !got.is_empty() && dead.len() == 2 {
            break;
        }
    }
    assert_eq!(got.len(), 1, "only the good message: {got:?}");
    assert_eq!(got[0].message, changed(1));
    queue.ack(&got[0].receipt).await.expect("ack");
    let mut dead = inspect.dead_letters().await.expect("dead letters");
    dead.sort_by(|a, b| a.body.cmp(&b.body));
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(dead[1].body, "{\"v\":1,\"kind\":\"no_such_kind\"}");
    assert_eq!(dead[0].body, "not json at all");
    assert!(
        dead.iter().all(|d| !d.reason.is_empty()),
        "reason recorded: {dead:?}"
    );
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

pub async fn dead_letter_keeps_body_and_reason(
    queue: &dyn SyncQueue,
    inspect: &dyn QueueInspection,
) {
    queue.send(&[changed(5)]).await.expect("send");
    let got = receive_within(queue, 1, LONG, StdDuration::from_secs(2)).await;
    assert_eq!(got.len(), 1);
    queue
        .dead_letter(&got[0].receipt, "Zendesk answered 404")
        .await
        .expect("dead letter");
    let dead = inspect.dead_letters().await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "Zendesk answered 404");
    let body = SyncMessage::decode(&dead[0].body).expect("the original body is kept");
    assert_eq!(body, changed(5));
}

pub async fn dead_letter_body_parks_a_raw_body_with_its_reason(
    queue: &dyn SyncQueue,
    inspect: &dyn QueueInspection,
) {
    queue
        .dead_letter_body("{poison", "undecodable: expected value")
        .await
        .expect("dead letter a body");
    let dead = inspect.dead_letters().await.expect("dead letters");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        (dead[0].body.as_str(), dead[0].reason.as_str()),
        ("{poison", "undecodable: expected value")
    );
    assert_eq!(
        queue.depth().await.expect("depth"),
        0,
        "a parked body never enters the queue"
    );
}
