//! People through the HTTP API on the embedded store, with the scheduler and the mapper as the
//! local server runs them, against the simulator (docs/sync-rules.md §3.2): the requester is
//! always a contact, agents included, and contacts follow their Zendesk user's name and e-mail.

mod api_common;

use api_common::{Api, contact};
use axum::http::StatusCode;
use serde_json::{Value, json};
use zsync_core::message::SyncMessage;
use zsync_core::sync::{Handling, handle_message};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{NewTicket, TicketChange};

/// An active integration owned by a new CRM user; returns that user's token and the
/// integration's id.
async fn integration(api: &Api) -> (String, IntegrationId) {
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, false, true).await;
    (owner_token, IntegrationId::new(id))
}

fn ticket(subject: &str, requester: u64, submitter: u64, assignee: Option<u64>) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: format!("{subject}: please help"),
        requester_id: requester,
        submitter_id: Some(submitter),
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

/// The case of a subject, with its ticket record (`GET /cases?subject=`, then `GET /cases/{id}`).
async fn case_titled(api: &Api, token: &str, subject: &str) -> Value {
    let encoded: String = subject
        .chars()
        .map(|c| {
            if c == ' ' {
                "%20".to_owned()
            } else {
                c.to_string()
            }
        })
        .collect();
    let list = api.get(&format!("/cases?subject={encoded}"), token).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "one case titled {subject}: {}", list.text);
    let id = items[0]["id"].as_str().expect("case id");
    let case = api.get(&format!("/cases/{id}"), token).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.text);
    case.json
}

async fn contact_by_id(api: &Api, token: &str, id: &str) -> Value {
    let reply = api.get(&format!("/contacts/{id}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json
}

/// Every contact (`GET /contacts`, walked page by page, bounded).
async fn all_contacts(api: &Api, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let path = match &cursor {
            Some(c) => format!("/contacts?limit=100&cursor={c}"),
            None => "/contacts?limit=100".to_owned(),
        };
        let page = api.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        out.extend(page.json["items"].as_array().cloned().unwrap_or_default());
        match page.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
    panic!("contact pages did not end");
}

fn names(contact: &Value) -> [&str; 3] {
    [
        contact["first_name"].as_str().unwrap_or_default(),
        contact["last_name"].as_str().unwrap_or_default(),
        contact["email"].as_str().unwrap_or_default(),
    ]
}

#[tokio::test]
async fn an_agent_who_requests_a_ticket_is_the_cases_contact() {
    let api = Api::start().await;
    let (token, _) = &integration(&api).await;
    // The agent is a CRM user too: as submitter and assignee they stay that user.
    let (crm_agent, _) = api.user("alice@acme.example.com", false).await;
    let agent = api.sim.add_user(
        "Dr. Alice B. Agent",
        Some("Alice@Acme.example.com"),
        UserRole::Agent,
    );
    let customer = api.sim.add_user(
        "Carol Customer",
        Some("carol@customer.example.com"),
        UserRole::EndUser,
    );
    api.sim
        .add_ticket(ticket("Printer on fire", agent, agent, Some(agent)));
    api.sim
        .add_ticket(ticket("Customer ticket", customer, agent, None));

    api.scheduler().await;
    assert!(api.mapper().await >= 1);

    let case = case_titled(&api, token, "Printer on fire").await;
    let contact_id = case["contact_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an agent requester gives the case a contact: {case}"));
    assert_eq!(
        case["ticket"]["requester"],
        json!({"kind": "contact", "id": contact_id})
    );
    assert_eq!(
        case["ticket"]["submitter"],
        json!({"kind": "user", "id": crm_agent})
    );
    assert_eq!(case["assigned_to"], json!(crm_agent));
    let alice = contact_by_id(&api, token, contact_id).await;
    assert_eq!(names(&alice), ["Alice", "Agent", "alice@acme.example.com"]);
    assert_eq!(alice["name_prefix"], json!("Dr"));
    assert_eq!(alice["middle_name"], json!("B."));

    // An end-user requester is unchanged: their own contact.
    let other = case_titled(&api, token, "Customer ticket").await;
    let carol = contact_by_id(&api, token, other["contact_id"].as_str().expect("contact")).await;
    assert_eq!(
        names(&carol),
        ["Carol", "Customer", "carol@customer.example.com"]
    );
    assert_eq!(
        other["ticket"]["submitter"],
        json!({"kind": "user", "id": crm_agent}),
        "the agent submitter stays a user"
    );

    // A second ticket of the same agent finds the same contact, and a repeat sync changes
    // nothing.
    api.sim
        .add_ticket(ticket("Printer still on fire", agent, agent, None));
    api.scheduler().await;
    api.mapper().await;
    let again = case_titled(&api, token, "Printer still on fire").await;
    assert_eq!(again["contact_id"], json!(contact_id));
    assert_eq!(
        all_contacts(&api, token).await.len(),
        2,
        "one contact per person"
    );
}

#[tokio::test]
async fn a_contact_follows_its_zendesk_users_name_and_email() {
    let api = Api::start().await;
    let (token, integration_id) = &integration(&api).await;
    let agent = api
        .sim
        .add_user("Sam Support", Some("sam@acme.example.com"), UserRole::Agent);
    let dan = api.sim.add_user(
        "Dan Public",
        Some("dan@customer.example.com"),
        UserRole::EndUser,
    );
    let ticket_id = api
        .sim
        .add_ticket(ticket("Where is my order", dan, dan, Some(agent)));
    api.scheduler().await;
    api.mapper().await;
    let case = case_titled(&api, token, "Where is my order").await;
    let contact_id = case["contact_id"].as_str().expect("a contact").to_owned();
    assert_eq!(
        names(&contact_by_id(&api, token, &contact_id).await),
        ["Dan", "Public", "dan@customer.example.com"]
    );

    // Zendesk: Dan is renamed and changes address; the next sync that reads him (his ticket
    // changed) makes the same contact follow, the name parsed by the seed's rules.
    api.sim
        .update_user(
            dan,
            Some("Mr. Daniel Q. Public Jr."),
            Some("Daniel@New.example.com"),
        )
        .expect("user updated");
    let change = TicketChange {
        comment: Some(("Any news?".into(), true)),
        author_id: Some(dan),
        ..TicketChange::default()
    };
    api.sim
        .agent_update_ticket(ticket_id, change)
        .expect("ticket updated");
    api.scheduler().await;
    api.mapper().await;
    let followed = contact_by_id(&api, token, &contact_id).await;
    assert_eq!(
        names(&followed),
        ["Daniel", "Public", "daniel@new.example.com"]
    );
    assert_eq!(followed["name_prefix"], json!("Mr"));
    assert_eq!(followed["middle_name"], json!("Q."));
    assert_eq!(followed["name_suffix"], json!("Jr"));
    let contacts = all_contacts(&api, token).await;
    assert_eq!(contacts.len(), 1, "no second contact: {contacts:?}");
    assert_eq!(
        case_titled(&api, token, "Where is my order").await["contact_id"],
        json!(contact_id)
    );

    // A late, older snapshot of Dan (a redelivered message carrying his old profile) changes
    // nothing: snapshots are ordered by the user's updated_at.
    let mut older = api.sim.user(dan).expect("dan");
    older.name = "Dan Public".into();
    older.email = Some("dan@customer.example.com".into());
    older.updated_at = older.updated_at.map(|t| t - chrono::Duration::minutes(5));
    let late = SyncMessage::TicketComments {
        integration_id: integration_id.clone(),
        job_id: None,
        ticket_id,
        comments: api.sim.comments(ticket_id),
        users: vec![older],
    };
    assert_eq!(handle_message(&api.ctx, &late, 1, 5).await, Handling::Done);
    assert_eq!(
        names(&contact_by_id(&api, token, &contact_id).await),
        ["Daniel", "Public", "daniel@new.example.com"],
        "the older snapshot did not undo the newer one"
    );
    assert_eq!(all_contacts(&api, token).await.len(), 1);

    // His address changes to one another contact already has: the case's contact becomes that
    // contact, and no contact is created or loses its address.
    let existing = contact(&api, "dan.shared@customer.example.com", "Dan", "Shared").await;
    api.sim
        .update_user(dan, None, Some("dan.shared@customer.example.com"))
        .expect("user updated");
    let change = TicketChange {
        comment: Some(("New address".into(), true)),
        author_id: Some(dan),
        ..TicketChange::default()
    };
    api.sim
        .agent_update_ticket(ticket_id, change)
        .expect("ticket updated");
    api.scheduler().await;
    api.mapper().await;
    let case = case_titled(&api, token, "Where is my order").await;
    assert_eq!(case["contact_id"], json!(existing));
    assert_eq!(
        case["ticket"]["requester"],
        json!({"kind": "contact", "id": existing})
    );
    let shared = contact_by_id(&api, token, &existing).await;
    assert_eq!(
        names(&shared),
        ["Daniel", "Public", "dan.shared@customer.example.com"],
        "the linked contact follows Zendesk's name"
    );
    assert_eq!(
        names(&contact_by_id(&api, token, &contact_id).await),
        ["Daniel", "Public", "daniel@new.example.com"],
        "the old contact keeps its own address"
    );
    assert_eq!(all_contacts(&api, token).await.len(), 2);
}
