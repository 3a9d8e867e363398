//! Zendesk → CRM beyond the mapping tables: ordering (comments first), deletions, webhooks,
//! inactive integrations, comment redactions, and tickets we published ourselves.

mod mapper_common;

use mapper_common::world;
use zsync_core::ids::case_id_for_ticket;
use zsync_core::sync::{
    ApplyOutcome, apply_ticket_changed, apply_ticket_comments, apply_ticket_snapshot,
};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CasePriority, CaseStatus, SyncPriority};
use zsync_zendesk_sim::{NewTicket, TicketChange};

fn ticket(subject: &str, requester: u64) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: format!("{subject}: please help"),
        requester_id: requester,
        ..NewTicket::default()
    }
}

#[tokio::test]
async fn comments_arriving_before_their_ticket_land_on_the_same_case_once() {
    let w = world(false, SyncPriority::Remote).await;
    let ann = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        assignee_id: Some(ann),
        ..ticket("Early comments", bob)
    });
    w.sim.add_comment(id, ann, "On it", true).unwrap();
    let zendesk_comments = w.sim.comments(id);
    assert_eq!(zendesk_comments.len(), 2);

    // The events export carries no users here: the authors are fetched, in one batch.
    w.sim.reset_request_counts();
    let written =
        apply_ticket_comments(&w.ctx, &w.integration, None, id, &zendesk_comments, vec![])
            .await
            .unwrap();
    assert_eq!(written, Some(2));
    assert_eq!(w.sim.request_count("users_show_many"), 1);
    let derived = case_id_for_ticket(&w.integration, id);
    assert_eq!(w.store().list_comments(&derived).await.unwrap().len(), 2);

    let state = w.state_of(id).await;
    let report = apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Created);
    assert_eq!(report.case_id, Some(derived));
    let comments = w.comments(id).await;
    assert_eq!(
        comments.len(),
        2,
        "description not duplicated: {comments:?}"
    );
    // Replaying the comments changes nothing.
    let again = apply_ticket_comments(&w.ctx, &w.integration, None, id, &zendesk_comments, vec![])
        .await
        .unwrap();
    assert_eq!(again, Some(0));
}

#[tokio::test]
async fn a_deleted_ticket_marks_its_record_and_keeps_the_case() {
    let w = world(true, SyncPriority::Local).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let kept = w.sim.add_ticket(ticket("Will be deleted", bob));
    let never = w.sim.add_ticket(ticket("Deleted before sync", bob));
    let via_webhook = w.sim.add_ticket(ticket("Deleted, webhook", bob));
    for id in [kept, via_webhook] {
        let state = w.state_of(id).await;
        apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
            .await
            .unwrap();
    }
    for id in [kept, never, via_webhook] {
        w.sim.delete_ticket(id).unwrap();
    }

    let exported = w.exported_state(kept).await;
    assert_eq!(exported.ticket.status, Some(TicketStatus::Deleted));
    let report = apply_ticket_snapshot(&w.ctx, &w.integration, None, exported, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Deleted);
    let record = w.record(kept).await;
    assert!(record.deleted);
    assert_eq!(
        w.case(kept).await.subject,
        "Will be deleted",
        "case kept as it was"
    );

    let exported = w.exported_state(never).await;
    let report = apply_ticket_snapshot(&w.ctx, &w.integration, None, exported, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::IgnoredDeleted);
    let derived = case_id_for_ticket(&w.integration, never);
    assert!(w.store().get_case(&derived).await.unwrap().is_none());

    // The webhook path: the REST API answers 404 for a deleted ticket.
    let report = apply_ticket_changed(&w.ctx, &w.integration, via_webhook)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Deleted);
    assert!(w.record(via_webhook).await.deleted);

    // Two-way pushes stop for deleted tickets.
    w.sim.reset_request_counts();
    w.edit_case(kept, |c| c.subject = "Edited after delete".into())
        .await;
    let case_id = w.record(kept).await.case_id;
    let pushed = zsync_core::sync::push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap();
    assert!(pushed.is_none());
    assert_eq!(w.sim.total_requests(), 0);
}

#[tokio::test]
async fn a_webhook_update_costs_two_zendesk_requests() {
    let w = world(false, SyncPriority::Remote).await;
    let ann = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        assignee_id: Some(ann),
        ..ticket("Webhook", bob)
    });
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    w.sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Pending),
                comment: Some(("Waiting for you".into(), true)),
                author_id: Some(ann),
                ..TicketChange::default()
            },
        )
        .unwrap();
    w.sim.reset_request_counts();
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ApplyOutcome::Updated);
    assert_eq!(w.sim.total_requests(), 2, "{:?}", w.sim.request_counts());
    assert_eq!(w.case(id).await.status, CaseStatus::InProgress);
    assert!(
        w.comments(id)
            .await
            .iter()
            .any(|c| c.body == "Waiting for you")
    );
}

#[tokio::test]
async fn messages_of_unknown_or_inactive_integrations_do_nothing() {
    let w = world(false, SyncPriority::Remote).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(ticket("Nobody's", bob));
    let state = w.state_of(id).await;
    let unknown = zsync_mapping::IntegrationId::new("int-gone");
    assert!(
        apply_ticket_snapshot(&w.ctx, &unknown, None, state.clone(), true)
            .await
            .unwrap()
            .is_none()
    );
    let mut stored = w
        .store()
        .get_integration(&w.integration)
        .await
        .unwrap()
        .unwrap();
    stored.value.active = false;
    w.store()
        .update_integration(&stored.value, stored.version)
        .await
        .unwrap();
    assert!(
        apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        w.store()
            .get_case(&case_id_for_ticket(&w.integration, id))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn comment_edits_and_redactions_in_zendesk_update_the_case_comment() {
    let w = world(false, SyncPriority::Remote).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(ticket("Redact me", bob));
    let secret = w
        .sim
        .add_comment(id, bob, "my card is 4111 1111", true)
        .unwrap();
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    w.sim.edit_comment(id, secret, "my card is ▇▇▇▇").unwrap();
    let report = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.comments_written, 1);
    let comments = w.comments(id).await;
    assert_eq!(comments.len(), 2);
    let redacted = comments
        .iter()
        .find(|c| c.zendesk_comment_id == Some(secret))
        .unwrap();
    assert_eq!(redacted.body, "my card is ▇▇▇▇");
}

#[tokio::test]
async fn a_ticket_published_from_a_case_links_to_that_case_instead_of_making_another() {
    let w = world(true, SyncPriority::Local).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let now = chrono::Utc::now();
    let case = zsync_mapping::Case {
        id: zsync_mapping::CaseId::new("case-from-crm"),
        subject: "Made in the CRM".into(),
        description: "Details".into(),
        status: CaseStatus::Open,
        priority: CasePriority::Low,
        assigned_to: None,
        contact_id: None,
        integration_id: Some(w.integration.clone()),
        created_at: now,
        updated_at: now,
    };
    w.store().create_case(&case).await.unwrap();
    // The publish created the ticket but has not stored its record yet when the export sees it.
    let id = w.sim.add_ticket(NewTicket {
        subject: "Made in the CRM".into(),
        description: "Details".into(),
        requester_id: bob,
        priority: Some(TicketPriority::Low),
        external_id: Some("case-from-crm".into()),
        ..NewTicket::default()
    });
    let state = w.state_of(id).await;
    apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
        .await
        .unwrap();
    assert_eq!(w.record(id).await.case_id, case.id);
    assert!(
        w.store()
            .get_case(&case_id_for_ticket(&w.integration, id))
            .await
            .unwrap()
            .is_none(),
        "no second case"
    );
}
