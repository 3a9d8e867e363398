use reqwest::Method;
use serde_json::json;
use zsync_mapping::zendesk::{
    CommentPage, ErrorBody, TicketEnvelope, TicketList, TicketPriority, TicketStatus,
};
use zsync_zendesk_sim::{NewTicket, TicketChange};

use crate::Harness;

#[tokio::test]
async fn create_with_new_requester_then_find_by_external_id() {
    let h = Harness::start().await;
    let agent = h.agent("Dana Agent", "dana@support.example.com");
    let response = h
        .send_json(
            Method::POST,
            "/api/v2/tickets.json",
            json!({"ticket": {
                "subject": "Printer on fire",
                "comment": {"body": "Smoke everywhere", "public": true},
                "requester": {"name": "Eve Customer", "email": "Eve@Example.com"},
                "assignee_id": agent,
                "priority": "high",
                "status": "pending",
                "external_id": "case-42",
            }}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .unwrap()
        .to_owned();
    let created: TicketEnvelope = response.json().await.expect("parses as TicketEnvelope");
    let t = &created.ticket;
    assert_eq!(location, t.url.clone().unwrap());
    assert_eq!(t.description.as_deref(), Some("Smoke everywhere"));
    assert_eq!(
        (t.priority.clone(), t.status.clone()),
        (Some(TicketPriority::High), Some(TicketStatus::Pending))
    );
    assert_eq!(t.assignee_id, Some(agent));
    assert_eq!(t.submitter_id, Some(h.api_user));
    let requester = h
        .sim
        .user_by_email("eve@example.com")
        .expect("end-user created");
    assert_eq!(t.requester_id, Some(requester.id));
    assert_eq!(requester.name, "Eve Customer");
    assert_eq!(
        h.sim.comments(t.id).len(),
        1,
        "description is the first comment"
    );

    let found: TicketList = h
        .get("/api/v2/tickets.json?external_id=case-42")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![t.id]
    );
    let none: TicketList = h
        .get("/api/v2/tickets.json?external_id=case-43")
        .await
        .json()
        .await
        .unwrap();
    assert!(none.tickets.is_empty());

    let shown: TicketEnvelope = h
        .get(&format!("/api/v2/tickets/{}.json?include=users", t.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown.ticket, created.ticket);
    assert!(
        shown.users.iter().any(|u| u.id == agent)
            && shown.users.iter().any(|u| u.id == requester.id)
    );

    let many: TicketList = h
        .get(&format!(
            "/api/v2/tickets/show_many.json?ids={},999999",
            t.id
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(many.tickets.len(), 1);
}

#[tokio::test]
async fn create_without_description_is_422() {
    let h = Harness::start().await;
    let response = h
        .send_json(
            Method::POST,
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "x"}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.code(), Some("RecordInvalid"));
}

#[tokio::test]
async fn update_changes_only_given_fields_and_adds_comment() {
    let h = Harness::start().await;
    let requester = h.end_user("Fay", "fay@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "Original".into(),
        description: "d".into(),
        requester_id: requester,
        priority: Some(TicketPriority::Low),
        ..Default::default()
    });
    let before = h.sim.ticket(id).unwrap();
    let response = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {
            "status": "solved", "comment": {"body": "Fixed it", "public": false}}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let after: TicketEnvelope = response.json().await.unwrap();
    assert_eq!(after.ticket.status, Some(TicketStatus::Solved));
    assert_eq!(after.ticket.subject.as_deref(), Some("Original"));
    assert_eq!(after.ticket.priority, Some(TicketPriority::Low));
    assert!(after.ticket.updated_at > before.updated_at);
    let comments = h.sim.comments(id);
    assert_eq!(
        comments
            .last()
            .map(|c| (c.body.as_str(), c.public, c.author_id)),
        Some(("Fixed it", false, Some(h.api_user)))
    );

    let missing = h
        .send_json(
            Method::PUT,
            "/api/v2/tickets/424242.json",
            json!({"ticket": {"subject": "x"}}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.text().await.unwrap(), crate::NOT_FOUND_BODY);
}

#[tokio::test]
async fn closed_ticket_update_is_422_with_zendesk_body() {
    let h = Harness::start().await;
    let requester = h.end_user("Gus", "gus@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });
    h.sim
        .agent_update_ticket(
            id,
            TicketChange {
                status: Some(TicketStatus::Closed),
                ..Default::default()
            },
        )
        .unwrap();
    let response = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"subject": "new"}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let text = response.text().await.unwrap();
    assert_eq!(text, crate::CLOSED_TICKET_BODY);
    let body: ErrorBody = serde_json::from_str(&text).unwrap();
    assert!(body.is_closed_ticket());
    assert_eq!(h.sim.ticket(id).unwrap().subject.as_deref(), Some("s"));
}

#[tokio::test]
async fn safe_update_with_stale_stamp_is_409() {
    let h = Harness::start().await;
    let requester = h.end_user("Hal", "hal@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });
    let seen: TicketEnvelope = h
        .get(&format!("/api/v2/tickets/{id}.json"))
        .await
        .json()
        .await
        .unwrap();
    let stamp = seen.ticket.updated_at.unwrap();
    // Someone changes the ticket in Zendesk in the meantime (same second or not).
    h.sim
        .agent_update_ticket(
            id,
            TicketChange {
                subject: Some("agent edit".into()),
                ..Default::default()
            },
        )
        .unwrap();

    let stale = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {
            "subject": "ours", "safe_update": true, "updated_stamp": stamp}}),
        )
        .await;
    assert_eq!(stale.status(), 409);
    assert_eq!(
        h.sim.ticket(id).unwrap().subject.as_deref(),
        Some("agent edit")
    );

    let fresh = h.sim.ticket(id).unwrap().updated_at.unwrap();
    let ok = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {
            "subject": "ours", "safe_update": true, "updated_stamp": fresh}}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(h.sim.ticket(id).unwrap().subject.as_deref(), Some("ours"));
}

#[tokio::test]
async fn comments_paginate_with_cursor() {
    let h = Harness::start().await;
    let requester = h.end_user("Ida", "ida@example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "c0".into(),
        requester_id: requester,
        ..Default::default()
    });
    for n in 1..5 {
        h.sim
            .add_comment(id, requester, &format!("c{n}"), true)
            .unwrap();
    }
    let mut bodies = Vec::new();
    let mut path = format!("/api/v2/tickets/{id}/comments.json?page[size]=2");
    for _ in 0..10 {
        let page: CommentPage = h
            .get(&path)
            .await
            .json()
            .await
            .expect("parses as CommentPage");
        bodies.extend(page.comments.iter().map(|c| c.body.clone()));
        if !page.meta.has_more {
            break;
        }
        let after = page.meta.after_cursor.expect("after_cursor");
        path = format!(
            "/api/v2/tickets/{id}/comments.json?page[size]=2&page[after]={}",
            crate::export::urlencode(&after)
        );
    }
    assert_eq!(bodies, vec!["c0", "c1", "c2", "c3", "c4"]);
}

#[tokio::test]
async fn assigning_a_new_ticket_opens_it() {
    let h = Harness::start().await;
    let requester = h.end_user("Ole", "ole@example.com");
    let agent = h.agent("Pia", "pia@support.example.com");
    let id = h.sim.add_ticket(NewTicket {
        subject: "s".into(),
        description: "d".into(),
        requester_id: requester,
        ..Default::default()
    });
    assert_eq!(h.sim.ticket(id).unwrap().status, Some(TicketStatus::New));
    let response = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"assignee_id": agent}}),
        )
        .await;
    let after: TicketEnvelope = response.json().await.unwrap();
    assert_eq!(
        (after.ticket.assignee_id, after.ticket.status),
        (Some(agent), Some(TicketStatus::Open))
    );

    let not_agent = h
        .send_json(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"assignee_id": requester}}),
        )
        .await;
    assert_eq!(not_agent.status(), 422, "end-users cannot be assignees");
}
