//! People on the AWS adapters (DynamoDB, SQS, Secrets Manager on moto), driven through what the
//! Lambdas run — the API router, the scheduler's `run_exports`, the webhook route and the
//! mapper's `process_batch` (docs/sync-rules.md §3.2): an agent who requests a ticket is the
//! case's contact, and that contact follows the agent's profile.

mod api_common;
mod aws_common;
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;

use axum::http::{Method, StatusCode};
use e2e_aws_common::World;
use serde_json::{Value, json};
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::NewTicket;

fn ticket(subject: &str, requester: u64, assignee: Option<u64>) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: format!("{subject}: details"),
        requester_id: requester,
        submitter_id: Some(requester),
        assignee_id: assignee,
        status: None,
        priority: None,
        ticket_type: None,
        external_id: None,
        recipient: None,
        collaborator_ids: Vec::new(),
        problem_id: None,
        tags: Vec::new(),
    }
}

async fn get(w: &World, path: &str) -> Value {
    let reply = w.call(Method::GET, path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.text);
    reply.json
}

/// The case of `ticket` as the API shows it.
async fn case_json(w: &World, ticket: u64) -> Value {
    let (case, _) = w.case_of(ticket).await;
    get(w, &format!("/cases/{}", case.id)).await
}

#[tokio::test]
async fn an_agent_requester_is_the_cases_contact_on_aws() {
    let w = World::start(100).await;
    let bootstrap = api_common::token("bootstrap@crm.example.com", &["admin"]);
    let crm_agent = w
        .post(
            "/users",
            &bootstrap,
            json!({"email": "alice@acme.example.com", "name": "Alice", "roles": []}),
        )
        .await;
    assert_eq!(crm_agent.status, StatusCode::CREATED, "{}", crm_agent.text);
    let crm_agent = crm_agent.json["id"].as_str().expect("user id").to_owned();
    let agent = w.sim.add_user(
        "Alice van Agent",
        Some("alice@acme.example.com"),
        UserRole::Agent,
    );

    // Through the scheduler's export.
    let exported = w
        .sim
        .add_ticket(ticket("Laptop will not boot", agent, Some(agent)));
    w.export(&w.ctx).await;
    w.pump().await;
    let case = case_json(&w, exported).await;
    let contact_id = case["contact_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an agent requester gives the case a contact: {case}"))
        .to_owned();
    assert_eq!(
        case["ticket"]["requester"],
        json!({"kind": "contact", "id": contact_id})
    );
    assert_eq!(
        case["ticket"]["submitter"],
        json!({"kind": "user", "id": crm_agent}),
        "as submitter the agent stays the CRM user"
    );
    assert_eq!(case["assigned_to"], json!(crm_agent));
    let contact = get(&w, &format!("/contacts/{contact_id}")).await;
    assert_eq!(
        [
            &contact["first_name"],
            &contact["middle_name"],
            &contact["last_name"],
            &contact["email"]
        ],
        [
            &json!("Alice"),
            &json!("van"),
            &json!("Agent"),
            &json!("alice@acme.example.com")
        ]
    );

    // Through a webhook: the agent's next ticket finds the same contact.
    let hooked = w.sim.add_ticket(ticket("Mouse missing", agent, None));
    let (status, _) = w.deliver_event(hooked, "evt-people-1", None).await;
    assert_eq!(status, StatusCode::OK);
    w.pump().await;
    assert_eq!(case_json(&w, hooked).await["contact_id"], json!(contact_id));

    // The agent's profile changes in Zendesk: the contact follows at the next sync of one of
    // their tickets, without a second contact.
    w.sim
        .update_user(
            agent,
            Some("Alice Smith"),
            Some("alice.smith@acme.example.com"),
        )
        .expect("user updated");
    let (status, _) = w.deliver_event(hooked, "evt-people-2", None).await;
    assert_eq!(status, StatusCode::OK);
    w.pump().await;
    let followed = get(&w, &format!("/contacts/{contact_id}")).await;
    assert_eq!(
        [
            &followed["first_name"],
            &followed["last_name"],
            &followed["email"]
        ],
        [
            &json!("Alice"),
            &json!("Smith"),
            &json!("alice.smith@acme.example.com")
        ]
    );
    let contacts = get(&w, "/contacts?limit=100").await;
    assert_eq!(
        contacts["items"].as_array().map(Vec::len),
        Some(1),
        "one contact: {contacts}"
    );
    e2e_aws_common::checks::assert_nothing_failed(&w).await;
}
