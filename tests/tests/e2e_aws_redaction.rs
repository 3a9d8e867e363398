//! docs/sync-rules.md §3.3 on the AWS adapters (DynamoDB, SQS, Secrets Manager on moto) through
//! what the Lambdas run: text redacted in Zendesk disappears from the case, a comment made
//! private in Zendesk turns private on the case — through the scheduled export (the webhook
//! lost) and through the webhook route. Neither is undone by a later sync or overwritten by a
//! push to Zendesk (the integration is two-way).

mod api_common;
mod aws_common;
// Shared with e2e_aws.rs, which uses the rest of it.
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use e2e_aws_common::World;
use e2e_aws_common::checks::{assert_nothing_failed, seed};
use serde_json::json;
use zsync_core::export::RunEnd;
use zsync_mapping::CaseComment;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::NewTicket;

const CARD: &str = "4111 1111 1111 1111";
const REDACTED_EVENT: &str = "zen:event-type:ticket.comment_redacted";
const PRIVATE_EVENT: &str = "zen:event-type:ticket.comment_made_private";

/// A ticket whose description holds a card number, a public reply to be made private, and a
/// comment nobody touches.
struct CardTicket {
    ticket: u64,
    description: u64,
    reply: u64,
}

fn card_ticket(w: &World) -> CardTicket {
    let bob = w.sim.add_user(
        "Bob Card",
        Some("bob@customer.example.com"),
        UserRole::EndUser,
    );
    let ticket = w.sim.add_ticket(NewTicket {
        subject: "Payment".into(),
        description: format!("My card is {CARD}, please charge it"),
        requester_id: bob,
        ..NewTicket::default()
    });
    let reply = w
        .sim
        .add_comment(ticket, bob, "Call me on 555-0100", true)
        .expect("reply");
    w.sim
        .add_comment(ticket, bob, "Thanks!", true)
        .expect("untouched comment");
    CardTicket {
        ticket,
        description: w.sim.comments(ticket)[0].id,
        reply,
    }
}

/// A first sync through the scheduler and the mapper.
async fn synced(w: &World) {
    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    w.pump().await;
}

async fn case_comments(w: &World, ticket: u64) -> Vec<CaseComment> {
    let (case, _) = w.case_of(ticket).await;
    w.ctx.store.list_comments(&case.id).await.expect("comments")
}

fn by_zendesk_id(comments: &[CaseComment], id: u64) -> &CaseComment {
    comments
        .iter()
        .find(|c| c.zendesk_comment_id == Some(id))
        .expect("the comment is on the case")
}

/// The card number is gone from the case and its comments, the reply is private, every other
/// comment as it was, and nothing was duplicated.
async fn assert_redacted_and_private(w: &World, t: &CardTicket) {
    let comments = case_comments(w, t.ticket).await;
    assert_eq!(comments.len(), 3, "{comments:?}");
    let description = by_zendesk_id(&comments, t.description);
    assert!(
        !description.body.contains("4111") && description.body.contains('▇'),
        "{description:?}"
    );
    assert!(!by_zendesk_id(&comments, t.reply).public);
    assert!(comments.iter().all(|c| !c.body.contains("4111")));
    let (case, _) = w.case_of(t.ticket).await;
    assert!(!case.description.contains("4111"), "{}", case.description);
    let through_api = w
        .call(Method::GET, &format!("/cases/{}", case.id), None)
        .await;
    assert_eq!(through_api.status, StatusCode::OK);
    assert!(!through_api.text.contains("4111"), "{}", through_api.text);
}

/// Zendesk still shows the redaction and the privacy change: no push overwrote them.
fn assert_zendesk_kept_them(w: &World, t: &CardTicket) {
    let zendesk = w.sim.comments(t.ticket);
    assert_eq!(zendesk.len(), 3, "no comment was pushed back");
    assert!(zendesk.iter().all(|c| !c.body.contains("4111")));
    assert!(zendesk.iter().any(|c| c.id == t.reply && !c.public));
    assert_eq!(w.sim.request_count("tickets_update"), 0);
}

/// The sync log's newest message about `ticket` that contains `what`.
async fn log_line(w: &World, ticket: u64, what: &str) -> Option<String> {
    let log = w
        .call(
            Method::GET,
            &format!("/integrations/{}/log?limit=100", w.integration),
            None,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    log.json["items"].as_array().and_then(|items| {
        items
            .iter()
            .filter(|e| e["ticket_number"] == ticket)
            .filter_map(|e| e["message"].as_str())
            .find(|m| m.contains(what))
            .map(str::to_owned)
    })
}

/// Waits (bounded) until the simulator has tried to deliver both event types for `ticket`.
async fn wait_for_attempts(w: &World, ticket: u64) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempted: Vec<(String, String)> = w
            .sim
            .webhook_deliveries()
            .into_iter()
            .filter(|d| d.ticket_id == ticket && d.attempt == 1)
            .filter(|d| d.event_type == REDACTED_EVENT || d.event_type == PRIVATE_EVENT)
            .map(|d| (d.event_type, d.event_id))
            .collect();
        if attempted.len() >= 2 {
            return attempted;
        }
        assert!(
            Instant::now() < deadline,
            "Zendesk never sent the comment events: {:?}",
            w.sim.webhook_deliveries()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_export_applies_a_redaction_and_a_privacy_change_the_webhook_lost() {
    let w = World::start(100).await;
    seed(&w, 5, 2);
    let card = card_ticket(&w);
    synced(&w).await;
    let before = case_comments(&w, card.ticket).await;
    assert!(by_zendesk_id(&before, card.description).body.contains(CARD));
    assert!(by_zendesk_id(&before, card.reply).public);

    w.sim
        .redact_comment(card.ticket, card.description, CARD)
        .expect("redact");
    w.sim
        .make_comment_private(card.ticket, card.reply)
        .expect("make private");
    // The deployment's webhook URL is not reachable from here: both events are lost.
    wait_for_attempts(&w, card.ticket).await;
    assert_eq!(w.queue_depth().await, 0, "nothing arrived by webhook");

    w.sim.reset_request_counts();
    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    assert_eq!(run.comment_rereads, 1, "one ticket changed: {run:?}");
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
    assert_eq!(
        w.sim.request_count("comments"),
        1,
        "two comment changes on one ticket: one read of its comments"
    );
    assert_redacted_and_private(&w, &card).await;
    // Only the two changed comments were written, not the untouched one.
    let line = log_line(&w, card.ticket, "changed in Zendesk").await;
    assert!(
        line.as_deref()
            .is_some_and(|l| l.starts_with("2 comment(s)")),
        "{line:?}"
    );

    // The next run reads nothing again and changes nothing.
    w.sim.reset_request_counts();
    let again = w.export(&w.ctx).await;
    assert_eq!((again.comment_rereads, again.comment_messages), (0, 0));
    w.pump().await;
    assert_eq!(w.sim.request_count("comments"), 0);
    assert_redacted_and_private(&w, &card).await;
    assert_zendesk_kept_them(&w, &card);
    assert_nothing_failed(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_applies_a_redaction_and_a_privacy_change() {
    let w = World::start(100).await;
    seed(&w, 5, 2);
    let card = card_ticket(&w);
    synced(&w).await;

    w.sim
        .redact_comment(card.ticket, card.description, CARD)
        .expect("redact");
    w.sim
        .make_comment_private(card.ticket, card.reply)
        .expect("make private");
    // What the simulator tried to send is what activation subscribed to: hand those events
    // to the webhook route, as Zendesk would have.
    let attempted = wait_for_attempts(&w, card.ticket).await;
    let mut kinds: Vec<&str> = attempted.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, [PRIVATE_EVENT, REDACTED_EVENT]);
    w.sim.reset_request_counts();
    for (kind, event_id) in &attempted {
        let event = json!({"comment": {"id": card.description.to_string()}});
        let (status, answer) = w
            .deliver_ticket_event(card.ticket, kind, event_id, event, None)
            .await;
        assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 1})));
    }
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
    assert_redacted_and_private(&w, &card).await;
    assert_eq!(
        w.sim.request_count("ticket_events"),
        0,
        "no export ran: the webhook brought it"
    );

    // The export that follows sees the same changes and leaves the case as it is.
    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    w.pump().await;
    assert_redacted_and_private(&w, &card).await;
    assert_zendesk_kept_them(&w, &card);
    assert_nothing_failed(&w).await;
}
