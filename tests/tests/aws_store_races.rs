//! Concurrent writers on the DynamoDB store (moto): conditional writes let exactly one win, and
//! the raw table shows no second contact, case or record. Each of these fails when its
//! condition is removed from the store (checked by hand when they were written).

mod aws_common;

use aws_common::{concurrently, count, fresh_store, items_by_kind};
use zsync_conformance::fixtures::{case, contact, ticket_record};
use zsync_core::ports::{CrmStore, StoreError};
use zsync_mapping::CaseStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_case_updates_let_exactly_one_writer_win_every_round() {
    let store = fresh_store().await;
    let original = case("case-1", "Original", CaseStatus::Open, None, 0);
    store.create_case(&original).await.expect("create");
    let mut version = 1;
    for round in 0..8 {
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let mut changed = original.clone();
                changed.subject = format!("round {round} writer {w}");
                changed
            })
            .collect();
        let results = concurrently(
            writers
                .iter()
                .map(|c| {
                    let (store, c) = (store.clone(), c.clone());
                    async move { store.update_case(&c, version).await }
                })
                .collect(),
        )
        .await;
        let won: Vec<_> = results
            .iter()
            .zip(&writers)
            .filter(|(r, _)| r.is_ok())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        assert!(
            results.iter().filter(|r| r.is_err()).all(|r| matches!(
                r,
                Err(StoreError::VersionConflict { expected, .. }) if *expected == version
            )),
            "losers get a conflict: {results:?}"
        );
        let stored = store
            .get_case(&original.id)
            .await
            .expect("get")
            .expect("case");
        assert_eq!(stored.value.subject, won[0].1.subject);
        version = stored.version;
    }
    assert_eq!(version, 9, "one version step per round");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_callers_make_one_contact_and_one_email_item() {
    let store = fresh_store().await;
    // differently written, one normalised address
    let spellings = ["same@example.com", " Same@Example.COM", "SAME@example.com "];
    let candidates: Vec<_> = (0..16)
        .map(|i| contact(&format!("c-{i}"), spellings[i % spellings.len()]))
        .collect();
    let results = concurrently(
        candidates
            .into_iter()
            .map(|c| {
                let store = store.clone();
                async move { store.get_or_create_contact(&c).await }
            })
            .collect(),
    )
    .await;
    let outcomes: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("get or create"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 1);
    let winner = &outcomes
        .iter()
        .find(|o| o.created)
        .expect("a creator")
        .contact;
    assert!(outcomes.iter().all(|o| o.contact == *winner));
    assert_eq!(
        winner.email.as_deref(),
        Some("same@example.com"),
        "stored normalised"
    );

    let kinds = items_by_kind(&store).await;
    assert_eq!(
        count(&kinds, "contact"),
        2,
        "one contact item + one e-mail item: {kinds:?}"
    );
    let keys = &kinds["contact"];
    assert!(keys.contains(&format!("CONTACT#{}", winner.id)), "{keys:?}");
    assert!(
        keys.contains(&"EMAIL#contact#same@example.com".to_owned()),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_of_one_ticket_leave_one_case_and_no_orphans() {
    let store = fresh_store().await;
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let id = format!("case-{i}");
            (
                case(&id, "From Zendesk", CaseStatus::Open, Some("acme"), i),
                ticket_record("acme", &id, 42),
            )
        })
        .collect();
    let results = concurrently(
        attempts
            .into_iter()
            .map(|(c, r)| {
                let store = store.clone();
                async move { store.create_linked_case(&c, &r).await }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().filter(|r| r.is_err()).all(|r| matches!(
            r,
            Err(StoreError::AlreadyExists {
                entity: "ticket_record",
                ..
            })
        )),
        "{results:?}"
    );
    let kinds = items_by_kind(&store).await;
    assert_eq!(count(&kinds, "case"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "ticket_record"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "ticket_link"), 1, "{kinds:?}");
    let winner = &kinds["case"][0];
    let link = &kinds["ticket_link"][0];
    assert_eq!(winner, link, "the link belongs to the winning case");
}
