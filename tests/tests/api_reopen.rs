//! docs/sync-rules.md §4 "Reopening": reopening a case never reopens its solved Zendesk ticket,
//! through the HTTP API on the embedded store, with the scheduler and the mapper as the local
//! server runs them, against the simulator.

mod api_common;

use api_common::{Api, published};
use axum::http::StatusCode;
use serde_json::json;
use zsync_core::SyncMessage;
use zsync_core::ports::SyncQueue;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus};
use zsync_zendesk_sim::TicketChange;

/// What the webhook route enqueues for a Zendesk event on `ticket`, then the mapper.
async fn zendesk_changed(api: &Api, integration: &str, ticket: u64) {
    api.queue
        .send(&[SyncMessage::TicketChanged {
            integration_id: IntegrationId::new(integration),
            ticket_id: ticket,
            event_id: None,
        }])
        .await
        .expect("enqueue");
    api.mapper().await;
}

#[tokio::test]
async fn a_reopened_case_leaves_its_solved_ticket_solved_and_its_other_edits_reach_zendesk() {
    let api = Api::start().await;
    let (integration, id, ticket, token) = published(&api).await;
    api.sim
        .agent_update_ticket(
            ticket,
            TicketChange {
                status: Some(TicketStatus::Solved),
                ..TicketChange::default()
            },
        )
        .expect("solve in Zendesk");
    zendesk_changed(&api, &integration, ticket).await;
    let synced = api.get(&format!("/cases/{id}"), &token).await;
    assert_eq!(synced.json["status"], "closed", "{}", synced.text);
    assert_eq!(synced.json["ticket"]["status"], "solved", "{}", synced.text);

    let reopened = api
        .patch(
            &format!("/cases/{id}"),
            &token,
            json!({"status": "open", "priority": "high"}),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text);
    assert!(api.mapper().await >= 1, "the edit was queued");

    let zendesk = api.sim.ticket(ticket).expect("ticket");
    assert_eq!(zendesk.status, Some(TicketStatus::Solved), "not reopened");
    assert_eq!(
        zendesk.priority,
        Some(TicketPriority::High),
        "other edit pushed"
    );
    let log = api
        .get(
            &format!("/integrations/{integration}/log?limit=200"),
            &token,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let withheld: Vec<_> = log.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["outcome"] == "reopen_withheld")
        .collect();
    assert_eq!(withheld.len(), 1, "{}", log.text);
    assert_eq!(withheld[0]["ticket_number"], json!(ticket));
    assert!(
        log.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["outcome"] == "pushed"
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("priority"))),
        "{}",
        log.text
    );

    // The next sync (Zendesk's echo of the priority push) neither reopens the ticket nor
    // closes the case again: the CRM's reopen stays, Zendesk's ticket stays solved.
    zendesk_changed(&api, &integration, ticket).await;
    assert_eq!(
        api.sim.ticket(ticket).expect("ticket").status,
        Some(TicketStatus::Solved)
    );
    let after = api.get(&format!("/cases/{id}"), &token).await;
    assert_eq!(after.json["status"], "open", "{}", after.text);
    assert_eq!(after.json["priority"], "high", "{}", after.text);

    // When Zendesk itself reopens the ticket (a customer reply), both sides agree again.
    api.sim
        .agent_update_ticket(
            ticket,
            TicketChange {
                status: Some(TicketStatus::Open),
                ..TicketChange::default()
            },
        )
        .expect("reopen in Zendesk");
    zendesk_changed(&api, &integration, ticket).await;
    let agreed = api.get(&format!("/cases/{id}"), &token).await;
    assert_eq!(agreed.json["status"], "open", "{}", agreed.text);
    assert_eq!(agreed.json["ticket"]["status"], "open", "{}", agreed.text);
}
