//! The push outbox: marked in the same write as the case or comment, cleared only if unchanged.

use zsync_core::ports::{CrmStore, PendingPush};
use zsync_mapping::{CaseStatus, IntegrationId};

use super::is_conflict;
use crate::fixtures::{case, comment};

fn entry(integration: &str, case: &str, fields: bool, comments: bool, marks: u64) -> PendingPush {
    PendingPush {
        integration_id: IntegrationId::new(integration),
        case_id: zsync_mapping::CaseId::new(case),
        fields,
        comments,
        marks,
    }
}

/// An edit and a comment mark one entry per case (created by the first, bumped by each); a
/// clear with the marks it read removes it, a clear after a newer mark keeps it.
pub async fn outbox_marks_accumulate_and_clear_only_what_was_seen(store: &dyn CrmStore) {
    let int = IntegrationId::new("int-1");
    let c = case("case-1", "Printer", CaseStatus::Open, Some("int-1"), 0);
    store.create_case(&c).await.expect("create");
    assert_eq!(
        store.get_pending_push(&int, &c.id).await.expect("get"),
        None
    );

    let mut edited = c.clone();
    edited.status = CaseStatus::InProgress;
    let v2 = store
        .update_case_marking_push(&edited, 1, &int)
        .await
        .expect("update");
    assert_eq!(v2, 2);
    let got = store.get_case(&c.id).await.expect("get").expect("case");
    assert_eq!((got.value, got.version), (edited.clone(), 2));
    assert_eq!(
        store.get_pending_push(&int, &c.id).await.expect("get"),
        Some(entry("int-1", "case-1", true, false, 1))
    );

    let note = comment("cm-1", "case-1", "hello", 10);
    store
        .put_comment_marking_push(&note, &int)
        .await
        .expect("comment");
    assert_eq!(store.list_comments(&c.id).await.expect("list"), vec![note]);
    let seen = store
        .get_pending_push(&int, &c.id)
        .await
        .expect("get")
        .expect("entry");
    assert_eq!(seen, entry("int-1", "case-1", true, true, 2));

    // A newer edit lands between the push's read and its clear: the entry stays.
    let mut again = edited.clone();
    again.subject = "Printer (2)".into();
    store
        .update_case_marking_push(&again, 2, &int)
        .await
        .expect("update");
    assert!(
        !store
            .clear_pending_push(&int, &c.id, seen.marks)
            .await
            .expect("clear")
    );
    let newer = store
        .get_pending_push(&int, &c.id)
        .await
        .expect("get")
        .expect("entry kept");
    assert_eq!(newer.marks, 3);
    assert!(
        store
            .clear_pending_push(&int, &c.id, newer.marks)
            .await
            .expect("clear")
    );
    assert_eq!(
        store.get_pending_push(&int, &c.id).await.expect("get"),
        None
    );
    // Clearing what is gone is not an error.
    assert!(
        !store
            .clear_pending_push(&int, &c.id, newer.marks)
            .await
            .expect("clear again")
    );
}

/// A refused case update writes no mark (one atomic write); a list names an integration's
/// entries only, at most `limit`.
pub async fn outbox_mark_is_written_only_with_its_case(store: &dyn CrmStore) {
    let int = IntegrationId::new("int-1");
    let other = IntegrationId::new("int-2");
    let c = case("case-1", "x", CaseStatus::Open, Some("int-1"), 0);
    store.create_case(&c).await.expect("create");
    let mut edited = c.clone();
    edited.status = CaseStatus::Closed;
    let stale = store.update_case_marking_push(&edited, 7, &int).await;
    assert!(is_conflict(&stale), "stale update: {stale:?}");
    assert_eq!(
        store.get_pending_push(&int, &c.id).await.expect("get"),
        None
    );
    let missing = case("case-missing", "x", CaseStatus::Open, Some("int-1"), 0);
    assert!(
        store
            .update_case_marking_push(&missing, 1, &int)
            .await
            .is_err()
    );
    assert!(store.get_case(&missing.id).await.expect("get").is_none());
    assert_eq!(
        store
            .get_pending_push(&int, &missing.id)
            .await
            .expect("get"),
        None
    );

    for i in 0..3 {
        let id = format!("case-{i}");
        store
            .put_comment_marking_push(&comment(&format!("cm-{i}"), &id, "b", i), &int)
            .await
            .expect("mark");
    }
    store
        .put_comment_marking_push(&comment("cm-x", "case-x", "b", 0), &other)
        .await
        .expect("mark");
    let mut listed: Vec<String> = store
        .list_pending_pushes(&int, 10)
        .await
        .expect("list")
        .into_iter()
        .map(|p| {
            assert_eq!(p.integration_id, int);
            assert!(p.comments && !p.fields && p.marks == 1);
            p.case_id.to_string()
        })
        .collect();
    listed.sort();
    assert_eq!(listed, vec!["case-0", "case-1", "case-2"]);
    assert_eq!(
        store
            .list_pending_pushes(&int, 2)
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        store.list_pending_pushes(&other, 10).await.expect("list"),
        vec![entry("int-2", "case-x", false, true, 1)]
    );
}
