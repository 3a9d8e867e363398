//! Activation, deactivation and deletion against the simulator: credentials are verified, the
//! ticket-events webhook is registered (its secret stored) and removed again.

mod api_common;

use api_common::{Api, PUBLIC_URL};
use axum::http::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;
use zsync_core::ports::TICKET_EVENT_SUBSCRIPTIONS;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};

#[tokio::test]
async fn activation_with_a_bad_token_is_refused_and_registers_nothing() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let mut settings = api.settings(&owner, false);
    settings["api_token"] = json!("wrong-token");
    let created = api.post("/integrations", &owner_token, settings).await;
    let id = created.json["id"].as_str().unwrap();
    let reply = api
        .call(
            Method::POST,
            &format!("/integrations/{id}/activate"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.json["error"]["code"], "zendesk_credentials_rejected");
    assert!(!reply.text.contains("wrong-token"));
    assert!(api.sim.webhooks().is_empty());
    let shown = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(shown.json["active"], false);
}

#[tokio::test]
async fn activation_registers_the_webhook_and_deactivation_removes_it() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, true, false).await;
    let activated = api
        .call(
            Method::POST,
            &format!("/integrations/{id}/activate"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
    assert_eq!(activated.json["active"], true);
    let hooks = api.sim.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].endpoint,
        format!("{PUBLIC_URL}/webhooks/zendesk/{id}")
    );
    let wanted: Vec<String> = TICKET_EVENT_SUBSCRIPTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(hooks[0].subscriptions, wanted);
    let secret = api
        .ctx
        .secrets
        .get(&webhook_secret_name(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.expose_secret(), hooks[0].signing_secret);
    assert!(!activated.text.contains(&hooks[0].signing_secret));

    // Activating again keeps the one webhook.
    let again = api
        .call(
            Method::POST,
            &format!("/integrations/{id}/activate"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(api.sim.webhooks().len(), 1);

    let deactivated = api
        .call(
            Method::POST,
            &format!("/integrations/{id}/deactivate"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK, "{}", deactivated.text);
    assert_eq!(deactivated.json["active"], false);
    assert!(
        api.sim.webhooks().iter().all(|h| h.id != hooks[0].id),
        "webhook removed"
    );
    assert!(
        api.ctx
            .secrets
            .get(&webhook_secret_name(&id))
            .await
            .unwrap()
            .is_none()
    );
    api.assert_token_never_returned();
}

#[tokio::test]
async fn deleting_an_active_integration_removes_its_webhook() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, false, true).await;
    assert_eq!(api.sim.webhooks().len(), 1);
    let deleted = api
        .call(
            Method::DELETE,
            &format!("/integrations/{id}"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert!(api.sim.webhooks().is_empty());
    assert!(
        api.ctx
            .secrets
            .get(&webhook_secret_name(&id))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        api.ctx
            .secrets
            .get(&api_token_name(&id))
            .await
            .unwrap()
            .is_none()
    );
}
