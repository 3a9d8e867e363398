//! The DynamoDB store against moto, beyond the shared conformance suite: races checked down to
//! the raw items, the query plan (no scans), bounded page filling, size and decoding errors,
//! TTL, and the requests one ticket's first sync costs.

mod aws_common;

use std::collections::BTreeMap;

use aws_common::{concurrently, dynamo_client, fresh_counted_store, fresh_store};
use chrono::{Duration, Utc};
use zsync_aws::DynamoStore;
use zsync_aws::aws_sdk_dynamodb::types::AttributeValue;
use zsync_conformance::fixtures::{case, comment, contact, job, log_entry, ticket_record};
use zsync_core::ports::{CaseFilter, CrmStore, StoreError};
use zsync_mapping::{CaseStatus, IntegrationId, JobCounters};

/// Every item of the table by kind (`entity`), read with a Scan: a test's view behind the port.
async fn items_by_kind(store: &DynamoStore) -> BTreeMap<String, Vec<String>> {
    let client = dynamo_client(None).await;
    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut start = None;
    for _ in 0..50 {
        let out = client
            .scan()
            .table_name(store.table_name())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for item in out.items() {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(v)) => v.clone(),
                _ => String::new(),
            };
            kinds.entry(text("entity")).or_default().push(text("PK"));
        }
        match out.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return kinds,
        }
    }
    panic!("scan did not end");
}

fn count(kinds: &BTreeMap<String, Vec<String>>, kind: &str) -> usize {
    kinds.get(kind).map_or(0, Vec::len)
}

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
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        counter.reset();
        let page = store
            .list_cases(&filter, cursor.as_deref(), 2)
            .await
            .expect("page");
        assert!(page.items.len() <= 2);
        assert!(
            counter.requests("Query") <= 10,
            "bounded: {:?}",
            counter.snapshot()
        );
        found.extend(page.items.into_iter().map(|c| c.id.0));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(found, open, "every open case once, newest first");
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

/// The requests (and, by AWS's published rules applied to the real item sizes, the capacity
/// units) of the store calls one ticket's first sync makes. Printed for the issue note; run with
/// `--nocapture` to see the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_of_one_ticket_request_budget() {
    let (store, counter) = fresh_counted_store().await;
    let acme = IntegrationId::new("acme");
    store
        .create_job(&job("acme", "job-1", 0))
        .await
        .expect("job");
    let mut steps: Vec<(&str, zsync_aws::OperationStats)> = Vec::new();
    let mut step = |name, counter: &zsync_aws::RequestCounter| {
        steps.push((name, counter.total()));
        counter.reset();
    };
    counter.reset();

    assert!(
        store
            .get_ticket_record(&acme, 35436)
            .await
            .expect("get")
            .is_none()
    );
    step("get_ticket_record (miss)", &counter);
    for (i, email) in ["requester@example.com", "cc@example.com"]
        .iter()
        .enumerate()
    {
        let made = store
            .get_or_create_contact(&contact(&format!("c{i}"), email))
            .await
            .expect("contact");
        assert!(made.created);
        step("get_or_create_contact (new)", &counter);
    }
    store
        .get_or_create_contact(&contact("c9", "requester@example.com"))
        .await
        .expect("contact");
    step("get_or_create_contact (existing)", &counter);
    let mut c = case(
        "case-1",
        "Help, my printer is on fire!",
        CaseStatus::Open,
        Some("acme"),
        0,
    );
    c.description = "The printer is on fire. ".repeat(20);
    store
        .create_linked_case(&c, &ticket_record("acme", "case-1", 35436))
        .await
        .expect("linked");
    step("create_linked_case", &counter);
    for i in 0..3 {
        let body = format!("Comment {i}: ").repeat(30);
        store
            .put_comment(&comment(&format!("zd-{i}"), "case-1", &body, i))
            .await
            .expect("comment");
        step("put_comment", &counter);
    }
    let delta = JobCounters {
        tickets_seen: 1,
        cases_created: 1,
        ..Default::default()
    };
    store
        .add_job_counters(&acme, &"job-1".into(), &delta)
        .await
        .expect("counters");
    step("add_job_counters", &counter);
    store
        .append_log(
            &log_entry("acme", 35436, Utc::now(), "created case-1"),
            Duration::days(30),
        )
        .await
        .expect("log");
    step("append_log", &counter);

    println!(
        "\n{:<34} {:>4} {:>6} {:>6} {:>7} {:>7}",
        "call", "reqs", "WCU", "RCU", "B out", "B in"
    );
    let mut total = zsync_aws::OperationStats::default();
    for (name, s) in &steps {
        println!(
            "{name:<34} {:>4} {:>6.1} {:>6.1} {:>7} {:>7}",
            s.requests, s.write_units, s.read_units, s.bytes_written, s.bytes_read
        );
        total.requests += s.requests;
        total.write_units += s.write_units;
        total.read_units += s.read_units;
    }
    println!(
        "{:<34} {:>4} {:>6.1} {:>6.1}",
        "first sync, 2 new contacts", total.requests, total.write_units, total.read_units
    );

    let requests: Vec<u64> = steps.iter().map(|(_, s)| s.requests).collect();
    // miss: 1 GetItem; new contact: GetItem + TransactWriteItems; existing: GetItem;
    // linked case: 1 transaction; each comment, the counters, the log: 1 write each.
    assert_eq!(requests, [1, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(total.requests, 12);
}
