//! Zendesk account claims and re-linking (docs/sync-rules.md §2 lifecycle): one integration per
//! account, checked atomically with the integration's create, `url` change and delete.

use futures::future::join_all;
use zsync_core::ports::{ACCOUNT_ENTITY, CaseFilter, CrmStore, StoreError, StoreResult};
use zsync_mapping::{CaseId, CaseStatus, Integration, IntegrationId};

use super::is_conflict;
use chrono::Duration;

use crate::fixtures::{case, export_cursor, integration, job, log_entry, ticket_record};

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

async fn cases_of(store: &dyn CrmStore, integration: &str) -> Vec<zsync_mapping::CaseId> {
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

/// Purging walks an integration's sync data away in bounded steps (records, jobs, cursor, log,
/// outbox) and leaves its cases, unlinked, and every other integration's data alone.
pub async fn purge_removes_sync_data_in_bounded_steps(store: &dyn CrmStore) {
    const LIMIT: usize = 3;
    // Log entries expire by the wall clock in some stores.
    let now = chrono::Utc::now();
    for (integration, tickets) in [("gone", 1..=5u64), ("kept", 1..=1)] {
        for number in tickets {
            let case_id = format!("{integration}-case-{number}");
            let c = case(
                &case_id,
                "Printer",
                CaseStatus::Open,
                Some(integration),
                number as i64,
            );
            store
                .create_linked_case(&c, &ticket_record(integration, &case_id, number))
                .await
                .expect("linked case");
        }
        for j in 0..3 {
            store
                .create_job(&job(integration, &format!("job-{j}"), j))
                .await
                .expect("job");
            store
                .append_log(
                    &log_entry(integration, 1, now + Duration::seconds(j), "seen"),
                    Duration::days(1),
                )
                .await
                .expect("log");
        }
        store
            .put_export_cursor(&export_cursor(integration, Some("c")), 0)
            .await
            .expect("cursor");
        let marked = store
            .get_case(&CaseId::new(format!("{integration}-case-1")))
            .await
            .expect("get")
            .expect("case");
        let id = IntegrationId::new(integration);
        store
            .update_case_marking_push(&marked.value, marked.version, &id)
            .await
            .expect("mark push");
    }
    let gone = IntegrationId::new("gone");
    let mut tickets = Vec::new();
    let mut done = false;
    for _ in 0..40 {
        let step = store
            .purge_integration_data(&gone, LIMIT)
            .await
            .expect("purge step");
        assert!(
            step.removed <= LIMIT,
            "a step stays within its limit: {step:?}"
        );
        tickets.extend(step.tickets);
        if step.done {
            done = true;
            break;
        }
    }
    assert!(done, "the purge ends");
    tickets.sort_unstable();
    assert_eq!(
        tickets,
        vec![1, 2, 3, 4, 5],
        "each purged ticket reported once"
    );
    for number in 1..=5u64 {
        assert!(
            store
                .get_ticket_record(&gone, number)
                .await
                .expect("get")
                .is_none()
        );
        let case_id = CaseId::new(format!("gone-case-{number}"));
        let stored = store
            .get_case(&case_id)
            .await
            .expect("get")
            .expect("case stays");
        assert_eq!(stored.value.integration_id, None, "unlinked");
        assert!(
            store
                .get_ticket_record_for_case(&case_id)
                .await
                .expect("get")
                .is_none()
        );
    }
    assert!(store.list_jobs(&gone, 10).await.expect("jobs").is_empty());
    assert!(
        store
            .get_export_cursor(&gone)
            .await
            .expect("cursor")
            .is_none()
    );
    assert!(store.list_log(&gone, 10).await.expect("log").is_empty());
    assert!(
        store
            .list_pending_pushes(&gone, 10)
            .await
            .expect("pushes")
            .is_empty()
    );
    let kept = IntegrationId::new("kept");
    assert!(
        store
            .get_ticket_record(&kept, 1)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(store.list_jobs(&kept, 10).await.expect("jobs").len(), 3);
    assert!(
        store
            .get_export_cursor(&kept)
            .await
            .expect("cursor")
            .is_some()
    );
    assert_eq!(store.list_log(&kept, 10).await.expect("log").len(), 3);
    assert_eq!(
        store
            .list_pending_pushes(&kept, 10)
            .await
            .expect("pushes")
            .len(),
        1
    );
    assert_eq!(cases_of(store, "kept").await.len(), 1);
}
