//! The integration routes end to end: embedded store + the real Zendesk client + the simulator.

mod api_common;

use api_common::{Api, token};
use axum::http::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;
use zsync_core::ports::secrets::api_token_name;

#[tokio::test]
async fn create_show_list_edit_and_delete_an_integration() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let created = api
        .post("/integrations", &owner_token, api.settings(&owner, true))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json["type"], "zendesk");
    assert_eq!(
        created.json["active"], false,
        "integrations are created inactive"
    );
    assert_eq!(created.json["api_token_set"], true);
    assert_eq!(created.json["owner_id"], owner.as_str());
    assert_eq!(created.json["sync_priority"], "remote");
    assert!(created.json.get("api_token").is_none());
    let stored = api.ctx.secrets.get(&api_token_name(&id)).await.unwrap();
    assert!(stored.is_some(), "the token went to the secret store");

    let shown = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json["name"], "Demo Zendesk Integration");

    let listed = api.get("/integrations", &owner_token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);

    let edited = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"name": "Renamed", "api_token": "a-new-token-9f", "sync_priority": "local"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.json["name"], "Renamed");
    assert_eq!(edited.json["sync_priority"], "local");
    assert_eq!(
        edited.json["url"], created.json["url"],
        "absent fields stay"
    );
    let replaced = api
        .ctx
        .secrets
        .get(&api_token_name(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.expose_secret(), "a-new-token-9f");
    assert!(!edited.text.contains("a-new-token-9f"));

    let deleted = api
        .call(
            Method::DELETE,
            &format!("/integrations/{id}"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(
        api.get(&format!("/integrations/{id}"), &owner_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        api.ctx
            .secrets
            .get(&api_token_name(&id))
            .await
            .unwrap()
            .is_none()
    );
    api.assert_token_never_returned();
}

#[tokio::test]
async fn settings_are_validated_per_field() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let reply = api
        .post(
            "/integrations",
            &owner_token,
            json!({"type": "freshdesk", "name": " ", "url": "https://acme.zendesk.com",
                   "api_email": "not-an-email", "owner_id": owner, "two_way_sync": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], "validation_failed");
    let fields: Vec<&str> = reply.json["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for field in ["type", "name", "api_email", "api_token", "sync_priority"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
        assert!(
            reply.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains(field)
        );
    }

    let unknown_owner = api
        .post("/integrations", &owner_token, api.settings("nobody", false))
        .await;
    // A non-admin may only make themselves the owner.
    assert_eq!(
        unknown_owner.status,
        StatusCode::FORBIDDEN,
        "{}",
        unknown_owner.text
    );
    let admin = token("root@crm.example.com", &["admin"]);
    let unknown_owner = api
        .post("/integrations", &admin, api.settings("nobody", false))
        .await;
    assert_eq!(unknown_owner.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown_owner.json["error"]["fields"][0]["field"],
        "owner_id"
    );

    let unknown_field = api
        .post(
            "/integrations",
            &owner_token,
            json!({"type": "zendesk", "colour": "blue"}),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown_field.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
}

#[tokio::test]
async fn only_the_owner_or_an_admin_manages_an_integration() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let (_other, other_token) = api.user("other@crm.example.com", false).await;
    let (_admin, admin_token) = api.user("admin@crm.example.com", true).await;
    let id = api.integration(&owner_token, &owner, false, false).await;

    for (method, path) in [
        (Method::GET, format!("/integrations/{id}")),
        (Method::PATCH, format!("/integrations/{id}")),
        (Method::DELETE, format!("/integrations/{id}")),
        (Method::POST, format!("/integrations/{id}/activate")),
        (Method::POST, format!("/integrations/{id}/deactivate")),
        (Method::POST, format!("/integrations/{id}/sync")),
        (Method::GET, format!("/integrations/{id}/jobs")),
        (Method::GET, format!("/integrations/{id}/log")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "x"}));
        let reply = api
            .call(method.clone(), &path, Some(&other_token), body.as_ref())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.json["error"]["code"], "forbidden");
    }
    let listed = api.get("/integrations", &other_token).await;
    assert_eq!(listed.json["items"], json!([]), "others do not see it");
    let by_admin = api.get(&format!("/integrations/{id}"), &admin_token).await;
    assert_eq!(by_admin.status, StatusCode::OK);
    assert_eq!(
        api.get("/integrations", &admin_token).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A token whose e-mail is no CRM user is accepted only with the admin role.
    let stranger = token("stranger@crm.example.com", &[]);
    assert_eq!(
        api.get("/integrations", &stranger).await.status,
        StatusCode::FORBIDDEN
    );
    let bootstrap_admin = token("first-admin@crm.example.com", &["admin"]);
    assert_eq!(
        api.get("/integrations", &bootstrap_admin).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn schedule_sync_creates_a_job_listed_newest_first() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let inactive = api.integration(&owner_token, &owner, false, false).await;
    let refused = api
        .call(
            Method::POST,
            &format!("/integrations/{inactive}/sync"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);

    // One Zendesk account has one integration: the same one, activated.
    let activated = api
        .post(
            &format!("/integrations/{inactive}/activate"),
            &owner_token,
            json!({}),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
    let id = inactive;
    let first = api
        .call(
            Method::POST,
            &format!("/integrations/{id}/sync"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    assert_eq!(first.json["kind"], "manual");
    assert_eq!(first.json["state"], "queued");
    assert_eq!(first.json["integration_id"], id.as_str());
    assert_eq!(first.json["counters"]["tickets_seen"], 0);
    let full = api
        .post(
            &format!("/integrations/{id}/sync"),
            &owner_token,
            json!({"full": true}),
        )
        .await;
    assert_eq!(full.status, StatusCode::ACCEPTED);
    assert_eq!(full.json["kind"], "full");
    let bad = api
        .post(
            &format!("/integrations/{id}/sync"),
            &owner_token,
            json!({"full": "yes"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("full")
    );

    let jobs = api
        .get(&format!("/integrations/{id}/jobs"), &owner_token)
        .await;
    assert_eq!(jobs.status, StatusCode::OK);
    let items = jobs.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], full.json["id"], "newest first");
    let job_id = first.json["id"].as_str().unwrap();
    let one = api
        .get(&format!("/integrations/{id}/jobs/{job_id}"), &owner_token)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json["id"], job_id);
    let missing = api
        .get(&format!("/integrations/{id}/jobs/nope"), &owner_token)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let log = api
        .get(&format!("/integrations/{id}/log"), &owner_token)
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.json["items"].is_array());
    let bad_limit = api
        .get(&format!("/integrations/{id}/log?limit=0"), &owner_token)
        .await;
    assert_eq!(bad_limit.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_limit.json["error"]["fields"][0]["field"], "limit");
    api.assert_token_never_returned();
}
