//! Users, contacts, cases, comments and publishing through the HTTP API, on the embedded
//! store with the real Zendesk client against the simulator.

mod api_common;

use api_common::{Api, ZD_EMAIL, ZD_TOKEN, token};
use axum::http::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use zsync_core::message::SyncMessage;
use zsync_core::ports::{NewComment, NewTicket, ZendeskAccount};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{CaseId, Contact, ContactId, IntegrationId};

async fn contact(api: &Api, email: &str, first: &str, last: &str) -> String {
    let outcome = api
        .ctx
        .store
        .get_or_create_contact(&Contact {
            id: ContactId::new(format!("contact-{email}")),
            email: Some(email.to_owned()),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            ..Contact::default()
        })
        .await
        .expect("contact");
    outcome.contact.id.0
}

async fn new_case(api: &Api, token: &str, body: Value) -> Value {
    let reply = api.post("/cases", token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json
}

#[tokio::test]
async fn users_are_created_by_admins_only_and_listed() {
    let api = Api::start().await;
    let admin = token("root@crm.example.com", &["admin"]);
    let created = api
        .post(
            "/users",
            &admin,
            json!({"email": " Jane@CRM.example.com ", "name": "Jane", "roles": ["admin"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["email"], "jane@crm.example.com", "normalised");
    assert_eq!(created.json["roles"], json!(["admin"]));
    let duplicate = api
        .post(
            "/users",
            &admin,
            json!({"email": "jane@crm.example.com", "name": "Other"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let invalid = api
        .post(
            "/users",
            &admin,
            json!({"email": "nope", "roles": ["boss"]}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(
        invalid.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("roles"),
        "{}",
        invalid.text
    );
    let invalid = api.post("/users", &admin, json!({"email": "nope"})).await;
    let fields: Vec<&str> = invalid.json["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "name"]);

    let (_agent, agent_token) = api.user("agent@crm.example.com", false).await;
    let refused = api
        .post(
            "/users",
            &agent_token,
            json!({"email": "x@crm.example.com", "name": "X"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let listed = api.get("/users", &agent_token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 2);
    let first_page = api.get("/users?limit=1", &agent_token).await;
    assert_eq!(first_page.json["items"].as_array().unwrap().len(), 1);
    let cursor = first_page.json["next_cursor"]
        .as_str()
        .expect("a second page");
    let second = api
        .get(&format!("/users?limit=1&cursor={cursor}"), &agent_token)
        .await;
    assert_eq!(second.json["items"].as_array().unwrap().len(), 1);
    assert_ne!(
        second.json["items"][0]["id"],
        first_page.json["items"][0]["id"]
    );
}

#[tokio::test]
async fn contacts_are_listed_and_shown() {
    let api = Api::start().await;
    let (_u, user_token) = api.user("agent@crm.example.com", false).await;
    let id = contact(&api, "bob@customer.example.com", "Bob", "Miller").await;
    let listed = api.get("/contacts", &user_token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json["items"][0]["email"], "bob@customer.example.com");
    let shown = api.get(&format!("/contacts/{id}"), &user_token).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json["first_name"], "Bob");
    assert_eq!(shown.json["last_name"], "Miller");
    assert_eq!(
        api.get("/contacts/missing", &user_token).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cases_are_created_filtered_paged_shown_edited_and_commented() {
    let api = Api::start().await;
    let (user, user_token) = api.user("agent@crm.example.com", false).await;
    let bob = contact(&api, "bob@customer.example.com", "Bob", "Miller").await;
    let case = new_case(
        &api,
        &user_token,
        json!({"subject": "Printer on fire", "description": "Smoke everywhere",
               "priority": "high", "assigned_to": user, "contact_id": bob}),
    )
    .await;
    assert_eq!(case["status"], "open");
    assert_eq!(case["priority"], "high");
    assert_eq!(case["ticket"], Value::Null);
    assert_eq!(case["integration_id"], Value::Null);
    assert_eq!(
        case["comments"][0]["body"], "Smoke everywhere",
        "description is the first comment"
    );
    assert_eq!(case["comments"][0]["public"], true);
    for i in 0..3 {
        new_case(
            &api,
            &user_token,
            json!({"subject": format!("Other {i}"), "status": "resolved"}),
        )
        .await;
    }

    let invalid = api
        .post(
            "/cases",
            &user_token,
            json!({"subject": "", "status": "done", "assigned_to": "ghost"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(
        invalid.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("status"),
        "{}",
        invalid.text
    );
    let invalid = api
        .post(
            "/cases",
            &user_token,
            json!({"subject": " ", "assigned_to": "ghost", "contact_id": "none"}),
        )
        .await;
    let fields: Vec<&str> = invalid.json["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["subject", "assigned_to", "contact_id"]);

    let by_subject = api
        .get("/cases?subject=Printer%20on%20fire", &user_token)
        .await;
    assert_eq!(by_subject.status, StatusCode::OK, "{}", by_subject.text);
    assert_eq!(by_subject.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_subject.json["items"][0]["id"], case["id"]);
    let resolved = api.get("/cases?status=resolved", &user_token).await;
    assert_eq!(resolved.json["items"].as_array().unwrap().len(), 3);
    let bad_status = api.get("/cases?status=done", &user_token).await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_status.json["error"]["fields"][0]["field"], "status");
    let bad_param = api.get("/cases?colour=red", &user_token).await;
    assert_eq!(bad_param.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_param.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let bad_cursor = api.get("/cases?cursor=garbage", &user_token).await;
    assert_eq!(
        bad_cursor.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_cursor.text
    );

    // Every case exactly once over the pages.
    let mut seen = Vec::new();
    let mut next = Some(String::new());
    for _ in 0..10 {
        let Some(cursor) = next.take() else { break };
        let path = if cursor.is_empty() {
            "/cases?limit=2".to_owned()
        } else {
            format!("/cases?limit=2&cursor={cursor}")
        };
        let page = api.get(&path, &user_token).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for item in page.json["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        next = page.json["next_cursor"].as_str().map(str::to_owned);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);

    let id = case["id"].as_str().unwrap();
    let edited = api
        .patch(
            &format!("/cases/{id}"),
            &user_token,
            json!({"status": "in_progress", "contact_id": null}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.json["status"], "in_progress");
    assert_eq!(edited.json["contact_id"], Value::Null);
    assert_eq!(edited.json["subject"], "Printer on fire");
    let unknown = api
        .patch(
            &format!("/cases/{id}"),
            &user_token,
            json!({"integration_id": "x"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("integration_id")
    );

    let comment = api
        .post(
            &format!("/cases/{id}/comments"),
            &user_token,
            json!({"body": "On it", "public": false}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    assert_eq!(comment.json["public"], false);
    assert_eq!(comment.json["author"], json!({"kind": "user", "id": user}));
    let empty = api
        .post(
            &format!("/cases/{id}/comments"),
            &user_token,
            json!({"body": " "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.json["error"]["fields"][0]["field"], "body");

    let shown = api.get(&format!("/cases/{id}"), &user_token).await;
    assert_eq!(shown.json["comments"].as_array().unwrap().len(), 2);
    assert_eq!(shown.json["comments"][1]["body"], "On it");
    assert_eq!(
        api.get("/cases/missing", &user_token).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        api.drain_queue().await.is_empty(),
        "nothing to push for an unlinked case"
    );
}

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
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let no_case = api
        .post(
            "/cases/nope/publish",
            &owner_token,
            json!({"integration_id": one_way}),
        )
        .await;
    assert_eq!(
        no_case.status,
        StatusCode::CONFLICT,
        "two-way is checked first: {}",
        no_case.text
    );
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
