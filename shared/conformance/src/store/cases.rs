//! Cases, ticket records and comments.

use zsync_core::ports::{CaseFilter, CrmStore, StoreError};
use zsync_mapping::{Case, CaseComment, CaseId, CaseStatus, IntegrationId};

use super::{is_already_exists, is_conflict, walk};
use crate::fixtures::{case, comment, ticket_record};

pub async fn case_lifecycle(store: &dyn CrmStore) {
    let c = case("case-1", "Printer on fire", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    let again = store
        .create_case(&case("case-1", "Other", CaseStatus::Closed, None, 5))
        .await;
    assert!(is_already_exists(&again), "second create: {again:?}");

    let got = store.get_case(&c.id).await.expect("get").expect("exists");
    assert_eq!((got.value, got.version), (c.clone(), 1));

    let mut changed = c.clone();
    changed.status = CaseStatus::InProgress;
    let v2 = store.update_case(&changed, 1).await.expect("update");
    let got = store.get_case(&c.id).await.expect("get").expect("exists");
    assert_eq!((got.value, got.version), (changed.clone(), v2));

    let stale = store.update_case(&c, 1).await;
    assert!(is_conflict(&stale), "stale update: {stale:?}");
    assert_eq!(
        store
            .get_case(&c.id)
            .await
            .expect("get")
            .expect("exists")
            .value,
        changed
    );

    let missing = case("case-missing", "x", CaseStatus::Open, None, 0);
    let result = store.update_case(&missing, 1).await;
    assert!(
        matches!(
            result,
            Err(StoreError::NotFound { .. } | StoreError::VersionConflict { .. })
        ),
        "update of a missing case: {result:?}"
    );
    assert!(
        store.get_case(&missing.id).await.expect("get").is_none(),
        "update must not create"
    );
}

/// The case and its ticket record appear together; a second case for the same ticket number is
/// refused and leaves nothing behind; another integration may use the same number.
pub async fn linked_case_is_created_with_its_record(store: &dyn CrmStore) {
    let integration = IntegrationId::new("acme");
    let c = case("case-1", "From Zendesk", CaseStatus::Open, Some("acme"), 0);
    let record = ticket_record("acme", "case-1", 42);
    store
        .create_linked_case(&c, &record)
        .await
        .expect("create linked");

    assert_eq!(
        store
            .get_case(&c.id)
            .await
            .expect("get")
            .expect("case")
            .version,
        1
    );
    let by_number = store
        .get_ticket_record(&integration, 42)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(
        (by_number.value.clone(), by_number.version),
        (record.clone(), 1)
    );
    let by_case = store
        .get_ticket_record_for_case(&c.id)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(by_case.value, record);

    let dup_case = case("case-2", "Duplicate", CaseStatus::Open, Some("acme"), 1);
    let dup = store
        .create_linked_case(&dup_case, &ticket_record("acme", "case-2", 42))
        .await;
    assert!(is_already_exists(&dup), "same ticket number: {dup:?}");
    assert!(
        store.get_case(&dup_case.id).await.expect("get").is_none(),
        "no orphan case"
    );
    assert!(
        store
            .get_ticket_record_for_case(&dup_case.id)
            .await
            .expect("get")
            .is_none()
    );

    let other = case(
        "case-3",
        "Other account",
        CaseStatus::Open,
        Some("globex"),
        2,
    );
    store
        .create_linked_case(&other, &ticket_record("globex", "case-3", 42))
        .await
        .expect("same number in another integration");
    assert!(
        store
            .get_ticket_record(&integration, 43)
            .await
            .expect("get")
            .is_none()
    );
}

/// Publishing links an existing unlinked case; the ticket number stays unique; record updates
/// are versioned.
pub async fn publish_links_an_existing_case(store: &dyn CrmStore) {
    let c = case("case-1", "Made in the CRM", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    assert!(
        store
            .get_ticket_record_for_case(&c.id)
            .await
            .expect("get")
            .is_none()
    );

    let record = ticket_record("acme", "case-1", 7);
    store.create_ticket_record(&record).await.expect("link");
    let linked = store
        .get_ticket_record_for_case(&c.id)
        .await
        .expect("get")
        .expect("record");
    assert_eq!((linked.value, linked.version), (record.clone(), 1));

    store
        .create_case(&case("case-2", "Another", CaseStatus::Open, None, 1))
        .await
        .expect("create");
    let taken = store
        .create_ticket_record(&ticket_record("acme", "case-2", 7))
        .await;
    assert!(is_already_exists(&taken), "number taken: {taken:?}");
    assert!(
        store
            .get_ticket_record_for_case(&CaseId::new("case-2"))
            .await
            .expect("get")
            .is_none()
    );

    let mut changed = record.clone();
    changed.status = Some("solved".into());
    let v2 = store
        .update_ticket_record(&changed, 1)
        .await
        .expect("update");
    let got = store
        .get_ticket_record(&record.integration_id, 7)
        .await
        .expect("get")
        .expect("rec");
    assert_eq!((got.value, got.version), (changed.clone(), v2));
    let stale = store.update_ticket_record(&record, 1).await;
    assert!(is_conflict(&stale), "stale update: {stale:?}");
    let by_case = store
        .get_ticket_record_for_case(&c.id)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(by_case.value, changed, "both lookups see the update");
}

fn ids(cases: &[Case]) -> Vec<&str> {
    cases.iter().map(|c| c.id.as_str()).collect()
}

async fn list_all(store: &dyn CrmStore, filter: &CaseFilter) -> Vec<Case> {
    walk(100, |cursor| async move {
        store.list_cases(filter, cursor.as_deref(), 100).await
    })
    .await
}

pub async fn list_cases_filters(store: &dyn CrmStore) {
    let cases = [
        case("a", "Printer", CaseStatus::Open, Some("acme"), 10),
        case("b", "Printer jam", CaseStatus::Open, Some("acme"), 20),
        case("c", "Printer", CaseStatus::Closed, Some("globex"), 30),
        case("d", "Login", CaseStatus::InProgress, None, 40),
        case("e", "Printer", CaseStatus::Open, None, 50),
    ];
    for c in &cases {
        store.create_case(c).await.expect("create");
    }
    let all = list_all(store, &CaseFilter::default()).await;
    assert_eq!(
        ids(&all),
        ["e", "d", "c", "b", "a"],
        "all cases, newest first"
    );

    let subject = CaseFilter {
        subject: Some("Printer".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&list_all(store, &subject).await),
        ["e", "c", "b", "a"],
        "every subject with the word"
    );

    let open = CaseFilter {
        status: Some(CaseStatus::Open),
        ..Default::default()
    };
    assert_eq!(ids(&list_all(store, &open).await), ["e", "b", "a"]);

    let acme = CaseFilter {
        integration_id: Some("acme".into()),
        ..Default::default()
    };
    assert_eq!(ids(&list_all(store, &acme).await), ["b", "a"]);

    let combined = CaseFilter {
        subject: Some("Printer".into()),
        status: Some(CaseStatus::Open),
        integration_id: Some("acme".into()),
    };
    assert_eq!(ids(&list_all(store, &combined).await), ["b", "a"]);
    let both_words = CaseFilter {
        subject: Some("JAM printer".into()),
        ..Default::default()
    };
    assert_eq!(ids(&list_all(store, &both_words).await), ["b"]);

    let nothing = CaseFilter {
        subject: Some("No such subject".into()),
        ..Default::default()
    };
    assert!(list_all(store, &nothing).await.is_empty());
}

/// A cursor walk returns every matching case exactly once, newest first, pages within the
/// limit — also when several cases share a creation time.
pub async fn list_cases_cursor_walk(store: &dyn CrmStore) {
    let mut expected_acme = Vec::new();
    for i in 0..23 {
        // cases come in pairs sharing a creation time, to exercise ties across page borders
        let secs = i64::from(i / 2) * 10;
        let integration = if i % 3 == 0 { "globex" } else { "acme" };
        let c = case(
            &format!("case-{i:02}"),
            "Same subject",
            CaseStatus::Open,
            Some(integration),
            secs,
        );
        store.create_case(&c).await.expect("create");
        if integration == "acme" {
            expected_acme.push(c.id.0.clone());
        }
    }
    let acme = CaseFilter {
        integration_id: Some("acme".into()),
        ..Default::default()
    };
    for (filter, expected_len) in [(acme, expected_acme.len()), (CaseFilter::default(), 23)] {
        let got = walk(4, |cursor| {
            let filter = &filter;
            async move { store.list_cases(filter, cursor.as_deref(), 4).await }
        })
        .await;
        assert_eq!(got.len(), expected_len, "walk with {filter:?}");
        let mut seen: Vec<_> = got.iter().map(|c| c.id.0.clone()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), expected_len, "no case twice with {filter:?}");
        assert!(
            got.windows(2).all(|w| w[0].created_at >= w[1].created_at),
            "newest first with {filter:?}"
        );
        if filter.integration_id.is_some() {
            expected_acme.sort();
            assert_eq!(seen, expected_acme);
        }
    }
}

/// Filters follow updates: a case whose status changed is listed under its new status only.
pub async fn list_cases_follows_updates(store: &dyn CrmStore) {
    let c = case("case-1", "Printer jam", CaseStatus::Open, Some("acme"), 0);
    store.create_case(&c).await.expect("create");
    let mut closed = c.clone();
    closed.status = CaseStatus::Closed;
    closed.subject = "Printer fixed".into();
    store.update_case(&closed, 1).await.expect("update");

    let open = CaseFilter {
        status: Some(CaseStatus::Open),
        ..Default::default()
    };
    assert!(list_all(store, &open).await.is_empty(), "no longer open");
    let old_subject = CaseFilter {
        subject: Some("jam".into()),
        ..Default::default()
    };
    assert!(
        list_all(store, &old_subject).await.is_empty(),
        "old subject's words gone"
    );
    let now_closed = CaseFilter {
        status: Some(CaseStatus::Closed),
        subject: Some("Printer fixed".into()),
        ..Default::default()
    };
    assert_eq!(list_all(store, &now_closed).await, vec![closed]);
}

pub async fn list_cases_refuses_a_bad_cursor(store: &dyn CrmStore) {
    store
        .create_case(&case("case-1", "x", CaseStatus::Open, None, 0))
        .await
        .expect("create");
    let result = store
        .list_cases(&CaseFilter::default(), Some("not a cursor %%"), 10)
        .await;
    assert!(
        matches!(result, Err(StoreError::InvalidCursor)),
        "bad cursor: {result:?}"
    );
}

/// Putting a comment twice keeps one; putting it changed replaces it; oldest first.
pub async fn comments_put_is_idempotent_and_oldest_first(store: &dyn CrmStore) {
    let c = case("case-1", "x", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    let late = comment("cm-late", "case-1", "third", 30);
    let early = comment("cm-early", "case-1", "first", 10);
    let middle = comment("cm-middle", "case-1", "second", 20);
    for cm in [&late, &early, &middle, &late] {
        store.put_comment(cm).await.expect("put");
    }
    let mut edited = early.clone();
    edited.body = "first (redacted)".into();
    store.put_comment(&edited).await.expect("replace");
    store
        .put_comment(&comment("cm-other", "case-2", "elsewhere", 5))
        .await
        .expect("put");

    let listed = store.list_comments(&c.id).await.expect("list");
    assert_eq!(listed, vec![edited, middle, late]);
    assert!(
        store
            .list_comments(&CaseId::new("case-none"))
            .await
            .expect("list")
            .is_empty()
    );
}

/// Several comments in one call land like single puts: replaced by id (a repeated id keeps its
/// last version), listed oldest first, on their own cases; more than one request's worth (30)
/// at once; an empty call changes nothing.
pub async fn comments_put_together_land_like_single_puts(store: &dyn CrmStore) {
    let c = case("case-1", "x", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    let second = comment("cm-01", "case-1", "second", 2);
    store.put_comment(&second).await.expect("put one");
    let mut second_edited = second.clone();
    second_edited.body = "second (edited)".into();
    let mut batch: Vec<CaseComment> = (2..30)
        .rev()
        .map(|i| comment(&format!("cm-{i:02}"), "case-1", &format!("body {i}"), i + 1))
        .collect();
    let first = comment("cm-00", "case-1", "first", 1);
    let mut first_draft = first.clone();
    first_draft.body = "first (draft)".into();
    batch.insert(3, first_draft);
    batch.push(second_edited.clone());
    batch.push(first.clone());
    batch.push(comment("cm-99", "case-2", "elsewhere", 5));
    store.put_comments(&batch).await.expect("put several");
    store.put_comments(&[]).await.expect("put none");

    let listed = store.list_comments(&c.id).await.expect("list");
    assert_eq!(listed.len(), 30, "cm-00 … cm-29 once each");
    assert_eq!(listed[0], first, "a repeated id keeps its last version");
    assert_eq!(
        listed[1], second_edited,
        "a put replaces an earlier single put"
    );
    let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<String> = (0..30).map(|i| format!("cm-{i:02}")).collect();
    assert_eq!(ids, expected, "oldest first");
    assert_eq!(
        store
            .list_comments(&CaseId::new("case-2"))
            .await
            .expect("list")
            .len(),
        1
    );
}
