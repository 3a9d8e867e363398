//! An integration's identity is its Zendesk account (docs/sync-rules.md §2 lifecycle) on moto,
//! through what the Lambdas run (the api router, the scheduler's export, the mapper's batches)
//! over the DynamoDB, SQS and Secrets Manager adapters, against the simulator.

mod api_common;
mod aws_common;
#[allow(dead_code)]
mod e2e_aws_common;
mod export_common;

use axum::http::{Method, StatusCode};
use e2e_aws_common::checks::seed;
use e2e_aws_common::{World, ZD_EMAIL, ZD_TOKEN};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use zsync_core::export::RunEnd;
use zsync_core::ports::CaseFilter;
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{Case, IntegrationId};
use zsync_zendesk_sim::{SimConfig, Simulator};

async fn other_account() -> Simulator {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
    sim
}

fn settings(sim: &Simulator, owner: &Value) -> Value {
    json!({
        "type": "zendesk", "name": "Acme again", "url": sim.base_url(),
        "api_email": ZD_EMAIL, "api_token": ZD_TOKEN, "owner_id": owner,
        "two_way_sync": true, "sync_priority": "remote",
    })
}

async fn sync(w: &World) {
    let run = w.export(&w.ctx).await;
    assert_eq!(run.end, RunEnd::Complete, "{run:?}");
    let pumped = w.pump().await;
    assert!(pumped.failed.is_empty(), "{pumped:?}");
}

/// Every case in the store (bounded paging), oldest id first.
async fn every_case(w: &World) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cursor = None;
    for _ in 0..50 {
        let page = w
            .ctx
            .store
            .list_cases(&CaseFilter::default(), cursor.as_deref(), 100)
            .await
            .expect("cases");
        cases.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_one_account_one_integration_a_frozen_url_and_checked_credentials() {
    let w = World::start(50).await;
    let path = format!("/integrations/{}", w.integration);
    let owner = w.call(Method::GET, &path, None).await.json["owner_id"].clone();
    seed(&w, 4, 2);
    sync(&w).await;
    assert_eq!(every_case(&w).await.len(), 4);

    let second = w
        .call(
            Method::POST,
            "/integrations",
            Some(settings(&w.sim, &owner)),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(second.json["error"]["code"], "account_has_integration");

    let b = other_account().await;
    let frozen = w
        .call(Method::PATCH, &path, Some(json!({"url": b.base_url()})))
        .await;
    assert_eq!(frozen.status, StatusCode::CONFLICT, "{}", frozen.text);
    assert_eq!(frozen.json["error"]["code"], "url_frozen");
    assert!(b.webhooks().is_empty());

    let bad = w
        .call(
            Method::PATCH,
            &path,
            Some(json!({"api_token": "zd-wrong-token-aws-9"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let kept = w
        .ctx
        .secrets
        .get(&api_token_name(w.integration.as_str()))
        .await
        .expect("secrets")
        .expect("token");
    assert_eq!(
        kept.expose_secret(),
        ZD_TOKEN,
        "Secrets Manager keeps the old token"
    );

    // Another account is free.
    let other = w
        .call(Method::POST, "/integrations", Some(settings(&b, &owner)))
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_a_url_change_before_import_moves_the_webhook() {
    let w = World::start(50).await;
    let path = format!("/integrations/{}", w.integration);
    let b = other_account().await;
    let moved = w
        .call(Method::PATCH, &path, Some(json!({"url": b.base_url()})))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert!(
        w.sim.webhooks().is_empty(),
        "the old account's webhook is gone"
    );
    let hooks = b.webhooks();
    assert_eq!(hooks.len(), 1);
    let secret = w
        .ctx
        .secrets
        .get(&webhook_secret_name(w.integration.as_str()))
        .await
        .expect("secrets")
        .expect("webhook secret");
    assert_eq!(secret.expose_secret(), hooks[0].signing_secret);
    b.seed(zsync_zendesk_sim::SeedSpec {
        tickets: 3,
        users: 5,
        agents: 1,
        comments_per_ticket: 1,
        seed: 3,
    });
    sync(&w).await;
    let cases = every_case(&w).await;
    assert_eq!(cases.len(), 3, "the new account's tickets");
    assert!(
        cases
            .iter()
            .all(|c| c.integration_id.as_ref() == Some(&w.integration))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_delete_keeps_cases_a_new_integration_relinks_them_and_purge_unlinks_them() {
    let mut w = World::start(50).await;
    let first = w.integration.clone();
    let owner = w
        .call(Method::GET, &format!("/integrations/{first}"), None)
        .await
        .json["owner_id"]
        .clone();
    let tickets = seed(&w, 5, 2);
    sync(&w).await;
    let before = every_case(&w).await;
    assert_eq!(before.len(), 5);

    let deleted = w
        .call(Method::DELETE, &format!("/integrations/{first}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(every_case(&w).await.len(), 5, "cases are kept");

    let created = w
        .call(
            Method::POST,
            "/integrations",
            Some(settings(&w.sim, &owner)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let second = IntegrationId::new(created.json["id"].as_str().unwrap());
    let activated = w
        .call(
            Method::POST,
            &format!("/integrations/{second}/activate"),
            None,
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.text);
    w.integration = second.clone();
    sync(&w).await;
    let after = every_case(&w).await;
    assert_eq!(
        after.iter().map(|c| &c.id).collect::<Vec<_>>(),
        before.iter().map(|c| &c.id).collect::<Vec<_>>(),
        "the same cases, no duplicates"
    );
    assert!(
        after
            .iter()
            .all(|c| c.integration_id.as_ref() == Some(&second))
    );
    for ticket in &tickets {
        let record = w.record(*ticket).await.expect("re-linked record");
        assert_eq!(record.integration_id, second);
        let old = w
            .ctx
            .store
            .get_ticket_record(&first, *ticket)
            .await
            .expect("record");
        assert!(old.is_none(), "moved, not copied");
    }

    let purged = w
        .call(
            Method::DELETE,
            &format!("/integrations/{second}?purge=true"),
            None,
        )
        .await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT, "{}", purged.text);
    let kept = every_case(&w).await;
    assert_eq!(kept.len(), 5, "cases stay");
    assert!(kept.iter().all(|c| c.integration_id.is_none()), "unlinked");
    let store = &w.ctx.store;
    for ticket in &tickets {
        assert!(
            store
                .get_ticket_record(&second, *ticket)
                .await
                .unwrap()
                .is_none()
        );
    }
    for case in &kept {
        assert!(
            store
                .get_ticket_record_for_case(&case.id)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(store.list_jobs(&second, 10).await.unwrap().is_empty());
    assert!(store.get_export_cursor(&second).await.unwrap().is_none());
    assert!(store.list_log(&second, 10).await.unwrap().is_empty());
    for name in [
        api_token_name(second.as_str()),
        webhook_secret_name(second.as_str()),
    ] {
        assert!(w.ctx.secrets.get(&name).await.unwrap().is_none(), "{name}");
    }
    assert!(w.sim.webhooks().is_empty());
    let claim = store
        .get_account(&zsync_mapping::integration_url::account_key(
            &w.sim.base_url(),
        ))
        .await
        .unwrap()
        .expect("claim");
    assert_eq!(claim.integration, None, "the account is free");
}
