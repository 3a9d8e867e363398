//! Ticket calls (exports, show, create, safe update, comments) against the Zendesk simulator,
//! with their error paths.

mod common;

use std::collections::BTreeSet;

use common::{client, simulator, test_config};
use zsync_core::ports::{
    ExportFrom, NewComment, NewTicket, Requester, TicketChanges, ZendeskApi, ZendeskError,
};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_zendesk::ClientConfig;
use zsync_zendesk_sim::{SeedSpec, SimConfig, TicketChange};

fn new_ticket(subject: &str, requester: Option<Requester>) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        comment: NewComment {
            body: format!("{subject}: details"),
            public: true,
            author_id: None,
        },
        requester,
        assignee_id: None,
        priority: Some(TicketPriority::High),
        status: None,
        ticket_type: None,
        external_id: None,
    }
}

#[tokio::test]
async fn cursor_export_pages_through_everything_and_resumes_after_the_end() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 250,
        users: 60,
        agents: 3,
        comments_per_ticket: 2,
        seed: 7,
    });
    let zd = client(
        &s.sim,
        ClientConfig {
            export_page_size: 100,
            ..test_config()
        },
    );

    let mut from = ExportFrom::StartTime(0);
    let mut seen = BTreeSet::new();
    let mut users = BTreeSet::new();
    let mut pages = 0;
    let cursor = loop {
        pages += 1;
        assert!(pages <= 10, "export does not end");
        let page = zd.export_tickets(&from).await.unwrap();
        assert!(page.tickets.len() <= 100);
        seen.extend(page.tickets.iter().map(|t| t.id));
        users.extend(page.users.iter().map(|u| u.id));
        for t in &page.tickets {
            let requester = t.requester_id.unwrap();
            assert!(
                users.contains(&requester),
                "requester {requester} of ticket {} not sideloaded",
                t.id
            );
        }
        let cursor = page
            .after_cursor
            .clone()
            .expect("after_cursor on every page");
        if page.end_of_stream {
            break cursor;
        }
        from = ExportFrom::Cursor(cursor);
    };
    assert_eq!(pages, 3);
    assert_eq!(seen, seeded.ticket_ids.iter().copied().collect());

    // The cursor kept at the end picks up later changes, and only those.
    let quiet = zd
        .export_tickets(&ExportFrom::Cursor(cursor.clone()))
        .await
        .unwrap();
    assert!(quiet.tickets.is_empty() && quiet.end_of_stream);
    let changed = seeded.ticket_ids[17];
    s.sim
        .agent_update_ticket(
            changed,
            TicketChange {
                subject: Some("Changed".into()),
                ..TicketChange::default()
            },
        )
        .unwrap();
    let next = zd
        .export_tickets(&ExportFrom::Cursor(cursor))
        .await
        .unwrap();
    assert_eq!(
        next.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [changed]
    );
    assert_eq!(next.tickets[0].subject.as_deref(), Some("Changed"));
}

#[tokio::test]
async fn comments_come_from_the_events_export_and_per_ticket_pages() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 40,
        users: 10,
        agents: 2,
        comments_per_ticket: 3,
        seed: 3,
    });
    let zd = client(&s.sim, test_config());

    let mut start = 0;
    let mut comments = 0;
    for round in 0.. {
        assert!(round < 20, "events export does not end");
        let page = zd.export_ticket_events(start).await.unwrap();
        comments += page
            .ticket_events
            .iter()
            .map(|e| e.comments().count())
            .sum::<usize>();
        if page.end_of_stream {
            break;
        }
        start = page.end_time.expect("end_time");
    }
    assert_eq!(comments, seeded.comments);

    // A long thread spans several cursor pages of 100.
    let ticket = seeded.ticket_ids[0];
    for n in 0..230 {
        s.sim
            .add_comment(
                ticket,
                seeded.agent_ids[0],
                &format!("reply {n}"),
                n % 2 == 0,
            )
            .unwrap();
    }
    let fetched = zd.ticket_comments(ticket).await.unwrap();
    // Every author comes sideloaded (include=users): applying them needs no user look-up.
    let authors: std::collections::BTreeSet<u64> = fetched
        .comments
        .iter()
        .filter_map(|c| c.author_id)
        .collect();
    let sideloaded: std::collections::BTreeSet<u64> = fetched.users.iter().map(|u| u.id).collect();
    assert_eq!(authors, sideloaded);
    let all = fetched.comments;
    let expected: Vec<u64> = s.sim.comments(ticket).iter().map(|c| c.id).collect();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), expected);
    assert_eq!(all.len(), 233);
    assert_eq!(s.sim.request_count("comments"), 3);
    assert!(!all[4].public, "private comments stay private");
}

#[tokio::test]
async fn tickets_show_and_show_many_in_chunks() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 230,
        users: 20,
        agents: 2,
        comments_per_ticket: 1,
        seed: 5,
    });
    let zd = client(&s.sim, test_config());

    let id = seeded.ticket_ids[3];
    let shown = zd.show_ticket(id).await.unwrap();
    assert_eq!(shown.ticket.id, id);
    let requester = shown.ticket.requester_id.unwrap();
    assert!(
        shown.users.iter().any(|u| u.id == requester),
        "users sideloaded"
    );

    let mut ids = seeded.ticket_ids.clone();
    ids.push(999_999_999); // unknown: simply absent
    ids.push(seeded.ticket_ids[0]); // repeated: asked once
    let many = zd.show_tickets(&ids).await.unwrap();
    assert_eq!(many.len(), 230);
    assert_eq!(s.sim.request_count("tickets_show_many"), 3);

    let missing = zd.show_ticket(999_999_999).await.unwrap_err();
    assert!(
        matches!(missing, ZendeskError::NotFound { .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn create_update_comment_and_find_by_external_id() {
    let s = simulator(SimConfig::default()).await;
    let zd = client(&s.sim, test_config());
    let agent = s.sim.add_user(
        "Agent Smith",
        Some("smith@acme.example.com"),
        UserRole::Agent,
    );

    let mut publish = new_ticket(
        "Printer on fire",
        Some(Requester::Named {
            name: "Ann Lee".into(),
            email: "ann@example.com".into(),
        }),
    );
    publish.external_id = Some("case-42".into());
    let created = zd.create_ticket(&publish).await.unwrap();
    assert_eq!(created.external_id.as_deref(), Some("case-42"));
    assert_eq!(created.priority, Some(TicketPriority::High));
    let ann = s
        .sim
        .user_by_email("ann@example.com")
        .expect("requester created as end-user");
    assert_eq!(
        (ann.name.as_str(), created.requester_id),
        ("Ann Lee", Some(ann.id))
    );
    assert_eq!(
        s.sim.comments(created.id)[0].body,
        "Printer on fire: details"
    );

    let by_email = zd
        .create_ticket(&new_ticket(
            "Second",
            Some(Requester::Email("ann@example.com".into())),
        ))
        .await
        .unwrap();
    assert_eq!(by_email.requester_id, Some(ann.id));
    let by_id = zd
        .create_ticket(&new_ticket("Third", Some(Requester::Id(ann.id))))
        .await
        .unwrap();
    assert_eq!(by_id.requester_id, Some(ann.id));

    let found = zd.find_tickets_by_external_id("case-42").await.unwrap();
    assert_eq!(found.iter().map(|t| t.id).collect::<Vec<_>>(), [created.id]);
    assert!(
        zd.find_tickets_by_external_id("case-43")
            .await
            .unwrap()
            .is_empty()
    );

    // Only the changed fields, as a safe update on the stamp we read.
    let changes = TicketChanges {
        status: Some(TicketStatus::Pending),
        assignee_id: Some(agent),
        ..TicketChanges::default()
    };
    let updated = zd
        .update_ticket(created.id, &changes, created.updated_at.unwrap())
        .await
        .unwrap();
    assert_eq!(updated.status, Some(TicketStatus::Pending));
    assert_eq!(updated.assignee_id, Some(agent));
    assert_eq!(updated.subject.as_deref(), Some("Printer on fire"));
    assert_eq!(updated.priority, Some(TicketPriority::High));

    // A stale stamp: someone changed the ticket since → Conflict, asked once, nothing applied.
    let stale = TicketChanges {
        subject: Some("Overwritten".into()),
        ..TicketChanges::default()
    };
    let err = zd
        .update_ticket(created.id, &stale, created.updated_at.unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, ZendeskError::Conflict { .. }), "{err:?}");
    assert_eq!(s.sim.request_count("tickets_update"), 2);
    assert_eq!(
        s.sim.ticket(created.id).unwrap().subject.as_deref(),
        Some("Printer on fire")
    );

    let note = NewComment {
        body: "Internal: replaced the toner".into(),
        public: false,
        author_id: Some(agent),
    };
    zd.add_comment(created.id, &note).await.unwrap();
    let last = s.sim.comments(created.id).pop().unwrap();
    assert_eq!(
        (last.body.as_str(), last.public, last.author_id),
        ("Internal: replaced the toner", false, Some(agent))
    );
}

#[tokio::test]
async fn a_closed_ticket_is_reported_and_never_retried() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 1,
        users: 1,
        agents: 1,
        comments_per_ticket: 1,
        seed: 1,
    });
    let id = seeded.ticket_ids[0];
    let closed = s
        .sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Closed),
                ..TicketChange::default()
            },
        )
        .unwrap();
    let zd = client(&s.sim, test_config());

    let changes = TicketChanges {
        priority: Some(TicketPriority::Low),
        ..TicketChanges::default()
    };
    let err = zd
        .update_ticket(id, &changes, closed.updated_at.unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ZendeskError::ClosedTicket { ticket_id } if ticket_id == id),
        "{err:?}"
    );
    let comment = NewComment {
        body: "hello".into(),
        public: true,
        author_id: None,
    };
    let err = zd.add_comment(id, &comment).await.unwrap_err();
    assert!(matches!(err, ZendeskError::ClosedTicket { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(s.sim.request_count("tickets_update"), 2);
}
