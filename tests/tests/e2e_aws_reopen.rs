//! docs/sync-rules.md §4 "Reopening" on the AWS adapters (DynamoDB, SQS on moto), through what
//! the Lambdas run: the API router, the webhook route, and SQS receive → `process_batch`.

mod api_common;
mod aws_common;
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;

use axum::http::{Method, StatusCode};
use e2e_aws_common::World;
use serde_json::json;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus};
use zsync_zendesk_sim::TicketChange;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_case_leaves_its_solved_ticket_solved_and_its_other_edits_reach_zendesk() {
    let w = World::start(100).await;
    let (case_id, ticket) = w.published_case("Reopen on moto").await;
    w.sim
        .agent_update_ticket(
            ticket,
            TicketChange {
                status: Some(TicketStatus::Solved),
                ..TicketChange::default()
            },
        )
        .expect("solve in Zendesk");
    let (status, _) = w.deliver_event(ticket, "evt-solved", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(w.pump().await.failed.is_empty());
    let synced = w
        .call(Method::GET, &format!("/cases/{case_id}"), None)
        .await;
    assert_eq!(synced.json["status"], "closed", "{}", synced.text);

    let reopened = w
        .call(
            Method::PATCH,
            &format!("/cases/{case_id}"),
            Some(json!({"status": "in_progress", "priority": "high"})),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.text);
    let pumped = w.pump().await;
    assert!(
        pumped.received >= 1 && pumped.failed.is_empty(),
        "{pumped:?}"
    );

    let zendesk = w.sim.ticket(ticket).expect("ticket");
    assert_eq!(zendesk.status, Some(TicketStatus::Solved), "not reopened");
    assert_eq!(
        zendesk.priority,
        Some(TicketPriority::High),
        "other edit pushed"
    );
    let case = w
        .call(Method::GET, &format!("/cases/{case_id}"), None)
        .await;
    assert_eq!(
        case.json["status"], "in_progress",
        "the CRM keeps its reopen"
    );
    let log = w
        .call(
            Method::GET,
            &format!("/integrations/{}/log?limit=200", w.integration),
            None,
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
}
