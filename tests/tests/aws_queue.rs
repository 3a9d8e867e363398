//! The SQS queue against moto, beyond the shared conformance suite: batching within SQS's
//! limits (counted at the SDK), splitting of oversized ticket snapshots, refusals, failures.

mod aws_common;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use aws_common::{QueueFixture, fresh_queue};
use chrono::Duration;
use zsync_core::message::{MAX_MESSAGE_BYTES, SyncMessage};
use zsync_core::ports::{Delivery, QueueError, SyncQueue};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::{Comment, Ticket, User};

const VISIBILITY: Duration = Duration::seconds(60);

fn changed(ticket_id: u64) -> SyncMessage {
    SyncMessage::TicketChanged {
        integration_id: IntegrationId::new("acme"),
        ticket_id,
        event_id: None,
    }
}

/// A snapshot of ticket `id` whose comments have the given body sizes, by authors 11 and 12.
fn snapshot(id: u64, comment_bytes: &[usize]) -> SyncMessage {
    let ticket: Ticket = serde_json::from_value(serde_json::json!({
        "id": id, "subject": "Big ticket", "status": "open", "requester_id": 10
    }))
    .expect("ticket");
    let users: Vec<User> = [10, 11, 12]
        .into_iter()
        .map(|uid| {
            serde_json::from_value(serde_json::json!({
                "id": uid, "name": format!("Person {uid}"), "email": format!("p{uid}@example.com")
            }))
            .expect("user")
        })
        .collect();
    let comments = comment_bytes
        .iter()
        .enumerate()
        .map(|(i, bytes)| Comment {
            id: 1000 + i as u64,
            author_id: Some(11 + (i as u64 % 2)),
            body: format!("{i}:").repeat(bytes / 2 + 1)[..*bytes].to_owned(),
            plain_body: None,
            public: i % 3 != 2,
            created_at: None,
        })
        .collect();
    SyncMessage::TicketSnapshot {
        integration_id: IntegrationId::new("acme"),
        job_id: None,
        ticket: Box::new(ticket),
        users,
        comments,
        part: None,
    }
}

/// Receives and acknowledges until `expected` deliveries arrived (bounded).
async fn drain(fixture: &QueueFixture, expected: usize) -> Vec<Delivery> {
    let mut got = Vec::new();
    for _ in 0..50 {
        if got.len() >= expected {
            break;
        }
        let batch = fixture
            .queue
            .receive(10, VISIBILITY)
            .await
            .expect("receive");
        if batch.is_empty() {
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        for d in batch {
            fixture.queue.ack(&d.receipt).await.expect("ack");
            got.push(d);
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_messages_go_in_three_batches_and_arrive_once_each() {
    let fixture = fresh_queue().await;
    let sent: Vec<_> = (1..=25).map(changed).collect();
    fixture.queue.send(&sent).await.expect("send");
    assert_eq!(fixture.counter.requests("SendMessageBatch"), 3);
    let got = drain(&fixture, 25).await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for d in &got {
        *seen.entry(format!("{:?}", d.message)).or_default() += 1;
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert_eq!(fixture.queue.depth().await.expect("depth"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_kib_snapshot_is_split_into_parts_that_reassemble() {
    let fixture = fresh_queue().await;
    let original = snapshot(35436, &[20 * 1024; 15]);
    assert!(original.encode().len() > 300 * 1024);
    fixture
        .queue
        .send(std::slice::from_ref(&original))
        .await
        .expect("send");

    let expected = original
        .split_to_fit(MAX_MESSAGE_BYTES)
        .expect("splits")
        .len();
    let parts: Vec<_> = drain(&fixture, expected)
        .await
        .into_iter()
        .map(|d| d.message)
        .collect();
    assert_eq!(parts.len(), expected, "every part arrives");
    let rest = fixture
        .queue
        .receive(10, VISIBILITY)
        .await
        .expect("receive");
    assert!(rest.is_empty(), "nothing else: {rest:?}");
    let SyncMessage::TicketSnapshot {
        comments: all_comments,
        ticket: whole,
        ..
    } = &original
    else {
        unreachable!()
    };
    let mut indexed = Vec::new();
    for part in &parts {
        assert!(part.encode().len() <= MAX_MESSAGE_BYTES);
        let SyncMessage::TicketSnapshot {
            ticket,
            comments,
            part,
            users,
            ..
        } = part
        else {
            panic!("a part is not a snapshot: {part:?}");
        };
        assert_eq!(ticket, whole, "every part carries the ticket");
        assert!(
            users.iter().any(|u| u.id == 10),
            "the requester travels with every part"
        );
        let (i, n) = part.expect("numbered part");
        assert_eq!(n as usize, parts.len(), "all parts arrived");
        indexed.push((i, comments.clone()));
    }
    assert!(parts.len() >= 2);
    indexed.sort_by_key(|(i, _)| *i);
    let reassembled: Vec<_> = indexed.into_iter().flat_map(|(_, c)| c).collect();
    assert_eq!(
        &reassembled, all_comments,
        "every comment exactly once, nothing truncated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_messages_over_256_kib_in_total_are_sent_in_several_batches() {
    let fixture = fresh_queue().await;
    let sent: Vec<_> = (1..=10).map(|id| snapshot(id, &[30 * 1024])).collect();
    let total: usize = sent.iter().map(|m| m.encode().len()).sum();
    assert!(total > MAX_MESSAGE_BYTES, "{total}");
    fixture.queue.send(&sent).await.expect("send");
    let batches = fixture.counter.requests("SendMessageBatch");
    assert!(batches >= 2, "{batches} batch(es) for {total} bytes");
    let got = drain(&fixture, 10).await;
    let mut ids: Vec<u64> = got
        .iter()
        .map(|d| match &d.message {
            SyncMessage::TicketSnapshot {
                ticket, part: None, ..
            } => ticket.id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_cannot_fit_is_refused_and_nothing_is_sent() {
    let fixture = fresh_queue().await;
    let unsplittable = snapshot(1, &[300 * 1024]);
    let result = fixture.queue.send(&[changed(1), unsplittable]).await;
    match result {
        Err(QueueError::TooLarge { bytes, limit }) => {
            assert_eq!(limit, MAX_MESSAGE_BYTES);
            assert!(bytes > 300 * 1024);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(fixture.counter.requests("SendMessageBatch"), 0);
    assert_eq!(fixture.queue.depth().await.expect("depth"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_returns_exactly_the_messages_not_sent() {
    let fixture = fresh_queue().await;
    fixture
        .client
        .delete_queue()
        .queue_url(&fixture.urls.queue_url)
        .send()
        .await
        .expect("delete queue");
    let sent: Vec<_> = (1..=12).map(changed).collect();
    match fixture.queue.send(&sent).await {
        Err(QueueError::Partial { failed, reason }) => {
            assert_eq!(failed, sent, "every message comes back for a retry");
            assert!(!reason.is_empty());
        }
        other => panic!("expected Partial, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_that_are_unknown_are_refused() {
    let fixture = fresh_queue().await;
    let result = fixture.queue.dead_letter("no-such-receipt", "why").await;
    assert!(
        matches!(result, Err(QueueError::InvalidReceipt)),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dlq_redrive_policy_moves_a_message_after_the_configured_receives() {
    let fixture = fresh_queue().await; // maxReceiveCount 5
    fixture.queue.send(&[changed(5)]).await.expect("send");
    let mut last_count = 0;
    for _ in 0..5 {
        let got = receive_one(&fixture).await;
        last_count = got.receive_count;
        fixture
            .queue
            .retry_later(&got.receipt, Duration::zero())
            .await
            .expect("retry");
    }
    assert_eq!(last_count, 5, "receive counts are reported");
    let after = fixture
        .queue
        .receive(10, VISIBILITY)
        .await
        .expect("receive");
    assert!(
        after.is_empty(),
        "redriven to the DLQ after 5 receives: {after:?}"
    );
    let dead = aws_common::dead_letters(&fixture.client, &fixture.urls.dlq_url).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        SyncMessage::decode(&dead[0].0).expect("body kept"),
        changed(5)
    );
}

async fn receive_one(fixture: &QueueFixture) -> Delivery {
    for _ in 0..30 {
        if let Some(d) = fixture
            .queue
            .receive(1, VISIBILITY)
            .await
            .expect("receive")
            .into_iter()
            .next()
        {
            return d;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("nothing received");
}
