//! Concurrent writers: conditional writes must let exactly one win.

use futures::future::join_all;
use zsync_core::ports::{CaseFilter, CrmStore, StoreError};
use zsync_mapping::{CaseStatus, IntegrationId, JobCounters};

use super::{is_already_exists, is_conflict, walk};
use crate::fixtures::{at, case, contact, job, ticket_record, user};
use chrono::Duration;

/// Two writers update one case at the same version: one wins, the other gets a conflict and
/// its change is not stored.
pub async fn concurrent_case_updates_one_wins(store: &dyn CrmStore) {
    let c = case("case-1", "Original", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    let writers: Vec<_> = ["writer A", "writer B"]
        .into_iter()
        .map(|subject| {
            let mut changed = c.clone();
            changed.subject = subject.into();
            changed
        })
        .collect();
    let results = join_all(writers.iter().map(|w| store.update_case(w, 1))).await;
    let winners: Vec<_> = results
        .iter()
        .zip(&writers)
        .filter(|(r, _)| r.is_ok())
        .collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    assert_eq!(
        results.iter().filter(|r| is_conflict(r)).count(),
        1,
        "{results:?}"
    );
    let stored = store.get_case(&c.id).await.expect("get").expect("case");
    assert_eq!(
        stored.value.subject, winners[0].1.subject,
        "the winner's change is stored"
    );
}

/// 16 concurrent callers for one e-mail: one contact, everyone gets its id.
pub async fn concurrent_get_or_create_contact_makes_one(store: &dyn CrmStore) {
    let candidates: Vec<_> = (0..16)
        .map(|i| contact(&format!("c-{i}"), "same@example.com"))
        .collect();
    let results = join_all(candidates.iter().map(|c| store.get_or_create_contact(c))).await;
    let outcomes: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("get or create"))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.created).count(),
        1,
        "exactly one created"
    );
    let id = outcomes[0].contact.id.clone();
    assert!(
        outcomes.iter().all(|o| o.contact.id == id),
        "all callers see one contact"
    );
    let found = store
        .find_contact_by_email("same@example.com")
        .await
        .expect("find")
        .expect("one");
    assert_eq!(found.id, id);
    let all = walk(50, |cursor| async move {
        store.list_contacts(cursor.as_deref(), 50).await
    })
    .await;
    assert_eq!(all.len(), 1, "no second contact stored: {all:?}");
}

/// Concurrent imports of one ticket: one case and record, the losers wrote nothing.
pub async fn concurrent_create_linked_case_one_wins(store: &dyn CrmStore) {
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let id = format!("case-{i}");
            (
                case(&id, "Ticket 42", CaseStatus::Open, Some("acme"), 0),
                ticket_record("acme", &id, 42),
            )
        })
        .collect();
    let results = join_all(attempts.iter().map(|(c, r)| store.create_linked_case(c, r))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|r| r.is_ok() || is_already_exists(r)),
        "{results:?}"
    );

    let record = store
        .get_ticket_record(&IntegrationId::new("acme"), 42)
        .await
        .expect("get")
        .expect("record");
    for ((c, _), result) in attempts.iter().zip(&results) {
        let stored = store.get_case(&c.id).await.expect("get");
        assert_eq!(
            stored.is_some(),
            result.is_ok(),
            "case {} orphaned or missing",
            c.id
        );
    }
    let filter = CaseFilter {
        integration_id: Some("acme".into()),
        ..Default::default()
    };
    let listed = walk(50, |cursor| {
        let filter = &filter;
        async move { store.list_cases(filter, cursor.as_deref(), 50).await }
    })
    .await;
    assert_eq!(listed.len(), 1, "one case listed");
    assert_eq!(
        listed[0].id, record.value.case_id,
        "the record points at the stored case"
    );
}

/// 20 concurrent +1 increments are all counted.
pub async fn concurrent_job_counter_increments_all_count(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let j = job("acme", "job-1", 0);
    store.create_job(&j).await.expect("create");
    let one = JobCounters {
        tickets_seen: 1,
        unchanged: 1,
        ..Default::default()
    };
    let results = join_all((0..20).map(|_| store.add_job_counters(&acme, &j.id, &one))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let got = store
        .get_job(&acme, &j.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(
        (
            got.value.counters.tickets_seen,
            got.value.counters.unchanged
        ),
        (20, 20)
    );
}

pub async fn concurrent_user_creation_same_email_one_wins(store: &dyn CrmStore) {
    let users: Vec<_> = (0..8)
        .map(|i| user(&format!("u-{i}"), "admin@example.com"))
        .collect();
    let results = join_all(users.iter().map(|u| store.create_user(u))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|r| r.is_ok() || is_already_exists(r)),
        "{results:?}"
    );
    let winner = users
        .iter()
        .zip(&results)
        .find(|(_, r)| r.is_ok())
        .map(|(u, _)| u);
    let found = store
        .find_user_by_email("admin@example.com")
        .await
        .expect("find");
    assert_eq!(found.as_ref(), winner);
    for (u, r) in users.iter().zip(&results) {
        assert_eq!(
            store.get_user(&u.id).await.expect("get").is_some(),
            r.is_ok()
        );
    }
}

pub async fn concurrent_lease_acquire_one_holder(store: &dyn CrmStore) {
    let holders: Vec<_> = (0..8).map(|i| format!("worker-{i}")).collect();
    let ttl = Duration::seconds(60);
    let results = join_all(
        holders
            .iter()
            .map(|h| store.acquire_lease("export/acme", h, ttl, at(0))),
    )
    .await;
    let granted: Vec<_> = results.into_iter().map(|r| r.expect("acquire")).collect();
    assert_eq!(
        granted.iter().filter(|g| **g).count(),
        1,
        "one holder: {granted:?}"
    );
}

pub async fn concurrent_remember_once_one_true(store: &dyn CrmStore) {
    let ttl = Duration::seconds(60);
    let results = join_all((0..8).map(|_| store.remember_once("event-1", ttl, at(0)))).await;
    let fresh: Vec<bool> = results
        .into_iter()
        .map(|r: Result<bool, StoreError>| r.expect("remember"))
        .collect();
    assert_eq!(
        fresh.iter().filter(|f| **f).count(),
        1,
        "seen as new once: {fresh:?}"
    );
}
