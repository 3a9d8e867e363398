//! Deletions in any order (docs/sync-rules.md §3.4–3.5): a ticket deleted in Zendesk while an older
//! state of it is still in the queue ends deleted in the CRM whichever arrives first — the export's
//! `deleted` state, the webhook's 404, or the older live state (a redelivery).

mod mapper_common;

use mapper_common::{World, world};
use zsync_core::ids::case_id_for_ticket;
use zsync_core::sync::{ApplyOutcome, TicketState, apply_ticket_changed, apply_ticket_snapshot};
use zsync_mapping::SyncPriority;
use zsync_mapping::zendesk::{TicketStatus, UserRole};
use zsync_zendesk_sim::NewTicket;

/// A ticket as the export read it live, then deleted in Zendesk; returns (live, deleted)
/// exported states.
async fn exported_then_deleted(w: &World, subject: &str) -> (TicketState, TicketState) {
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: subject.into(),
        description: format!("{subject}: please help"),
        requester_id: bob,
        ..NewTicket::default()
    });
    let live = w.exported_state(id).await;
    w.sim.delete_ticket(id).unwrap();
    let deleted = w.exported_state(id).await;
    assert_eq!(deleted.ticket.status, Some(TicketStatus::Deleted));
    (live, deleted)
}

async fn apply(w: &World, state: TicketState) -> ApplyOutcome {
    apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
        .await
        .unwrap()
        .unwrap()
        .outcome
}

#[tokio::test]
async fn an_older_live_state_after_the_exported_deletion_leaves_the_ticket_deleted() {
    let w = world(false, SyncPriority::Remote).await;
    // The order the chaos test met: the deletion first (nothing to mark yet), then the live
    // state the export read before the deletion (a redelivered message).
    let (live, deleted) = exported_then_deleted(&w, "Deleted first").await;
    let id = live.ticket.id;
    assert_eq!(apply(&w, deleted).await, ApplyOutcome::IgnoredDeleted);
    assert_eq!(apply(&w, live.clone()).await, ApplyOutcome::Deleted);
    let record = w.record(id).await;
    assert!(record.deleted, "{record:?}");
    assert_eq!(record.status.as_deref(), Some("deleted"));
    // The same end as in the other order: the case kept, the record deleted.
    assert_eq!(w.case(id).await.subject, "Deleted first");
    // A redelivery of the live state changes nothing.
    apply(&w, live).await;
    assert!(w.record(id).await.deleted);

    let (live, deleted) = exported_then_deleted(&w, "Live first").await;
    let other = live.ticket.id;
    assert_eq!(apply(&w, live).await, ApplyOutcome::Created);
    assert_eq!(apply(&w, deleted).await, ApplyOutcome::Deleted);
    assert!(w.record(other).await.deleted);
    assert_eq!(w.case(other).await.subject, "Live first");
}

#[tokio::test]
async fn an_older_live_state_after_the_webhook_404_leaves_the_ticket_deleted() {
    let w = world(false, SyncPriority::Remote).await;
    let (live, _) = exported_then_deleted(&w, "Gone before sync").await;
    let id = live.ticket.id;
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::IgnoredDeleted);
    apply(&w, live).await;
    assert!(w.record(id).await.deleted);
}

#[tokio::test]
async fn a_redelivered_live_state_does_not_undo_a_webhook_deletion() {
    let w = world(false, SyncPriority::Remote).await;
    let (live, _) = exported_then_deleted(&w, "Synced, then gone").await;
    let id = live.ticket.id;
    // Synced from the export before the deletion reached the mapper …
    assert_eq!(apply(&w, live.clone()).await, ApplyOutcome::Created);
    // … the webhook's 404 marks it (no deletion time known) …
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Deleted);
    assert!(w.record(id).await.deleted);
    // … and the same live state, delivered again, must not bring it back.
    apply(&w, live).await;
    assert!(w.record(id).await.deleted, "{:?}", w.record(id).await);
}

#[tokio::test]
async fn a_ticket_deleted_before_any_live_state_is_still_not_imported() {
    let w = world(false, SyncPriority::Remote).await;
    let (live, deleted) = exported_then_deleted(&w, "Never seen live").await;
    let id = live.ticket.id;
    assert_eq!(
        apply(&w, deleted.clone()).await,
        ApplyOutcome::IgnoredDeleted
    );
    assert_eq!(apply(&w, deleted).await, ApplyOutcome::IgnoredDeleted);
    let derived = case_id_for_ticket(&w.integration, id);
    assert!(w.store().get_case(&derived).await.unwrap().is_none());
    assert!(
        w.store()
            .get_ticket_record(&w.integration, id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_live_ticket_is_created_live_at_the_cost_of_no_zendesk_request() {
    let w = world(false, SyncPriority::Remote).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: "Alive".into(),
        description: "Alive: please help".into(),
        requester_id: bob,
        ..NewTicket::default()
    });
    let live = w.exported_state(id).await;
    w.sim.reset_request_counts();
    assert_eq!(apply(&w, live.clone()).await, ApplyOutcome::Created);
    assert_eq!(apply(&w, live).await, ApplyOutcome::Unchanged);
    let record = w.record(id).await;
    assert!(!record.deleted, "{record:?}");
    assert_eq!(record.status.as_deref(), Some("new"));
    assert_eq!(w.sim.total_requests(), 0, "{:?}", w.sim.request_counts());
}
