//! CRM → Zendesk through the mapper flows (two-way sync): only changed fields are pushed, both
//! conflict priorities, 409 re-reads, closed tickets, echoes, pushed comments.

mod mapper_common;

use mapper_common::{World, world};
use zsync_core::SyncMessage;
use zsync_core::sync::{
    ApplyOutcome, Handling, apply_ticket_changed, apply_ticket_snapshot, handle_message,
    push_case_change,
};
use zsync_mapping::merge::SyncedField;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CasePriority, CaseStatus, LogOutcome, SyncPriority};
use zsync_zendesk_sim::{NewTicket, TicketChange};

/// A Zendesk ticket already synced to a case.
async fn synced_ticket(w: &World) -> u64 {
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: "Original subject".into(),
        description: "Original description".into(),
        requester_id: bob,
        status: Some(TicketStatus::Open),
        priority: Some(TicketPriority::Normal),
        ..NewTicket::default()
    });
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Created);
    id
}

fn zendesk_edit(w: &World, id: u64, change: TicketChange) {
    w.sim.agent_update_ticket(id, change).unwrap();
}

#[tokio::test]
async fn a_crm_edit_pushes_only_the_changed_field_and_its_echo_pushes_nothing() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    let before = w.sim.ticket(id).unwrap();
    w.edit_case(id, |c| c.priority = CasePriority::High).await;
    w.sim.reset_request_counts();

    let case_id = w.record(id).await.case_id;
    let report = push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.pushed, vec![SyncedField::Priority]);
    assert_eq!(w.sim.request_count("tickets_update"), 1);
    let after = w.sim.ticket(id).unwrap();
    assert_eq!(after.priority, Some(TicketPriority::High));
    assert_eq!(
        (after.subject, after.status),
        (before.subject, before.status),
        "nothing else sent"
    );
    assert_eq!(w.record(id).await.priority.as_deref(), Some("high"));
    assert!(
        w.log()
            .await
            .iter()
            .any(|e| e.outcome == LogOutcome::Pushed && e.message.contains("priority"))
    );

    // The webhook for our own update comes back: no diff, no push.
    w.sim.reset_request_counts();
    let echo = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo.outcome, ApplyOutcome::Unchanged, "{echo:?}");
    assert_eq!(w.sim.request_count("tickets_update"), 0);
    assert_eq!(w.case(id).await.priority, CasePriority::High);
    // And the same CaseChanged delivered twice pushes nothing more.
    let again = push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert!(again.pushed.is_empty());
    assert_eq!(w.sim.request_count("tickets_update"), 0);
}

#[tokio::test]
async fn remote_priority_applies_the_zendesk_value_of_a_field_changed_on_both_sides() {
    let w = world(true, SyncPriority::Remote).await;
    let id = synced_ticket(&w).await;
    w.edit_case(id, |c| {
        c.priority = CasePriority::Low;
        c.subject = "Subject edited in the CRM".into();
    })
    .await;
    zendesk_edit(
        &w,
        id,
        TicketChange {
            priority: Some(TicketPriority::Urgent),
            status: Some(TicketStatus::Pending),
            ..TicketChange::default()
        },
    );
    w.sim.reset_request_counts();
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.conflicts, vec![SyncedField::Priority]);
    let case = w.case(id).await;
    assert_eq!(case.priority, CasePriority::High, "Zendesk's urgent wins");
    assert_eq!(
        case.status,
        CaseStatus::InProgress,
        "changed in Zendesk only"
    );
    assert_eq!(
        case.subject, "Subject edited in the CRM",
        "changed in the CRM only: kept"
    );
    let ticket = w.sim.ticket(id).unwrap();
    assert_eq!(
        ticket.priority,
        Some(TicketPriority::Urgent),
        "stays in Zendesk"
    );
    assert_eq!(
        ticket.subject.as_deref(),
        Some("Subject edited in the CRM"),
        "the CRM-only change is pushed"
    );
    assert_eq!(report.pushed, vec![SyncedField::Subject]);
    assert!(
        w.log()
            .await
            .iter()
            .any(|e| e.outcome == LogOutcome::Conflict && e.message.contains("priority"))
    );
}

#[tokio::test]
async fn local_priority_keeps_and_pushes_the_crm_value_of_a_field_changed_on_both_sides() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    w.edit_case(id, |c| c.priority = CasePriority::Low).await;
    zendesk_edit(
        &w,
        id,
        TicketChange {
            priority: Some(TicketPriority::Urgent),
            status: Some(TicketStatus::Pending),
            ..TicketChange::default()
        },
    );
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.conflicts, vec![SyncedField::Priority]);
    assert_eq!(report.pushed, vec![SyncedField::Priority]);
    let case = w.case(id).await;
    assert_eq!(case.priority, CasePriority::Low);
    assert_eq!(
        case.status,
        CaseStatus::InProgress,
        "the Zendesk-only change still applies"
    );
    let ticket = w.sim.ticket(id).unwrap();
    assert_eq!(ticket.priority, Some(TicketPriority::Low));
    assert_eq!(
        ticket.status,
        Some(TicketStatus::Pending),
        "not overwritten"
    );
    // Settled: the next webhook finds nothing to do.
    w.sim.reset_request_counts();
    let settled = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settled.outcome, ApplyOutcome::Unchanged);
    assert_eq!(w.sim.request_count("tickets_update"), 0);
}

#[tokio::test]
async fn a_safe_update_conflict_rereads_the_ticket_and_merges_again() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    // The state the mapper holds is older than Zendesk's by the time it pushes.
    let held = w.state_of(id).await;
    zendesk_edit(
        &w,
        id,
        TicketChange {
            status: Some(TicketStatus::Pending),
            ..TicketChange::default()
        },
    );
    w.edit_case(id, |c| c.priority = CasePriority::High).await;
    w.sim.reset_request_counts();
    let report = apply_ticket_snapshot(&w.ctx, &w.integration, None, held, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.pushed, vec![SyncedField::Priority]);
    assert_eq!(
        w.sim.request_count("tickets_show"),
        1,
        "re-read after the 409"
    );
    assert_eq!(
        w.sim.request_count("tickets_update"),
        2,
        "refused once, then applied"
    );
    let ticket = w.sim.ticket(id).unwrap();
    assert_eq!(
        (ticket.priority, ticket.status),
        (Some(TicketPriority::High), Some(TicketStatus::Pending))
    );
    assert_eq!(
        w.case(id).await.status,
        CaseStatus::InProgress,
        "the newer Zendesk state applied"
    );
}

#[tokio::test]
async fn a_closed_ticket_refusing_updates_is_recorded_and_not_retried() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    zendesk_edit(
        &w,
        id,
        TicketChange {
            status: Some(TicketStatus::Closed),
            ..TicketChange::default()
        },
    );
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    assert_eq!(w.case(id).await.status, CaseStatus::Closed);
    w.edit_case(id, |c| {
        c.status = CaseStatus::Open;
        c.subject = "Reopened in the CRM".into();
    })
    .await;
    let case_id = w.record(id).await.case_id;
    let message = SyncMessage::CaseChanged {
        integration_id: w.integration.clone(),
        case_id: case_id.clone(),
    };
    w.sim.reset_request_counts();
    assert_eq!(
        handle_message(&w.ctx, &message, 1, 5).await,
        Handling::Done,
        "not a failure"
    );
    assert_eq!(w.sim.request_count("tickets_update"), 1);
    let record = w.record(id).await;
    assert!(record.closed_in_zendesk);
    assert_eq!(
        w.sim.ticket(id).unwrap().status,
        Some(TicketStatus::Closed),
        "not reopened"
    );
    assert_eq!(
        w.case(id).await.subject,
        "Reopened in the CRM",
        "the CRM keeps its values"
    );
    assert!(
        w.log()
            .await
            .iter()
            .any(|e| e.outcome == LogOutcome::ClosedInZendesk && e.ticket_number == Some(id))
    );
    // Never retried: later changes are not sent at all.
    w.edit_case(id, |c| c.priority = CasePriority::Low).await;
    assert_eq!(handle_message(&w.ctx, &message, 1, 5).await, Handling::Done);
    assert_eq!(w.sim.request_count("tickets_update"), 1);
}

#[tokio::test]
async fn with_two_way_off_nothing_is_pushed() {
    let w = world(false, SyncPriority::Remote).await;
    let id = synced_ticket(&w).await;
    w.edit_case(id, |c| c.priority = CasePriority::High).await;
    let case_id = w.record(id).await.case_id;
    w.sim.reset_request_counts();
    assert!(
        push_case_change(&w.ctx, &w.integration, &case_id)
            .await
            .unwrap()
            .is_none()
    );
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert!(report.pushed.is_empty());
    assert_eq!(w.sim.request_count("tickets_update"), 0);
    assert_eq!(
        w.case(id).await.priority,
        CasePriority::High,
        "the CRM change is kept, not reverted"
    );
}
