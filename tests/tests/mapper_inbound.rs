//! Zendesk → CRM through the mapper flows: embedded store, simulated Zendesk, real client.

mod mapper_common;

use mapper_common::{OWNER, world};
use zsync_core::ids::case_id_for_ticket;
use zsync_core::sync::{ApplyOutcome, apply_ticket_snapshot};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, TicketType, UserRole};
use zsync_mapping::{CasePriority, CaseStatus, LogOutcome, PersonRef, SyncPriority, UserId};
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
async fn every_mapping_row_ends_up_in_the_store() {
    let w = world(false, SyncPriority::Remote).await;
    let ann_crm = w.add_crm_user("u-ann", "ann@acme.example.com").await;
    // E-mails match case-insensitively on trimmed addresses.
    let ann = w
        .sim
        .add_user("Ann Agent", Some(" Ann@ACME.example.com"), UserRole::Agent);
    let stranger = w.sim.add_user(
        "Stan Stranger",
        Some("stan@acme.example.com"),
        UserRole::Agent,
    );
    let bob = w.sim.add_user(
        "Mr. Bob Miller Jr.",
        Some("Bob@Customer.example.com"),
        UserRole::EndUser,
    );
    let carol = w.sim.add_user(
        "Carol Anne de Vries",
        Some("carol@customer.example.com"),
        UserRole::EndUser,
    );
    let nomail = w.sim.add_user("Nomail Person", None, UserRole::EndUser);

    let t_pending = w.sim.add_ticket(NewTicket {
        submitter_id: Some(ann),
        assignee_id: Some(ann),
        status: Some(TicketStatus::Pending),
        priority: Some(TicketPriority::Urgent),
        ticket_type: Some(TicketType::Task),
        recipient: Some("support@acme.example.com".into()),
        collaborator_ids: vec![carol, nomail],
        ..ticket("Printer on fire", bob)
    });
    w.sim
        .add_comment(t_pending, ann, "Internal: checking", false)
        .unwrap();
    w.sim
        .add_comment(t_pending, bob, "Still burning", true)
        .unwrap();
    let t_hold = w.sim.add_ticket(NewTicket {
        assignee_id: Some(stranger),
        status: Some(TicketStatus::Hold),
        ..ticket("", bob)
    });
    let t_solved = w.sim.add_ticket(NewTicket {
        status: Some(TicketStatus::Solved),
        priority: Some(TicketPriority::Low),
        ..ticket("Solved one", carol)
    });
    let t_closed = w.sim.add_ticket(NewTicket {
        status: Some(TicketStatus::Closed),
        priority: Some(TicketPriority::High),
        ..ticket("Closed one", carol)
    });
    let t_new = w.sim.add_ticket(NewTicket {
        priority: Some(TicketPriority::Normal),
        ..ticket("No e-mail requester", nomail)
    });

    let job = w.start_job().await;
    for id in [t_pending, t_hold, t_solved, t_closed, t_new] {
        let state = w.state_of(id).await;
        let report = apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), state, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.outcome, ApplyOutcome::Created, "ticket {id}");
    }
    // A custom status and priority (as webhooks and exports send them) are recorded verbatim.
    let mut custom = w.state_of(t_new).await;
    custom.ticket.id = 990_001;
    custom.ticket.status = Some(TicketStatus::parse("Awaiting-Vendor"));
    custom.ticket.priority = Some(TicketPriority::parse("P1"));
    apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), custom, true)
        .await
        .unwrap();

    // Case table (docs/sync-rules.md §3.1) and record table (docs/sync-rules.md §3.2) of the
    // pending ticket.
    let case = w.case(t_pending).await;
    assert_eq!(case.id, case_id_for_ticket(&w.integration, t_pending));
    assert_eq!(case.subject, "Printer on fire");
    assert_eq!(case.description, "Printer on fire: please help");
    assert_eq!(case.status, CaseStatus::InProgress);
    assert_eq!(case.priority, CasePriority::High, "urgent → high");
    assert_eq!(
        case.assigned_to,
        Some(ann_crm.clone()),
        "agent matched by e-mail"
    );
    let bob_contact = w
        .store()
        .find_contact_by_email("bob@customer.example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.contact_id, Some(bob_contact.id.clone()));
    assert_eq!(
        (
            bob_contact.name_prefix.as_deref(),
            bob_contact.first_name.as_str(),
            bob_contact.last_name.as_str(),
            bob_contact.name_suffix.as_deref()
        ),
        (Some("Mr"), "Bob", "Miller", Some("Jr"))
    );
    let record = w.record(t_pending).await;
    assert_eq!(record.ticket_number, t_pending);
    assert_eq!(record.status.as_deref(), Some("pending"));
    assert_eq!(record.priority.as_deref(), Some("urgent"));
    assert_eq!(record.ticket_type.as_deref(), Some("task"));
    assert_eq!(
        record.recipient_email.as_deref(),
        Some("support@acme.example.com")
    );
    assert_eq!(
        record.requester,
        Some(PersonRef::Contact(bob_contact.id.clone()))
    );
    assert_eq!(record.submitter, Some(PersonRef::User(ann_crm.clone())));
    assert_eq!(record.assignee, Some(PersonRef::User(ann_crm.clone())));
    let carol_contact = w
        .store()
        .find_contact_by_email("carol@customer.example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.collaborators,
        vec![PersonRef::Contact(carol_contact.id.clone())],
        "the end-user without e-mail gets no reference"
    );
    assert_eq!(carol_contact.middle_name.as_deref(), Some("Anne"));
    assert!(
        record
            .url
            .as_deref()
            .is_some_and(|u| u.ends_with(&format!("/tickets/{t_pending}.json")))
    );
    assert!(record.created_at.is_some() && record.updated_at.is_some());
    assert!(!record.deleted && !record.closed_in_zendesk);

    // Comments: the description once, private flag kept, authors resolved by role.
    let comments = w.comments(t_pending).await;
    assert_eq!(comments.len(), 3, "{comments:?}");
    let bodies: Vec<(&str, bool)> = comments
        .iter()
        .map(|c| (c.body.as_str(), c.public))
        .collect();
    assert!(bodies.contains(&("Printer on fire: please help", true)));
    assert!(bodies.contains(&("Internal: checking", false)));
    let by = |body: &str| {
        comments
            .iter()
            .find(|c| c.body == body)
            .unwrap()
            .author
            .clone()
    };
    assert_eq!(
        by("Internal: checking"),
        Some(PersonRef::User(ann_crm.clone()))
    );
    assert_eq!(
        by("Still burning"),
        Some(PersonRef::Contact(bob_contact.id.clone()))
    );
    assert!(comments.iter().all(|c| c.zendesk_comment_id.is_some()));

    // hold → open, null priority → normal, empty subject → N/A, unknown agent → owner.
    let hold = w.case(t_hold).await;
    assert_eq!(
        (hold.status, hold.priority, hold.subject.as_str()),
        (CaseStatus::Open, CasePriority::Normal, "N/A")
    );
    assert_eq!(hold.assigned_to, Some(UserId::new(OWNER)));
    assert_eq!(w.record(t_hold).await.priority, None);
    let solved = w.case(t_solved).await;
    assert_eq!(
        (solved.status, solved.priority),
        (CaseStatus::Closed, CasePriority::Low)
    );
    let closed = w.case(t_closed).await;
    assert_eq!(
        (closed.status, closed.priority),
        (CaseStatus::Closed, CasePriority::High)
    );
    let new = w.case(t_new).await;
    assert_eq!(
        (new.status, new.priority, new.contact_id.clone()),
        (CaseStatus::Open, CasePriority::Normal, None)
    );
    let custom = w.case(990_001).await;
    assert_eq!(
        (custom.status, custom.priority),
        (CaseStatus::Open, CasePriority::Normal)
    );
    let custom_record = w.record(990_001).await;
    assert_eq!(custom_record.status.as_deref(), Some("Awaiting-Vendor"));
    assert_eq!(custom_record.priority.as_deref(), Some("P1"));

    // Exactly one contact per e-mail although bob and carol appear on several tickets.
    let contacts = w.store().list_contacts(None, 100).await.unwrap().items;
    let emails: Vec<_> = contacts.iter().filter_map(|c| c.email.clone()).collect();
    assert_eq!(emails.len(), 2, "{emails:?}");
    let counters = w.counters(&job).await;
    // The mapper counts outcomes; `tickets_seen` is the export's (tickets read) and stays 0 here.
    assert_eq!((counters.tickets_seen, counters.cases_created), (0, 6));
    assert!(
        w.log()
            .await
            .iter()
            .filter(|e| e.outcome == LogOutcome::Created)
            .count()
            == 6
    );
}

#[tokio::test]
async fn applying_twice_changes_nothing_and_an_older_state_is_ignored() {
    let w = world(false, SyncPriority::Remote).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(ticket("Twice", bob));
    let job = w.start_job().await;
    let first = w.state_of(id).await;
    apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), first.clone(), true)
        .await
        .unwrap();
    let (case, version, record, comments) = (
        w.case(id).await,
        w.case_version(id).await,
        w.record(id).await,
        w.comments(id).await,
    );

    let again = apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), first.clone(), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.outcome, ApplyOutcome::Unchanged);
    assert_eq!(
        (w.case(id).await, w.case_version(id).await),
        (case, version)
    );
    assert_eq!(w.record(id).await, record);
    assert_eq!(w.comments(id).await, comments);

    w.sim
        .agent_update_ticket(
            id,
            TicketChange {
                priority: Some(TicketPriority::High),
                ..TicketChange::default()
            },
        )
        .unwrap();
    let newer = w.state_of(id).await;
    let updated = apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), newer, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.outcome, ApplyOutcome::Updated);
    assert_eq!(w.case(id).await.priority, CasePriority::High);

    let stale = apply_ticket_snapshot(&w.ctx, &w.integration, Some(&job), first, true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stale.outcome, ApplyOutcome::Stale);
    assert_eq!(
        w.case(id).await.priority,
        CasePriority::High,
        "the older state did not win"
    );
    assert_eq!(w.record(id).await.priority.as_deref(), Some("high"));
    let counters = w.counters(&job).await;
    assert_eq!(
        (
            counters.tickets_seen,
            counters.cases_created,
            counters.cases_updated,
            counters.unchanged
        ),
        (0, 1, 1, 2)
    );
    assert!(
        w.log()
            .await
            .iter()
            .any(|e| e.outcome == LogOutcome::Stale && e.ticket_number == Some(id))
    );
}

#[tokio::test]
async fn people_zendesk_did_not_send_are_fetched_not_replaced() {
    let w = world(false, SyncPriority::Remote).await;
    let agent = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let bob = w.sim.add_user(
        "Bob Builder",
        Some("bob@customer.example.com"),
        UserRole::EndUser,
    );
    let id = w.sim.add_ticket(NewTicket {
        assignee_id: Some(agent),
        submitter_id: Some(agent),
        ..ticket("Bare", bob)
    });
    let mut state = w.state_of(id).await;
    state.users.clear();
    w.sim.reset_request_counts();
    apply_ticket_snapshot(&w.ctx, &w.integration, None, state, true)
        .await
        .unwrap();
    assert_eq!(
        w.sim.request_count("users_show_many"),
        1,
        "one batched fetch"
    );
    let case = w.case(id).await;
    let contact = w
        .store()
        .get_contact(case.contact_id.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.email.as_deref(), Some("bob@customer.example.com"));
    assert_eq!(
        (contact.first_name.as_str(), contact.last_name.as_str()),
        ("Bob", "Builder")
    );
    // The agent is not a CRM user: the owner, as a user (never a contact).
    assert_eq!(
        w.record(id).await.submitter,
        Some(PersonRef::User(UserId::new(OWNER)))
    );
    assert!(
        w.store()
            .find_contact_by_email("ann@acme.example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_applies_of_a_new_ticket_make_one_case_and_one_contact() {
    let w = world(false, SyncPriority::Remote).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let carol = w.sim.add_user(
        "Carol",
        Some("carol@customer.example.com"),
        UserRole::EndUser,
    );
    let id = w.sim.add_ticket(NewTicket {
        collaborator_ids: vec![carol],
        ..ticket("Raced", bob)
    });
    let state = w.state_of(id).await;
    let runs = (0..6).map(|_| {
        let (ctx, integration, state) = (w.ctx.clone(), w.integration.clone(), state.clone());
        tokio::spawn(async move {
            apply_ticket_snapshot(&ctx, &integration, None, state, true)
                .await
                .unwrap()
                .unwrap()
                .outcome
        })
    });
    let mut outcomes = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        outcomes.push(run.await.unwrap());
    }
    let created = outcomes
        .iter()
        .filter(|o| **o == ApplyOutcome::Created)
        .count();
    assert_eq!(created, 1, "{outcomes:?}");
    let contacts = w.store().list_contacts(None, 100).await.unwrap().items;
    assert_eq!(contacts.len(), 2, "one contact per e-mail: {contacts:?}");
    let cases = w
        .store()
        .list_cases(&Default::default(), None, 100)
        .await
        .unwrap()
        .items;
    assert_eq!(cases.len(), 1);
    assert_eq!(w.comments(id).await.len(), 1);
}

#[tokio::test]
async fn the_parts_of_a_split_snapshot_apply_in_any_order() {
    let w = world(false, SyncPriority::Remote).await;
    let ann = w
        .sim
        .add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(ticket("Long thread", bob));
    for i in 0..12 {
        let author = if i % 2 == 0 { ann } else { bob };
        w.sim
            .add_comment(id, author, &format!("reply {i}: {}", "x".repeat(600)), true)
            .unwrap();
    }
    let state = w.state_of(id).await;
    let whole = zsync_core::SyncMessage::TicketSnapshot {
        integration_id: w.integration.clone(),
        job_id: Some(w.start_job().await),
        ticket: Box::new(state.ticket),
        users: state.users,
        comments: state.comments,
        part: None,
    };
    let mut parts = whole.split_to_fit(4_000).unwrap();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    parts.reverse();
    let bodies: Vec<String> = parts.iter().map(|p| p.encode()).collect();
    let batch = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| zsync_core::sync::ReceivedMessage {
            id: format!("part-{i}"),
            body,
            receive_count: 1,
            receipt: None,
        })
        .collect();
    let failed = zsync_core::sync::process_batch(&w.ctx, batch, 5).await;
    assert!(failed.is_empty(), "{failed:?}");
    let comments = w.comments(id).await;
    assert_eq!(comments.len(), 13, "description + 12 replies, each once");
    let counters = w.counters(&zsync_mapping::JobId::new("job-1")).await;
    // One snapshot in parts counts one outcome, not one per part.
    assert_eq!(
        counters.cases_created + counters.cases_updated + counters.unchanged,
        1
    );
    assert_eq!((counters.tickets_seen, counters.failed), (0, 0));
}
