//! The mapper's batch handling and the local queue worker: poison messages are isolated,
//! healable failures are redelivered and explained in the sync log when they reach the DLQ.

mod mapper_common;

use std::time::Duration;

use mapper_common::{MAX_RECEIVES, World, world};
use zsync_core::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_core::sync::{ReceivedMessage, process_batch, run_worker};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{IntegrationId, LogOutcome, SyncPriority};
use zsync_zendesk_sim::{FaultPlan, NewTicket};

/// A second active integration whose API token was never stored.
async fn integration_without_token(w: &World) -> IntegrationId {
    let mut integration = w
        .store()
        .get_integration(&w.integration)
        .await
        .unwrap()
        .unwrap()
        .value;
    integration.id = IntegrationId::new("int-no-token");
    // Another account (nothing listens there): one account has one integration.
    integration.url = "http://127.0.0.1:9".into();
    w.store().create_integration(&integration).await.unwrap();
    integration.id
}

async fn snapshot_message(w: &World, subject: &str) -> (u64, SyncMessage) {
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: subject.into(),
        description: "help".into(),
        requester_id: bob,
        ..NewTicket::default()
    });
    let state = w.state_of(id).await;
    let message = SyncMessage::TicketSnapshot {
        integration_id: w.integration.clone(),
        job_id: None,
        ticket: Box::new(state.ticket),
        users: state.users,
        comments: state.comments,
        part: None,
    };
    (id, message)
}

fn received(id: &str, body: String, receive_count: u32) -> ReceivedMessage {
    ReceivedMessage {
        id: id.into(),
        body,
        receive_count,
        receipt: None,
    }
}

#[tokio::test]
async fn a_poison_message_does_not_fail_its_batch_and_only_healable_failures_are_redelivered() {
    let w = world(false, SyncPriority::Remote).await;
    let no_token = integration_without_token(&w).await;
    let (good_ticket, good) = snapshot_message(&w, "Good one").await;
    let (flaky_ticket, _) = snapshot_message(&w, "Zendesk is down for this one").await;
    w.sim.inject_faults(FaultPlan {
        error_5xx_rate: 1.0,
        endpoints: vec!["tickets_show".into()],
        ..FaultPlan::default()
    });
    let unknown_version = good.encode().replacen("\"v\":1", "\"v\":99", 1);
    let malformed_body = format!(
        r#"{{"v":1,"kind":"ticket_snapshot","body":{{"integration_id":"{}","ticket":"not a ticket"}}}}"#,
        w.integration
    );
    let needs_token = SyncMessage::TicketChanged {
        integration_id: no_token.clone(),
        ticket_id: good_ticket,
        event_id: None,
    }
    .encode();
    let flaky = SyncMessage::TicketChanged {
        integration_id: w.integration.clone(),
        ticket_id: flaky_ticket,
        event_id: None,
    };
    let batch = vec![
        received("good", good.encode(), 1),
        received("garbage", "{not json".into(), 1),
        received("newer-version", unknown_version, 1),
        received("malformed", malformed_body.clone(), 1),
        received("no-token-first", needs_token.clone(), 1),
        received("no-token-last", needs_token.clone(), MAX_RECEIVES),
        received("zendesk-down", flaky.encode(), 1),
    ];
    let mut failed = process_batch(&w.ctx, batch, MAX_RECEIVES).await;
    failed.sort();
    assert_eq!(
        failed,
        vec![
            "newer-version",
            "no-token-first",
            "no-token-last",
            "zendesk-down"
        ]
    );

    assert_eq!(
        w.case(good_ticket).await.subject,
        "Good one",
        "the rest of the batch applied"
    );
    let log = w.log().await;
    assert!(
        log.iter()
            .any(|e| e.outcome == LogOutcome::Failed && e.message.contains("undecodable")),
        "{log:?}"
    );
    // Poison is parked in the dead-letter queue with its reason, not thrown away.
    let dead = w.queue.dead_letters().await.unwrap();
    let parked: Vec<(&str, bool)> = dead
        .iter()
        .map(|d| (d.body.as_str(), d.reason.contains("undecodable")))
        .collect();
    assert!(parked.contains(&("{not json", true)), "{dead:?}");
    assert!(
        dead.iter().any(|d| d.body == malformed_body),
        "the malformed envelope is kept too: {dead:?}"
    );
    assert_eq!(
        dead.len(),
        2,
        "retryable messages are not dead-lettered: {dead:?}"
    );
    let no_token_log = w.store().list_log(&no_token, 50).await.unwrap();
    assert_eq!(
        no_token_log.len(),
        1,
        "only the last attempt explains itself: {no_token_log:?}"
    );
    assert!(no_token_log[0].message.contains("dead-letter queue"));
    assert!(no_token_log[0].message.contains("no API token"));
    assert_eq!(no_token_log[0].ticket_number, Some(good_ticket));
}

#[tokio::test]
async fn the_worker_drains_the_queue_and_dead_letters_with_the_reason() {
    let w = world(false, SyncPriority::Remote).await;
    let no_token = integration_without_token(&w).await;
    let (ticket, good) = snapshot_message(&w, "Through the queue").await;
    let stuck = SyncMessage::TicketChanged {
        integration_id: no_token.clone(),
        ticket_id: ticket,
        event_id: None,
    };
    w.ctx.queue.send(&[good, stuck]).await.unwrap();
    w.queue.send_raw("{not json").await.unwrap();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run_worker(w.ctx.clone(), 2, async move {
        let _ = stopped.await;
    }));
    let mut drained = false;
    for _ in 0..100 {
        if w.queue.depth().await.unwrap() == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(()).unwrap();
    let stats = tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .unwrap()
        .unwrap();
    assert!(drained, "queue still holds messages");
    assert_eq!(
        (stats.done, stats.retried, stats.dead_lettered),
        (1, 1, 1),
        "{stats:?}"
    );

    assert_eq!(w.case(ticket).await.subject, "Through the queue");
    let dead = w.queue.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead.iter().any(|d| d.reason.contains("no API token")));
    let log = w.store().list_log(&no_token, 10).await.unwrap();
    assert!(
        log.iter().any(|e| e.message.contains("failed 2 times")),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_rate_limited_webhook_update_is_redelivered_not_dropped() {
    let w = world(false, SyncPriority::Remote).await;
    let (ticket, _) = snapshot_message(&w, "Busy account").await;
    w.sim.set_rate_limit(Some(zsync_zendesk_sim::RateLimit {
        requests_per_minute: 2,
        export_requests_per_minute: 2,
        window: Duration::from_secs(4),
    }));
    // Someone else used up this window's budget.
    w.api.current_user().await.unwrap();
    w.api.current_user().await.unwrap();
    let changed = SyncMessage::TicketChanged {
        integration_id: w.integration.clone(),
        ticket_id: ticket,
        event_id: None,
    };
    let failed = process_batch(
        &w.ctx,
        vec![received("busy", changed.encode(), 1)],
        MAX_RECEIVES,
    )
    .await;
    assert_eq!(failed, vec!["busy"]);
    // Once the window has passed (the client honours Retry-After), the redelivery applies it.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let failed = process_batch(
        &w.ctx,
        vec![received("busy", changed.encode(), 2)],
        MAX_RECEIVES,
    )
    .await;
    assert!(failed.is_empty());
    assert_eq!(w.case(ticket).await.subject, "Busy account");
}
