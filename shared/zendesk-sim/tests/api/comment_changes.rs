//! Redacting a comment and making it private, as Zendesk does: the REST answer, the comment
//! as listed afterwards, the ticket-events export's child events, and webhook events sent only
//! to webhooks subscribed to them.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zsync_mapping::zendesk::{TicketEventPage, TicketStatus, parse_webhook_body};
use zsync_zendesk_sim::{NewTicket, TicketChange};

use crate::Harness;
use crate::webhooks::receiver;

#[tokio::test]
async fn redaction_and_privacy_change_show_in_comments_export_and_subscribed_webhooks_only() {
    let h = Harness::start().await;
    let (endpoint, received) = receiver().await;
    // Subscribed to redactions, not to privacy changes.
    let created = h
        .send_json(
            Method::POST,
            "/api/v2/webhooks",
            json!({"webhook": {
                "name": "redactions", "endpoint": endpoint, "http_method": "POST",
                "request_format": "json", "status": "active",
                "subscriptions": ["zen:event-type:ticket.comment_redacted"],
            }}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let requester = h.end_user("Kai", "kai@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "Card".into(),
        description: "my card is 4111 1111, again 4111".into(),
        requester_id: requester,
        ..Default::default()
    });
    let reply = h.sim.add_comment(id, requester, "call me", true).unwrap();
    let [first, second] = [h.sim.comments(id)[0].id, reply];
    let before = h.sim.ticket(id).unwrap().updated_at;

    let redacted = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}/comments/{first}/redact.json"),
            json!({"text": "4111"}),
        )
        .await;
    assert_eq!(redacted.status(), 200);
    let body: Value = redacted.json().await.unwrap();
    assert_eq!(body["comment"]["body"], "my card is ▇▇▇▇ 1111, again ▇▇▇▇");
    let private = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}/comments/{second}/make_private"),
            json!({}),
        )
        .await;
    assert_eq!(private.status(), 200);

    let comments = h.sim.comments(id);
    assert_eq!(comments[0].body, "my card is ▇▇▇▇ 1111, again ▇▇▇▇");
    assert!(comments[0].public && !comments[1].public);
    let ticket = h.sim.ticket(id).unwrap();
    assert_eq!(
        ticket.description.as_deref(),
        Some("my card is ▇▇▇▇ 1111, again ▇▇▇▇"),
        "the description is the first comment"
    );
    assert!(ticket.updated_at > before, "the ticket counts as changed");

    let events: Value = h
        .get("/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events")
        .await
        .json()
        .await
        .unwrap();
    let children: Vec<&Value> = events["ticket_events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["child_events"].as_array().unwrap())
        .filter(|c| c["event_type"] != "Comment" && c["event_type"] != "Create")
        .collect();
    assert_eq!(children.len(), 2, "{children:?}");
    assert_eq!(children[0]["event_type"], "CommentRedactionEvent");
    assert_eq!(children[0]["comment_id"], first);
    assert_eq!(children[1]["event_type"], "CommentPrivacyChange");
    assert_eq!(children[1]["comment_id"], second);
    assert_eq!(children[1]["public"], false);
    let typed: TicketEventPage = serde_json::from_value(events).unwrap();
    assert_eq!(
        typed
            .ticket_events
            .iter()
            .filter(|e| e.changes_comments())
            .count(),
        2
    );

    // Only the subscribed event type was delivered.
    let deliveries = h
        .sim
        .wait_for_webhook_deliveries(1, Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = received.lock().unwrap().clone();
    assert_eq!((deliveries.len(), got.len()), (1, 1), "{deliveries:?}");
    let notice = parse_webhook_body(&got[0].1).unwrap();
    assert_eq!(notice.event_type, "zen:event-type:ticket.comment_redacted");
    assert_eq!(notice.ticket_ids, vec![id]);
}

#[tokio::test]
async fn nothing_to_change_records_nothing_and_bad_requests_are_refused() {
    let h = Harness::start().await;
    let requester = h.end_user("Kai", "kai@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "nothing secret".into(),
        requester_id: requester,
        ..Default::default()
    });
    let comment = h.sim.comments(id)[0].id;
    let stamp = h.sim.ticket(id).unwrap().updated_at;
    h.sim.redact_comment(id, comment, "4111").unwrap();
    h.sim.make_comment_private(id, comment).unwrap();
    h.sim.make_comment_private(id, comment).unwrap();
    let after = h.sim.ticket(id).unwrap().updated_at;
    assert!(after > stamp, "one change: the privacy change");

    let path = format!("/api/v2/tickets/{id}/comments/{comment}/redact.json");
    let missing = h.send_json(Method::PUT, &path, json!({})).await;
    assert_eq!(missing.status(), 400);
    let unknown = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}/comments/999999/make_private"),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    h.sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Closed),
                ..Default::default()
            },
        )
        .unwrap();
    let closed = h
        .send_json(Method::PUT, &path, json!({"text": "secret"}))
        .await;
    assert_eq!(closed.status(), 422);
    assert_eq!(h.sim.comments(id)[0].body, "nothing secret");
}
