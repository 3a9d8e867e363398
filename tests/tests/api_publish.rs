//! Publishing cases to Zendesk (docs/sync-rules.md §4) and queuing the changes of linked cases,
//! through the HTTP API on the embedded store with the real Zendesk client against the simulator.

mod api_common;

use api_common::{Api, ZD_EMAIL, ZD_TOKEN, contact, new_case};
use axum::http::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use zsync_core::message::SyncMessage;
use zsync_core::ports::{NewComment, NewTicket, ZendeskAccount};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CaseId, IntegrationId};

#[tokio::test]
async fn publishing_creates_one_ticket_and_links_the_case() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let (agent, _) = api.user("agent@crm.example.com", false).await;
    let zd_agent = api.sim.add_user(
        "Agent Smith",
        Some("agent@crm.example.com"),
        UserRole::Agent,
    );
    let bob = contact(&api, "bob@customer.example.com", "Bob", "Miller").await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    let case = new_case(
        &api,
        &owner_token,
        json!({"subject": "Printer on fire", "description": "Smoke everywhere",
               "priority": "high", "status": "in_progress", "assigned_to": agent, "contact_id": bob}),
    )
    .await;
    let id = case["id"].as_str().unwrap();
    let path = format!("/cases/{id}/publish");

    let published = api
        .post(&path, &owner_token, json!({"integration_id": integration}))
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    assert_eq!(published.json["integration_id"], integration.as_str());
    let number = published.json["ticket"]["ticket_number"]
        .as_u64()
        .expect("linked");
    let ticket = api.sim.ticket(number).expect("ticket in Zendesk");
    assert_eq!(ticket.subject.as_deref(), Some("Printer on fire"));
    assert_eq!(ticket.description.as_deref(), Some("Smoke everywhere"));
    assert_eq!(ticket.priority, Some(TicketPriority::High));
    assert_eq!(
        ticket.status,
        Some(TicketStatus::Pending),
        "in_progress → pending"
    );
    assert_eq!(ticket.assignee_id, Some(zd_agent), "assignee by e-mail");
    assert_eq!(ticket.external_id.as_deref(), Some(id));
    let requester = api.sim.user(ticket.requester_id.unwrap()).unwrap();
    assert_eq!(
        requester.email.as_deref(),
        Some("bob@customer.example.com"),
        "contact became the requester"
    );
    assert_eq!(
        published.json["ticket"]["requester"],
        json!({"kind": "contact", "id": bob})
    );
    assert_eq!(
        published.json["ticket"]["assignee"],
        json!({"kind": "user", "id": agent})
    );

    let again = api
        .post(&path, &owner_token, json!({"integration_id": integration}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json["error"]["code"], "already_published");
    assert_eq!(api.sim.ticket_count(), 1);

    // The shadow holds the published values, so the echo of our own ticket is no change.
    let record = api
        .ctx
        .store
        .get_ticket_record_for_case(&CaseId::new(id))
        .await
        .unwrap()
        .unwrap()
        .value;
    assert!(record.shadow.recorded);
    assert_eq!(
        record.shadow.crm.subject.as_deref(),
        Some("Printer on fire")
    );
    assert_eq!(record.shadow.zendesk.status.as_deref(), Some("pending"));
    assert_eq!(record.shadow.zendesk.assignee_id, Some(zd_agent));
    api.assert_token_never_returned();
}

#[tokio::test]
async fn publishing_is_refused_with_two_way_off_or_bad_input() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let one_way = api.integration(&owner_token, &owner, false, true).await;
    let case = new_case(&api, &owner_token, json!({"subject": "Hello"})).await;
    let path = format!("/cases/{}/publish", case["id"].as_str().unwrap());
    let refused = api
        .post(&path, &owner_token, json!({"integration_id": one_way}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json["error"]["code"], "two_way_sync_off");
    let missing = api.post(&path, &owner_token, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json["error"]["fields"][0]["field"],
        "integration_id"
    );
    let unknown = api
        .post(&path, &owner_token, json!({"integration_id": "nope"}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    assert_eq!(
        unknown.json["error"]["fields"][0]["field"],
        "integration_id"
    );
    let other_account = api.other_account().await;
    let inactive = api
        .integration_on(&other_account, &owner_token, &owner, true, false)
        .await;
    let refused = api
        .post(&path, &owner_token, json!({"integration_id": inactive}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.json["error"]["code"], "integration_inactive");
    let no_case = api
        .post(
            "/cases/nope/publish",
            &owner_token,
            json!({"integration_id": one_way}),
        )
        .await;
    assert_eq!(no_case.status, StatusCode::NOT_FOUND, "{}", no_case.text);
    assert_eq!(api.sim.ticket_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_publishes_leave_exactly_one_ticket() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    for round in 0..3 {
        let case = new_case(
            &api,
            &owner_token,
            json!({"subject": format!("Race {round}")}),
        )
        .await;
        let path = format!("/cases/{}/publish", case["id"].as_str().unwrap());
        let body = json!({"integration_id": integration});
        let (a, b) = futures::join!(
            api.post(&path, &owner_token, body.clone()),
            api.post(&path, &owner_token, body.clone())
        );
        let mut statuses = vec![a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, vec![201, 409], "{} / {}", a.text, b.text);
        let with_id: Vec<_> = api
            .sim
            .tickets()
            .into_iter()
            .filter(|t| t.external_id.as_deref() == case["id"].as_str())
            .collect();
        assert_eq!(
            with_id.len(),
            1,
            "round {round}: exactly one Zendesk ticket"
        );
    }
}

#[tokio::test]
async fn a_publish_retried_after_a_timeout_finds_the_earlier_ticket() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    let case = new_case(&api, &owner_token, json!({"subject": "Timed out"})).await;
    let id = case["id"].as_str().unwrap();
    // The first attempt created the ticket, then timed out before saving the record.
    let zendesk = api
        .ctx
        .zendesk
        .connect(ZendeskAccount {
            integration_id: IntegrationId::new(integration.clone()),
            base_url: api.sim.base_url(),
            api_email: ZD_EMAIL.to_owned(),
            api_token: SecretString::from(ZD_TOKEN),
        })
        .unwrap();
    let earlier = zendesk
        .create_ticket(&NewTicket {
            subject: "Timed out".into(),
            comment: NewComment {
                body: "N/A".into(),
                public: true,
                author_id: None,
            },
            requester: None,
            assignee_id: None,
            priority: Some(TicketPriority::Normal),
            status: Some(TicketStatus::Open),
            ticket_type: None,
            external_id: Some(id.to_owned()),
        })
        .await
        .unwrap();
    let retried = api
        .post(
            &format!("/cases/{id}/publish"),
            &owner_token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.text);
    assert_eq!(retried.json["ticket"]["ticket_number"], earlier.id);
    assert_eq!(api.sim.ticket_count(), 1, "no second ticket");
}

#[tokio::test]
async fn changes_to_a_linked_two_way_case_are_queued_for_zendesk() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let integration = api.integration(&owner_token, &owner, true, true).await;
    let case = new_case(&api, &owner_token, json!({"subject": "Linked"})).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let published = api
        .post(
            &format!("/cases/{id}/publish"),
            &owner_token,
            json!({"integration_id": integration}),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    api.drain_queue().await;

    let edited = api
        .patch(
            &format!("/cases/{id}"),
            &owner_token,
            json!({"subject": "Linked, renamed"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let expected = SyncMessage::CaseChanged {
        integration_id: IntegrationId::new(integration.clone()),
        case_id: CaseId::new(id.clone()),
    };
    assert_eq!(api.drain_queue().await, vec![expected]);

    let unchanged = api
        .patch(
            &format!("/cases/{id}"),
            &owner_token,
            json!({"subject": "Linked, renamed"}),
        )
        .await;
    assert_eq!(unchanged.status, StatusCode::OK);
    assert!(
        api.drain_queue().await.is_empty(),
        "no change, nothing to push"
    );

    let comment = api
        .post(
            &format!("/cases/{id}/comments"),
            &owner_token,
            json!({"body": "Any news?"}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    let comment_id = comment.json["id"].as_str().unwrap();
    let queued = api.drain_queue().await;
    assert!(
        matches!(&queued[..], [SyncMessage::CommentAdded { comment_id: c, case_id, .. }]
            if c.as_str() == comment_id && case_id.as_str() == id),
        "{queued:?}"
    );

    // With two-way sync turned off, nothing is pushed any more.
    let off = api
        .patch(
            &format!("/integrations/{integration}"),
            &owner_token,
            json!({"two_way_sync": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    api.patch(
        &format!("/cases/{id}"),
        &owner_token,
        json!({"priority": "low"}),
    )
    .await;
    assert!(api.drain_queue().await.is_empty());
}
