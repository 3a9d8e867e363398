//! The DynamoDB store against moto, beyond the shared conformance suite: the query plan (no
//! scans), bounded page filling, cursors, size and decoding errors, TTL. Races are in
//! aws_store_races.rs, the cost of a sync in aws_store_cost.rs.

mod aws_common;

use aws_common::{count, dynamo_client, fresh_counted_store, fresh_store, items_by_kind};
use chrono::{Duration, Utc};
use zsync_aws::aws_sdk_dynamodb::types::AttributeValue;
use zsync_conformance::fixtures::{case, comment, contact, log_entry};
use zsync_core::ports::{CaseFilter, CrmStore, StoreError};
use zsync_mapping::{CaseStatus, IntegrationId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_lists_query_indexes_and_never_scan() {
    let (store, counter) = fresh_counted_store().await;
    for i in 0..6 {
        let status = if i % 2 == 0 {
            CaseStatus::Open
        } else {
            CaseStatus::Closed
        };
        let integration = if i < 3 { Some("acme") } else { None };
        store
            .create_case(&case(&format!("c{i}"), "Printer", status, integration, i))
            .await
            .expect("create");
    }
    counter.reset();
    let filters = [
        CaseFilter::default(),
        CaseFilter {
            subject: Some("Printer".into()),
            ..Default::default()
        },
        CaseFilter {
            status: Some(CaseStatus::Open),
            ..Default::default()
        },
        CaseFilter {
            integration_id: Some("acme".into()),
            ..Default::default()
        },
        CaseFilter {
            subject: Some("Printer".into()),
            status: Some(CaseStatus::Open),
            integration_id: Some("acme".into()),
        },
    ];
    let expected = [6, 6, 3, 3, 2];
    for (filter, want) in filters.iter().zip(expected) {
        let page = store.list_cases(filter, None, 50).await.expect("list");
        assert_eq!(page.items.len(), want, "{filter:?}");
        assert!(page.next_cursor.is_none());
    }
    let stats = counter.snapshot();
    assert_eq!(counter.requests("Scan"), 0, "{stats:?}");
    assert_eq!(
        counter.requests("Query"),
        5,
        "one query per list: {stats:?}"
    );
}

/// A filter that matches rarely: pages are filled by reading on, within a request budget, and
/// the walk still finds every match exactly once, newest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rare_matches_fill_pages_within_a_bounded_number_of_queries() {
    let (store, counter) = fresh_counted_store().await;
    let mut open = Vec::new();
    for i in 0..120 {
        let status = if i % 30 == 7 {
            CaseStatus::Open
        } else {
            CaseStatus::Closed
        };
        let id = format!("c{i:03}");
        store
            .create_case(&case(&id, "Login", status, Some("acme"), i))
            .await
            .expect("create");
        if status == CaseStatus::Open {
            open.push(id);
        }
    }
    open.reverse();
    let filter = CaseFilter {
        status: Some(CaseStatus::Open),
        integration_id: Some(IntegrationId::new("acme")),
        ..Default::default()
    };
    let (found, _) = walk_bounded(&store, &counter, &filter, 2).await;
    assert_eq!(found, open, "every open case once, newest first");
}

/// Walks every page of `filter` with pages of `limit` (bounded), checking each page takes at
/// most 10 queries; returns the ids found and how many pages came back short with a cursor.
async fn walk_bounded(
    store: &dyn CrmStore,
    counter: &zsync_aws::RequestCounter,
    filter: &CaseFilter,
    limit: usize,
) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut short = 0;
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        counter.reset();
        let page = store
            .list_cases(filter, cursor.as_deref(), limit)
            .await
            .expect("page");
        assert!(page.items.len() <= limit);
        assert!(
            counter.requests("Query") <= 10,
            "bounded: {:?}",
            counter.snapshot()
        );
        if page.items.len() < limit && page.next_cursor.is_some() {
            short += 1;
        }
        found.extend(page.items.into_iter().map(|c| c.id.0));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (found, short),
        }
    }
    panic!("the walk did not end");
}

/// The subject word search is checked on the items read (DynamoDB cannot express it): with
/// rare matches a page stops after its request budget, short but with a cursor, and the walk
/// still finds every match exactly once, newest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rare_subject_words_fill_pages_within_a_bounded_number_of_queries() {
    let (store, counter) = fresh_counted_store().await;
    let mut jams = Vec::new();
    for i in 0..600 {
        let id = format!("c{i:03}");
        let subject = if [0, 5, 599].contains(&i) {
            "Printer JAM, again"
        } else {
            "Printer jammed"
        };
        store
            .create_case(&case(&id, subject, CaseStatus::Open, None, i))
            .await
            .expect("create");
        if subject.contains("JAM") {
            jams.push(id);
        }
    }
    jams.reverse();
    let filter = CaseFilter {
        subject: Some("jam printer".into()),
        ..Default::default()
    };
    let (found, short) = walk_bounded(&store, &counter, &filter, 2).await;
    assert_eq!(found, jams, "every match once, newest first");
    assert!(
        short >= 1,
        "a page ran out of requests and carried a cursor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_only_works_for_the_list_that_made_it() {
    let store = fresh_store().await;
    for i in 0..3 {
        store
            .create_case(&case(
                &format!("c{i}"),
                "x",
                CaseStatus::Open,
                Some("acme"),
                i,
            ))
            .await
            .expect("create");
    }
    let by_status = CaseFilter {
        status: Some(CaseStatus::Open),
        ..Default::default()
    };
    let cursor = store
        .list_cases(&by_status, None, 1)
        .await
        .expect("list")
        .next_cursor
        .expect("more pages");
    let by_integration = CaseFilter {
        integration_id: Some("acme".into()),
        ..Default::default()
    };
    let misuse = store.list_cases(&by_integration, Some(&cursor), 1).await;
    assert!(
        matches!(misuse, Err(StoreError::InvalidCursor)),
        "{misuse:?}"
    );
    let other_status = CaseFilter {
        status: Some(CaseStatus::Closed),
        ..Default::default()
    };
    let misuse = store.list_cases(&other_status, Some(&cursor), 1).await;
    assert!(
        matches!(misuse, Err(StoreError::InvalidCursor)),
        "{misuse:?}"
    );
    let users = store.list_users(Some(&cursor), 1).await;
    assert!(matches!(users, Err(StoreError::InvalidCursor)), "{users:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_over_400_kb_is_refused_clearly_and_nothing_is_written() {
    let store = fresh_store().await;
    let big = comment("cm-big", "case-1", &"x".repeat(420 * 1024), 0);
    let result = store.put_comment(&big).await;
    match result {
        Err(StoreError::Corrupt {
            entity: "comment",
            reason,
            ..
        }) => {
            assert!(reason.contains("400 KB"), "{reason}")
        }
        other => panic!("expected a size error, got {other:?}"),
    }
    assert!(
        store
            .list_comments(&big.case_id)
            .await
            .expect("list")
            .is_empty()
    );
    // just under the limit is fine
    let fits = comment("cm-fits", "case-1", &"y".repeat(380 * 1024), 0);
    store.put_comment(&fits).await.expect("fits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_stored_item_is_reported_not_a_panic() {
    let store = fresh_store().await;
    let c = case("case-1", "x", CaseStatus::Open, None, 0);
    store.create_case(&c).await.expect("create");
    dynamo_client(None)
        .await
        .update_item()
        .table_name(store.table_name())
        .key("PK", AttributeValue::S("CASE#case-1".into()))
        .key("SK", AttributeValue::S("CASE".into()))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", AttributeValue::N("17".into()))
        .send()
        .await
        .expect("corrupt the item");
    let got = store.get_case(&c.id).await;
    assert!(
        matches!(got, Err(StoreError::Corrupt { entity: "case", .. })),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_is_on_and_expired_items_count_as_absent_before_deletion() {
    let store = fresh_store().await;
    let client = dynamo_client(None).await;
    let ttl = client
        .describe_time_to_live()
        .table_name(store.table_name())
        .send()
        .await
        .expect("describe ttl");
    let description = ttl.time_to_live_description().expect("ttl description");
    assert_eq!(description.attribute_name(), Some("expires_at"));
    assert_eq!(
        description.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );

    let now = Utc::now();
    assert!(
        store
            .remember_once("evt-1", Duration::seconds(5), now)
            .await
            .expect("first")
    );
    let raw = client
        .get_item()
        .table_name(store.table_name())
        .key("PK", AttributeValue::S("DEDUPE#evt-1".into()))
        .key("SK", AttributeValue::S("DEDUPE".into()))
        .send()
        .await
        .expect("raw get")
        .item
        .expect("dedupe item");
    let expires = raw
        .get("expires_at")
        .and_then(|v| v.as_n().ok())
        .expect("ttl attribute");
    assert_eq!(
        expires,
        &(now + Duration::seconds(5)).timestamp().to_string(),
        "epoch seconds"
    );

    // After expiry the item is still there (TTL deletes lazily) but no longer counts.
    let later = now + Duration::seconds(6);
    assert!(
        store
            .remember_once("evt-1", Duration::seconds(5), later)
            .await
            .expect("expired")
    );
    assert!(
        store
            .acquire_lease("export/acme", "a", Duration::seconds(5), now)
            .await
            .expect("a")
    );
    assert!(
        store
            .acquire_lease("export/acme", "b", Duration::seconds(5), later)
            .await
            .expect("b")
    );

    store
        .append_log(
            &log_entry("acme", 1, now - Duration::hours(2), "old"),
            Duration::hours(1),
        )
        .await
        .expect("append");
    assert_eq!(
        count(&items_by_kind(&store).await, "sync_log"),
        1,
        "still stored"
    );
    assert!(
        store
            .list_log(&"acme".into(), 10)
            .await
            .expect("list")
            .is_empty(),
        "not listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_without_email_is_keyed_by_its_id() {
    let store = fresh_store().await;
    let mut anonymous = contact("c-1", "unused@example.com");
    anonymous.email = None;
    let first = store
        .get_or_create_contact(&anonymous)
        .await
        .expect("create");
    assert!(first.created);
    let mut renamed = anonymous.clone();
    renamed.first_name = "Other".into();
    let again = store.get_or_create_contact(&renamed).await.expect("get");
    assert!(!again.created);
    assert_eq!(
        again.contact, anonymous,
        "the stored contact, not the new candidate"
    );
    let kinds = items_by_kind(&store).await;
    assert_eq!(count(&kinds, "contact"), 1, "no e-mail item: {kinds:?}");
}
