//! CRM → Zendesk details (two-way sync): case comments, assignees and descriptions pushed, and
//! their echoes recognised.

mod mapper_common;

use mapper_common::{World, world};
use zsync_core::sync::{ApplyOutcome, apply_ticket_changed, push_case_change, push_case_comment};
use zsync_mapping::merge::SyncedField;
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CaseComment, CaseStatus, CommentId, PersonRef, SyncPriority, UserId};
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
async fn a_new_case_comment_is_added_once_and_its_echo_is_recognised() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    let case_id = w.record(id).await.case_id;
    let comment = CaseComment {
        id: CommentId::new("cc-1"),
        case_id: case_id.clone(),
        body: "Replacement shipped today".into(),
        public: true,
        author: Some(PersonRef::User(UserId::new(mapper_common::OWNER))),
        created_at: chrono::Utc::now(),
        zendesk_comment_id: None,
    };
    w.store().put_comment(&comment).await.unwrap();
    let zendesk_id = push_case_comment(&w.ctx, &w.integration, &case_id, &comment.id)
        .await
        .unwrap();
    let in_zendesk = w.sim.comments(id);
    let pushed: Vec<_> = in_zendesk
        .iter()
        .filter(|c| c.body == comment.body)
        .collect();
    assert_eq!(pushed.len(), 1);
    assert_eq!(zendesk_id, Some(pushed[0].id));
    let stored = w.comments(id).await;
    let linked = stored.iter().find(|c| c.id == comment.id).unwrap();
    assert_eq!(linked.zendesk_comment_id, Some(pushed[0].id));

    // A redelivery adds nothing; the echo imports nothing new and keeps the CRM author.
    push_case_comment(&w.ctx, &w.integration, &case_id, &comment.id)
        .await
        .unwrap();
    assert_eq!(w.sim.comments(id).len(), in_zendesk.len());
    let echo = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo.comments_written, 0, "{echo:?}");
    let after = w.comments(id).await;
    assert_eq!(after.len(), stored.len());
    assert_eq!(
        after.iter().find(|c| c.id == comment.id).unwrap().author,
        comment.author
    );
}

#[tokio::test]
async fn a_crm_assignee_is_pushed_as_the_zendesk_agent_with_the_same_e_mail() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    let agent = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let ann = w.add_crm_user("u-ann", "ann@acme.example.com").await;
    w.edit_case(id, |c| c.assigned_to = Some(ann.clone())).await;
    let case_id = w.record(id).await.case_id;
    let report = push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.pushed, vec![SyncedField::Assignee]);
    assert_eq!(w.sim.ticket(id).unwrap().assignee_id, Some(agent));
    assert_eq!(
        w.record(id).await.assignee,
        Some(PersonRef::User(ann.clone()))
    );
    let echo = apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo.outcome, ApplyOutcome::Unchanged);
}

#[tokio::test]
async fn a_crm_assignee_without_a_zendesk_agent_stays_a_pending_crm_change() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    let agent = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    zendesk_edit(
        &w,
        id,
        TicketChange {
            assignee_id: Some(agent),
            ..TicketChange::default()
        },
    );
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    assert_eq!(
        w.case(id).await.assigned_to,
        Some(UserId::new(mapper_common::OWNER))
    );
    let nobody = w
        .add_crm_user("u-crm-only", "crm-only@crm.example.com")
        .await;
    w.edit_case(id, |c| c.assigned_to = Some(nobody.clone()))
        .await;
    let case_id = w.record(id).await.case_id;
    w.sim.reset_request_counts();
    let report = push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert!(report.pushed.is_empty());
    assert_eq!(w.sim.request_count("tickets_update"), 0);
    // A later Zendesk change to another field does not undo the CRM's assignee.
    zendesk_edit(
        &w,
        id,
        TicketChange {
            status: Some(TicketStatus::Pending),
            ..TicketChange::default()
        },
    );
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    let case = w.case(id).await;
    assert_eq!(case.assigned_to, Some(nobody));
    assert_eq!(case.status, CaseStatus::InProgress);
    assert_eq!(
        w.sim.ticket(id).unwrap().assignee_id,
        Some(agent),
        "Zendesk keeps its agent"
    );
}

#[tokio::test]
async fn a_crm_description_change_reaches_zendesk_as_a_private_note_once() {
    let w = world(true, SyncPriority::Local).await;
    let id = synced_ticket(&w).await;
    w.edit_case(id, |c| c.description = "Corrected description".into())
        .await;
    let case_id = w.record(id).await.case_id;
    let report = push_case_change(&w.ctx, &w.integration, &case_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.pushed, vec![SyncedField::Description]);
    let notes: Vec<_> = w
        .sim
        .comments(id)
        .into_iter()
        .filter(|c| c.body.contains("Corrected description"))
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        !notes[0].public,
        "a private note, not a mail to the requester"
    );
    // Its echo neither pushes again nor reverts the description.
    w.sim.reset_request_counts();
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .unwrap();
    assert_eq!(w.sim.request_count("tickets_update"), 0);
    assert_eq!(w.case(id).await.description, "Corrected description");
}
