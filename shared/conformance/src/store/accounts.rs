//! Zendesk account claims and re-linking (docs/sync-rules.md §2 lifecycle): one integration per
//! account, checked atomically with the integration's create, `url` change and delete.

use futures::future::join_all;
use zsync_core::ports::{ACCOUNT_ENTITY, CaseFilter, CrmStore, StoreError, StoreResult};
use zsync_mapping::{CaseStatus, Integration, IntegrationId};

use super::is_conflict;
use crate::fixtures::{case, integration, ticket_record};

fn on_account(id: &str, account: &str) -> Integration {
    let mut i = integration(id);
    i.url = format!("https://{account}.zendesk.com");
    i
}

fn is_account_taken<T: std::fmt::Debug>(result: &StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::AlreadyExists { entity, .. }) if *entity == ACCOUNT_ENTITY)
}

async fn holder(store: &dyn CrmStore, account: &str) -> Option<IntegrationId> {
    store
        .get_account(account)
        .await
        .expect("get account")
        .and_then(|c| c.integration)
}

/// A second integration for an account is refused and not stored; the first holds the account.
pub async fn one_integration_per_account(store: &dyn CrmStore) {
    store
        .create_integration(&on_account("first", "acme"))
        .await
        .expect("create first");
    let second = store
        .create_integration(&on_account("second", "acme"))
        .await;
    assert!(is_account_taken(&second), "second for acme: {second:?}");
    let mut plain_http = on_account("third", "acme");
    plain_http.url = "http://acme.zendesk.com".into();
    let third = store.create_integration(&plain_http).await;
    assert!(
        is_account_taken(&third),
        "http:// is the same account: {third:?}"
    );
    for refused in ["second", "third"] {
        assert!(
            store
                .get_integration(&IntegrationId::new(refused))
                .await
                .expect("get")
                .is_none(),
            "{refused} must not be stored"
        );
    }
    assert_eq!(
        holder(store, "acme.zendesk.com").await,
        Some(IntegrationId::new("first"))
    );
    store
        .create_integration(&on_account("other", "globex"))
        .await
        .expect("another account is free");
}

/// A `url` change moves the claim: refused (nothing written) onto a held account, and frees
/// the old account when it succeeds.
pub async fn url_change_moves_the_account_claim(store: &dyn CrmStore) {
    let a = on_account("a", "acme");
    let b = on_account("b", "globex");
    store.create_integration(&a).await.expect("create a");
    store.create_integration(&b).await.expect("create b");
    let onto_held = store.update_integration(&on_account("b", "acme"), 1).await;
    assert!(is_account_taken(&onto_held), "b onto acme: {onto_held:?}");
    let stored_b = store.get_integration(&b.id).await.expect("get").expect("b");
    assert_eq!((stored_b.value, stored_b.version), (b.clone(), 1));

    let moved = store
        .update_integration(&on_account("a", "initech"), 1)
        .await
        .expect("a moves to initech");
    assert_eq!(holder(store, "acme.zendesk.com").await, None, "acme freed");
    assert_eq!(
        holder(store, "initech.zendesk.com").await,
        Some(a.id.clone())
    );
    let stale = store.update_integration(&on_account("a", "hooli"), 1).await;
    assert!(is_conflict(&stale), "stale move: {stale:?}");
    assert_eq!(holder(store, "hooli.zendesk.com").await, None);
    store
        .update_integration(&on_account("b", "acme"), 1)
        .await
        .expect("b takes the freed acme");
    assert_eq!(holder(store, "acme.zendesk.com").await, Some(b.id.clone()));
    assert!(moved > 1);
}

/// Deleting frees the account and remembers the integration; a new one can claim it.
pub async fn deleting_frees_the_account_and_remembers_the_holder(store: &dyn CrmStore) {
    let old = on_account("old", "acme");
    store.create_integration(&old).await.expect("create");
    store.delete_integration(&old.id).await.expect("delete");
    store
        .delete_integration(&old.id)
        .await
        .expect("delete again");
    let claim = store
        .get_account("acme.zendesk.com")
        .await
        .expect("get")
        .expect("claim kept");
    assert_eq!(claim.integration, None);
    assert_eq!(claim.former, vec![old.id.clone()], "remembered once");
    store
        .create_integration(&on_account("new", "acme"))
        .await
        .expect("the account is free again");
    let claim = store
        .get_account("acme.zendesk.com")
        .await
        .expect("get")
        .expect("claim");
    assert_eq!(claim.integration, Some(IntegrationId::new("new")));
    assert_eq!(claim.former, vec![old.id]);
    assert!(
        store
            .get_account("never.zendesk.com")
            .await
            .expect("get")
            .is_none()
    );
}

/// Re-linking moves a case's ticket record to another integration in one write; a stale case
/// or record version writes nothing.
pub async fn relink_moves_a_case_to_another_integration(store: &dyn CrmStore) {
    let c = case("case-1", "Printer", CaseStatus::Open, Some("old"), 0);
    let old_record = ticket_record("old", "case-1", 7);
    store
        .create_linked_case(&c, &old_record)
        .await
        .expect("linked case");
    let from = store
        .get_ticket_record(&IntegrationId::new("old"), 7)
        .await
        .expect("get")
        .expect("old record");
    let mut to = old_record.clone();
    to.integration_id = IntegrationId::new("new");
    let mut relinked = c.clone();
    relinked.integration_id = Some(IntegrationId::new("new"));

    let stale_case = store.relink_case(&relinked, 2, &from, &to).await;
    assert!(is_conflict(&stale_case), "stale case: {stale_case:?}");
    let mut stale_from = from.clone();
    stale_from.version += 1;
    let stale_record = store.relink_case(&relinked, 1, &stale_from, &to).await;
    assert!(is_conflict(&stale_record), "stale record: {stale_record:?}");
    assert!(
        store
            .get_ticket_record(&to.integration_id, 7)
            .await
            .expect("get")
            .is_none(),
        "a refused re-link writes nothing"
    );

    let version = store
        .relink_case(&relinked, 1, &from, &to)
        .await
        .expect("relink");
    assert_eq!(version, 2);
    assert!(
        store
            .get_ticket_record(&IntegrationId::new("old"), 7)
            .await
            .expect("get")
            .is_none()
    );
    let moved = store
        .get_ticket_record(&to.integration_id, 7)
        .await
        .expect("get")
        .expect("new record");
    assert_eq!(moved.value, to);
    let by_case = store
        .get_ticket_record_for_case(&c.id)
        .await
        .expect("get")
        .expect("linked");
    assert_eq!(by_case.value.integration_id, to.integration_id);
    let stored = store.get_case(&c.id).await.expect("get").expect("case");
    assert_eq!((stored.value, stored.version), (relinked, 2));
    assert_eq!(
        cases_of(store, "new").await,
        vec![c.id.clone()],
        "listed under the new integration"
    );
    assert!(
        cases_of(store, "old").await.is_empty(),
        "no longer under the old one"
    );
    let again = store
        .relink_case(&stored_case(store, &c.id).await, 2, &from, &to)
        .await;
    assert!(again.is_err(), "the old record is gone: {again:?}");
}

pub(super) async fn cases_of(
    store: &dyn CrmStore,
    integration: &str,
) -> Vec<zsync_mapping::CaseId> {
    let filter = CaseFilter {
        integration_id: Some(IntegrationId::new(integration)),
        ..CaseFilter::default()
    };
    let page = store.list_cases(&filter, None, 10).await.expect("list");
    page.items.into_iter().map(|c| c.id).collect()
}

async fn stored_case(store: &dyn CrmStore, id: &zsync_mapping::CaseId) -> zsync_mapping::Case {
    store.get_case(id).await.expect("get").expect("case").value
}

/// Eight integrations created at once for one account: exactly one is stored.
pub async fn concurrent_integrations_for_one_account_one_wins(store: &dyn CrmStore) {
    let candidates: Vec<_> = (0..8)
        .map(|i| on_account(&format!("i-{i}"), "acme"))
        .collect();
    let results = join_all(candidates.iter().map(|c| store.create_integration(c))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|r| r.is_ok() || is_account_taken(r)),
        "{results:?}"
    );
    assert_eq!(store.list_integrations().await.expect("list").len(), 1);
}

/// Two integrations moving onto one free account at once: exactly one gets it.
pub async fn concurrent_url_changes_onto_one_account_one_wins(store: &dyn CrmStore) {
    store
        .create_integration(&on_account("a", "acme"))
        .await
        .expect("a");
    store
        .create_integration(&on_account("b", "globex"))
        .await
        .expect("b");
    let moves = [on_account("a", "initech"), on_account("b", "initech")];
    let results = join_all(moves.iter().map(|m| store.update_integration(m, 1))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner = if results[0].is_ok() { "a" } else { "b" };
    assert_eq!(
        holder(store, "initech.zendesk.com").await,
        Some(IntegrationId::new(winner))
    );
    let on_initech = store
        .list_integrations()
        .await
        .expect("list")
        .into_iter()
        .filter(|i| i.value.url.contains("initech"))
        .count();
    assert_eq!(on_initech, 1);
}
