//! Purging a deleted integration's sync data (docs/sync-rules.md §2 lifecycle) in bounded,
//! resumable steps.

use chrono::Duration;
use zsync_core::ports::CrmStore;
use zsync_mapping::{CaseId, CaseStatus, IntegrationId};

use super::accounts::cases_of;
use crate::fixtures::{case, export_cursor, job, log_entry, ticket_record};

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
