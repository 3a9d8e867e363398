//! Users, contacts, cases and comments through the HTTP API, on the embedded
//! store with the real Zendesk client against the simulator.

mod api_common;

use api_common::{Api, contact, new_case, token};
use axum::http::StatusCode;
use serde_json::{Value, json};

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

/// `GET /cases?subject=` is a word search (docs/http-api.md): every word, any case, whole
/// words, paged like any list; a query without a word is refused.
#[tokio::test]
async fn the_subject_filter_finds_cases_by_their_words() {
    let api = Api::start().await;
    let (_, user_token) = api.user("agent@crm.example.com", false).await;
    let mut jams = Vec::new();
    for subject in [
        "Printer jam on floor 2",
        "printer JAMMED",
        "Écran cassé",
        "Jam: printer (again)",
    ] {
        let case = new_case(&api, &user_token, json!({"subject": subject})).await;
        if subject
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "jam")
        {
            jams.push(case["id"].clone());
        }
    }
    jams.reverse();
    let subjects = |reply: &api_common::Reply| -> Vec<Value> {
        reply.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };

    let both = api.get("/cases?subject=JAM%20printer", &user_token).await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.text);
    assert_eq!(
        subjects(&both),
        jams,
        "both words, any order and case, newest first"
    );
    let accented = api.get("/cases?subject=%C3%89CRAN", &user_token).await;
    assert_eq!(
        accented.json["items"][0]["subject"], "Écran cassé",
        "{}",
        accented.text
    );
    assert_eq!(subjects(&accented).len(), 1);
    let partial = api.get("/cases?subject=jamm", &user_token).await;
    assert!(
        subjects(&partial).is_empty(),
        "whole words only: {}",
        partial.text
    );

    // One match a page: the cursor walks every match once.
    let first = api
        .get("/cases?subject=printer%20jam&limit=1", &user_token)
        .await;
    assert_eq!(subjects(&first), jams[..1]);
    let cursor = first.json["next_cursor"].as_str().expect("a second page");
    let second = api
        .get(
            &format!("/cases?subject=printer%20jam&limit=1&cursor={cursor}"),
            &user_token,
        )
        .await;
    assert_eq!(subjects(&second), jams[1..]);
    assert!(second.json["next_cursor"].is_null(), "{}", second.text);

    let no_word = api.get("/cases?subject=%3F%21", &user_token).await;
    assert_eq!(no_word.status, StatusCode::BAD_REQUEST, "{}", no_word.text);
    assert_eq!(no_word.json["error"]["fields"][0]["field"], "subject");
}
