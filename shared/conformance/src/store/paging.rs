//! Paged job and log listings (docs/http-api.md `GET /integrations/{id}/jobs` and `/log`):
//! cursors walk every item once, newest first; the log filters by ticket and outcome.

use chrono::{Duration, Utc};
use zsync_core::ports::{CrmStore, LogFilter, StoreError};
use zsync_mapping::{IntegrationId, LogOutcome, ZendeskId};

use super::walk;
use crate::fixtures::{job, log_entry};

pub async fn jobs_page_with_cursors(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    // Pairs share a start time, to put ties across page borders.
    for i in 0..9 {
        let secs = i64::from(i / 2) * 10;
        store
            .create_job(&job("acme", &format!("job-{i}"), secs))
            .await
            .expect("create");
    }
    store
        .create_job(&job("globex", "other", 5))
        .await
        .expect("create");
    let walked = walk(2, |cursor| {
        let acme = &acme;
        async move { store.list_jobs_page(acme, cursor.as_deref(), 2).await }
    })
    .await;
    let mut ids: Vec<_> = walked.iter().map(|j| j.id.as_str().to_owned()).collect();
    assert!(
        walked
            .windows(2)
            .all(|w| w[0].started_at >= w[1].started_at),
        "newest first"
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9, "every job of the integration once: {ids:?}");
    let first = store.list_jobs_page(&acme, None, 50).await.expect("page");
    assert_eq!(first.items.len(), 9);
    assert_eq!(first.next_cursor, None, "one page holds them all");
}

pub async fn log_pages_with_cursors_and_filters(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let ttl = Duration::days(30);
    let now = Utc::now();
    let mut pushed_on_7 = 0;
    for i in 0..24_i64 {
        let ticket: ZendeskId = if i % 3 == 0 { 7 } else { 8 };
        let at = now + Duration::seconds(i / 2);
        let mut entry = log_entry("acme", ticket, at, &format!("entry {i}"));
        if i % 4 == 0 {
            entry.outcome = LogOutcome::Pushed;
            if ticket == 7 {
                pushed_on_7 += 1;
            }
        }
        store.append_log(&entry, ttl).await.expect("append");
    }
    store
        .append_log(&log_entry("globex", 7, now, "elsewhere"), ttl)
        .await
        .expect("append");

    let cases = [
        (LogFilter::default(), 24),
        (
            LogFilter {
                ticket_number: Some(7),
                ..LogFilter::default()
            },
            8,
        ),
        (
            LogFilter {
                outcome: Some(LogOutcome::Pushed),
                ..LogFilter::default()
            },
            6,
        ),
        (
            LogFilter {
                ticket_number: Some(7),
                outcome: Some(LogOutcome::Pushed),
            },
            pushed_on_7,
        ),
        (
            LogFilter {
                ticket_number: Some(99),
                ..LogFilter::default()
            },
            0,
        ),
    ];
    for (filter, expected) in cases {
        let walked = walk(3, |cursor| {
            let (acme, filter) = (&acme, &filter);
            async move {
                store
                    .list_log_page(acme, filter, cursor.as_deref(), 3)
                    .await
            }
        })
        .await;
        assert_eq!(walked.len(), expected, "{filter:?}: {walked:?}");
        assert!(
            walked.iter().all(|e| e.integration_id == acme
                && filter
                    .ticket_number
                    .is_none_or(|t| e.ticket_number == Some(t))
                && filter.outcome.is_none_or(|o| e.outcome == o)),
            "{filter:?}"
        );
        assert!(
            walked.windows(2).all(|w| w[0].at >= w[1].at),
            "newest first with {filter:?}"
        );
        let mut messages: Vec<_> = walked.iter().map(|e| e.message.as_str()).collect();
        messages.sort_unstable();
        messages.dedup();
        assert_eq!(messages.len(), expected, "no entry twice with {filter:?}");
    }
}

pub async fn job_and_log_pages_refuse_a_bad_cursor(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    store
        .create_job(&job("acme", "j", 0))
        .await
        .expect("create");
    let jobs = store
        .list_jobs_page(&acme, Some("not a cursor %%"), 10)
        .await;
    assert!(matches!(jobs, Err(StoreError::InvalidCursor)), "{jobs:?}");
    let log = store
        .list_log_page(&acme, &LogFilter::default(), Some("not a cursor %%"), 10)
        .await;
    assert!(matches!(log, Err(StoreError::InvalidCursor)), "{log:?}");
}
