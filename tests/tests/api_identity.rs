//! An integration's identity is its Zendesk account (docs/sync-rules.md §2 lifecycle), end to end
//! through the HTTP API on the embedded store, the real Zendesk client and the simulator: one
//! integration per account, the url frozen once tickets were imported, new credentials checked,
//! cases kept and re-linked after a delete, and `?purge=true`.

mod api_common;

use api_common::{Api, PUBLIC_URL, ZD_EMAIL, ZD_TOKEN, settings_for, token};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use zsync_core::admin::{Caller, Deletion, Identity, delete_integration_within};
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{SeedSpec, Simulator};

fn seed(sim: &Simulator, tickets: usize) {
    sim.seed(SeedSpec {
        tickets,
        users: 6,
        agents: 2,
        comments_per_ticket: 2,
        seed: 11,
    });
}

async fn delete(api: &Api, path: &str, token: &str) -> api_common::Reply {
    api.call(Method::DELETE, path, Some(token), None).await
}

/// Every case, as the API lists it (one page is plenty here).
async fn cases(api: &Api, token: &str) -> Vec<Value> {
    let listed = api.get("/cases?limit=200", token).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    listed.json["items"].as_array().expect("items").clone()
}

/// Ticket number → (case id, integration id, number of comments) of every linked case.
async fn linked(api: &Api, token: &str) -> Vec<(u64, String, Value, usize)> {
    let mut out = Vec::new();
    for case in cases(api, token).await {
        let id = case["id"].as_str().expect("case id");
        let shown = api.get(&format!("/cases/{id}"), token).await;
        let Some(number) = shown.json["ticket"]["ticket_number"].as_u64() else {
            continue;
        };
        let comments = shown.json["comments"].as_array().map_or(0, Vec::len);
        out.push((
            number,
            id.to_owned(),
            shown.json["integration_id"].clone(),
            comments,
        ));
    }
    out.sort_by_key(|(number, ..)| *number);
    out
}

async fn sync(api: &Api) {
    api.scheduler().await;
    api.mapper().await;
}

#[tokio::test]
async fn a_second_integration_for_an_account_is_refused_whoever_owns_it() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let (other, other_token) = api.user("other@crm.example.com", false).await;
    let admin = token("root@crm.example.com", &["admin"]);
    let first = api.integration(&owner_token, &owner, false, false).await;

    let mut same_account = api.settings(&other, false);
    same_account["url"] = json!(format!("{}/", api.sim.base_url().to_uppercase()));
    for (caller, body) in [
        (&other_token, same_account.clone()),
        (&admin, api.settings(&owner, true)),
    ] {
        let refused = api.post("/integrations", caller, body).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
        assert_eq!(refused.json["error"]["code"], "account_has_integration");
        assert!(
            !refused.text.contains(&first),
            "the other integration is not revealed: {}",
            refused.text
        );
    }
    let listed = api.get("/integrations", &admin).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);

    let other_account = api.other_account().await;
    api.integration_on(&other_account, &other_token, &other, false, false)
        .await;

    let deleted = delete(&api, &format!("/integrations/{first}"), &owner_token).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let again = api.post("/integrations", &other_token, same_account).await;
    assert_eq!(again.status, StatusCode::CREATED, "freed: {}", again.text);
}

#[tokio::test]
async fn the_url_is_frozen_once_tickets_were_imported() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    seed(&api.sim, 2);
    let id = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    assert_eq!(linked(&api, &owner_token).await.len(), 2);

    let other_account = api.other_account().await;
    let refused = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"url": other_account.base_url(), "name": "Moved"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json["error"]["code"], "url_frozen");
    let message = refused.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("create a new integration"), "{message}");
    let shown = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(shown.json["url"], api.sim.base_url().as_str());
    assert_eq!(
        shown.json["name"], "Demo Zendesk Integration",
        "nothing saved"
    );
    assert!(other_account.webhooks().is_empty());
    assert_eq!(api.sim.webhooks().len(), 1, "the webhook stays");

    // Other edits still go through, the url spelled differently included.
    let renamed = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"name": "Renamed", "url": format!("{}/", api.sim.base_url())}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
}

#[tokio::test]
async fn without_imported_tickets_a_url_change_moves_the_webhook_and_restarts_the_export() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    let integration = IntegrationId::new(id.clone());
    let before = api
        .ctx
        .store
        .get_export_cursor(&integration)
        .await
        .unwrap()
        .expect("cursor after an export");
    assert!(
        before.value.end_of_stream || before.value.start_time > 0,
        "the export moved: {before:?}"
    );

    let other_account = api.other_account().await;
    seed(&other_account, 3);
    let moved = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"url": other_account.base_url()}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.json["url"], other_account.base_url().as_str());
    assert_eq!(moved.json["active"], true);
    assert!(
        api.sim.webhooks().is_empty(),
        "the old account's webhook is gone"
    );
    let hooks = other_account.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].endpoint,
        format!("{PUBLIC_URL}/webhooks/zendesk/{id}")
    );
    let secret = api
        .ctx
        .secrets
        .get(&webhook_secret_name(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.expose_secret(), hooks[0].signing_secret);
    let after = api
        .ctx
        .store
        .get_export_cursor(&integration)
        .await
        .unwrap()
        .expect("cursor");
    assert_eq!(
        (
            after.value.cursor.clone(),
            after.value.start_time,
            after.value.end_of_stream
        ),
        (None, 0, false),
        "the export starts from the beginning"
    );

    sync(&api).await;
    let imported = linked(&api, &owner_token).await;
    assert_eq!(imported.len(), 3, "the new account's tickets: {imported:?}");
    assert!(imported.iter().all(|(_, _, i, _)| *i == json!(id)));
}

#[tokio::test]
async fn new_credentials_of_an_active_integration_are_checked_before_they_are_saved() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, false, true).await;
    let path = format!("/integrations/{id}");
    for bad in [
        json!({"api_token": "zd-wrong-token-44"}),
        json!({"api_email": "nobody@acme.example.com"}),
    ] {
        let refused = api.patch(&path, &owner_token, bad.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
        assert_eq!(
            refused.json["error"]["code"],
            "zendesk_credentials_rejected"
        );
        assert!(!refused.text.contains("zd-wrong-token-44"));
    }
    let kept = api.ctx.secrets.get(&api_token_name(&id)).await.unwrap();
    assert_eq!(
        kept.unwrap().expose_secret(),
        ZD_TOKEN,
        "the old token is kept"
    );
    let shown = api.get(&path, &owner_token).await;
    assert_eq!(
        (
            shown.json["api_email"].clone(),
            shown.json["active"].clone()
        ),
        (json!(ZD_EMAIL), json!(true))
    );

    api.sim.add_api_user(
        "second@acme.example.com",
        "zd-rotated-token-77",
        UserRole::Admin,
    );
    let rotated = api
        .patch(
            &path,
            &owner_token,
            json!({"api_email": "second@acme.example.com", "api_token": "zd-rotated-token-77"}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let stored = api.ctx.secrets.get(&api_token_name(&id)).await.unwrap();
    assert_eq!(stored.unwrap().expose_secret(), "zd-rotated-token-77");

    // An inactive integration is checked when it is activated, not on edit.
    let deactivated = api
        .post(&format!("{path}/deactivate"), &owner_token, json!({}))
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);
    let unchecked = api
        .patch(
            &path,
            &owner_token,
            json!({"api_token": "zd-wrong-token-44"}),
        )
        .await;
    assert_eq!(unchecked.status, StatusCode::OK, "{}", unchecked.text);
    api.assert_token_never_returned();
}

#[tokio::test]
async fn deleting_keeps_the_cases_and_a_new_integration_for_the_account_relinks_them() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    seed(&api.sim, 3);
    let first = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    let before = linked(&api, &owner_token).await;
    assert_eq!(before.len(), 3);

    let deleted = delete(&api, &format!("/integrations/{first}"), &owner_token).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(cases(&api, &owner_token).await.len(), 3, "cases are kept");

    let second = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    let after = linked(&api, &owner_token).await;
    assert_eq!(cases(&api, &owner_token).await.len(), 3, "no duplicates");
    assert_eq!(after.len(), 3);
    for ((number, case, _, comments), (number_after, case_after, integration, comments_after)) in
        before.iter().zip(&after)
    {
        assert_eq!((number, case), (number_after, case_after), "the same case");
        assert_eq!(
            *integration,
            json!(second),
            "re-linked to the new integration"
        );
        assert_eq!(comments, comments_after, "comments not imported twice");
    }
    let by_integration = api
        .get(&format!("/cases?integration_id={second}"), &owner_token)
        .await;
    assert_eq!(by_integration.json["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn purge_removes_the_sync_data_and_keeps_the_cases_unlinked() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    seed(&api.sim, 3);
    let id = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    let integration = IntegrationId::new(id.clone());
    assert!(
        !api.ctx
            .store
            .list_log(&integration, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let path = format!("/integrations/{id}");

    let bad = delete(&api, &format!("{path}?purge=maybe"), &owner_token).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("purge"), "{}", bad.text);

    let purged = delete(&api, &format!("{path}?purge=true"), &owner_token).await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT, "{}", purged.text);
    assert!(api.sim.webhooks().is_empty());
    assert_eq!(
        api.get(&path, &owner_token).await.status,
        StatusCode::NOT_FOUND
    );
    let kept = cases(&api, &owner_token).await;
    assert_eq!(kept.len(), 3, "cases stay");
    for case in &kept {
        assert_eq!(case["integration_id"], Value::Null, "unlinked: {case}");
        assert_eq!(case["ticket"], Value::Null, "no ticket record: {case}");
    }
    let store = &api.ctx.store;
    for ticket in api.sim.tickets().iter().map(|t| t.id) {
        assert!(
            store
                .get_ticket_record(&integration, ticket)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(store.list_jobs(&integration, 10).await.unwrap().is_empty());
    assert!(
        store
            .get_export_cursor(&integration)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.list_log(&integration, 10).await.unwrap().is_empty());
    for name in [api_token_name(&id), webhook_secret_name(&id)] {
        assert!(
            api.ctx.secrets.get(&name).await.unwrap().is_none(),
            "{name}"
        );
    }
    // The account is free again.
    let again = api
        .post(
            "/integrations",
            &owner_token,
            settings_for(&api.sim, &owner, false),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
}

#[tokio::test]
async fn a_purge_that_runs_out_of_time_keeps_the_integration_deactivated_and_resumes() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    // More than one purge step (100 items): tickets, their log lines, the job.
    seed(&api.sim, 120);
    let id = api.integration(&owner_token, &owner, false, true).await;
    sync(&api).await;
    let integration = IntegrationId::new(id.clone());
    let caller = Caller::resolve(
        &api.ctx,
        &Identity {
            email: "owner@crm.example.com".into(),
            admin_claim: false,
        },
    )
    .await
    .expect("caller");

    let first = delete_integration_within(&api.ctx, &caller, &integration, Some(Duration::ZERO))
        .await
        .expect("first step");
    assert_eq!(first, Deletion::PurgeInProgress);
    let shown = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(
        shown.status,
        StatusCode::OK,
        "the integration stays until purged"
    );
    assert_eq!(
        shown.json["active"], false,
        "deactivated: nothing syncs into it"
    );
    assert!(api.sim.webhooks().is_empty());
    let records = futures::future::join_all(
        api.sim
            .tickets()
            .iter()
            .map(|t| api.ctx.store.get_ticket_record(&integration, t.id)),
    )
    .await;
    let remaining = records.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert!(
        remaining > 0 && remaining < 120,
        "one bounded step ran: {remaining} left"
    );

    let mut finished = false;
    for _ in 0..20 {
        match delete_integration_within(&api.ctx, &caller, &integration, Some(Duration::ZERO))
            .await
            .expect("step")
        {
            Deletion::Deleted => {
                finished = true;
                break;
            }
            Deletion::PurgeInProgress => {}
        }
    }
    assert!(finished, "repeated purges finish");
    assert_eq!(
        api.get(&format!("/integrations/{id}"), &owner_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let unlinked = cases(&api, &owner_token).await;
    assert_eq!(unlinked.len(), 120);
    assert!(unlinked.iter().all(|c| c["integration_id"].is_null()));
}
