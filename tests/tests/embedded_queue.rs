//! Embedded-queue behaviour beyond the port's conformance suite: the automatic dead-letter
//! after too many receives, receipt checks, the size limit and the characters SQS refuses.

use chrono::Duration;
use tempfile::TempDir;
use zsync_conformance::queue::changed;
use zsync_core::message::SyncMessage;
use zsync_core::ports::{QueueError, SyncQueue};
use zsync_embedded::{EmbeddedQueue, QueueOptions};
use zsync_mapping::IntegrationId;

async fn queue_with(options: QueueOptions) -> (EmbeddedQueue, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    let queue = EmbeddedQueue::open_with(dir.path().join("queue.redb"), options)
        .await
        .expect("open");
    (queue, dir)
}

#[tokio::test]
async fn a_message_received_too_often_is_dead_lettered() {
    let (queue, _dir) = queue_with(QueueOptions {
        max_receives: 3,
        ..Default::default()
    })
    .await;
    queue.send(&[changed(1)]).await.expect("send");
    for attempt in 1..=3 {
        let got = queue
            .receive(1, Duration::minutes(5))
            .await
            .expect("receive");
        assert_eq!(got.len(), 1, "attempt {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        queue
            .retry_later(&got[0].receipt, Duration::zero())
            .await
            .expect("fail the attempt");
    }
    assert!(
        queue
            .receive(1, Duration::minutes(5))
            .await
            .expect("receive")
            .is_empty()
    );
    assert_eq!(queue.depth().await.expect("depth"), 0);
    let dead = queue.dead_letters().await.expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "max receives exceeded");
    assert_eq!(dead[0].receive_count, 3);
    assert_eq!(
        SyncMessage::decode(&dead[0].body).expect("body kept"),
        changed(1)
    );
}

#[tokio::test]
async fn receipts_are_checked() {
    let (queue, _dir) = queue_with(QueueOptions::default()).await;
    for bogus in ["", "abc", "1", "1.x", "99.1"] {
        let result = queue.retry_later(bogus, Duration::zero()).await;
        assert!(
            matches!(result, Err(QueueError::InvalidReceipt)),
            "{bogus:?}: {result:?}"
        );
    }
    queue.send(&[changed(1)]).await.expect("send");
    let first = queue.receive(1, Duration::zero()).await.expect("receive");
    let second = queue
        .receive(1, Duration::minutes(5))
        .await
        .expect("receive again");
    assert_eq!((first.len(), second.len()), (1, 1));
    let stale = queue.ack(&first[0].receipt).await;
    assert!(
        matches!(stale, Err(QueueError::InvalidReceipt)),
        "stale receipt: {stale:?}"
    );
    assert_eq!(
        queue.depth().await.expect("depth"),
        1,
        "a stale receipt deletes nothing"
    );
    queue.ack(&second[0].receipt).await.expect("ack");
    queue
        .ack(&second[0].receipt)
        .await
        .expect("acking twice is harmless");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn an_oversized_batch_is_refused_whole() {
    let (queue, _dir) = queue_with(QueueOptions {
        max_message_bytes: 200,
        ..Default::default()
    })
    .await;
    let big = SyncMessage::TicketChanged {
        integration_id: IntegrationId::new("x".repeat(300)),
        ticket_id: 1,
        event_id: None,
    };
    let result = queue.send(&[changed(1), big]).await;
    assert!(
        matches!(result, Err(QueueError::TooLarge { limit: 200, .. })),
        "{result:?}"
    );
    assert_eq!(
        queue.depth().await.expect("depth"),
        0,
        "nothing of the batch was sent"
    );
}

#[tokio::test]
async fn a_body_with_a_character_sqs_refuses_is_refused_like_sqs_would() {
    let (queue, _dir) = queue_with(QueueOptions::default()).await;
    for (body, character, offset) in [
        ("{\"subject\":\"a\u{FFFF}\"}", '\u{FFFF}', 13),
        ("x\u{FFFE}", '\u{FFFE}', 1),
        ("\u{1}", '\u{1}', 0),
    ] {
        let result = queue.send_raw(body).await;
        assert!(
            matches!(result, Err(QueueError::RefusedCharacter { character: c, offset: o }) if c == character && o == offset),
            "{body:?}: {result:?}"
        );
    }
    assert_eq!(queue.depth().await.expect("depth"), 0, "nothing stored");
    queue
        .send_raw("tab\t, new line\n, return\r, \u{FFFD}\u{10FFFF}")
        .await
        .expect("accepted characters pass");
}
