//! Sync jobs, export cursors, the sync log, dedupe keys and leases.

use chrono::{Duration, Utc};
use zsync_core::ports::{CrmStore, StoreError};
use zsync_mapping::{IntegrationId, JobCounters, JobId, JobState};

use super::{is_already_exists, is_conflict};
use crate::fixtures::{at, export_cursor, job, log_entry};

pub async fn jobs_lifecycle_newest_first(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    for (id, secs) in [("job-b", 20), ("job-a", 10), ("job-c", 30)] {
        store
            .create_job(&job("acme", id, secs))
            .await
            .expect("create");
    }
    store
        .create_job(&job("globex", "job-x", 40))
        .await
        .expect("create other");
    let dup = store.create_job(&job("acme", "job-a", 99)).await;
    assert!(is_already_exists(&dup), "second create: {dup:?}");

    let listed: Vec<_> = store
        .list_jobs(&acme, 10)
        .await
        .expect("list")
        .into_iter()
        .map(|j| j.id.0)
        .collect();
    assert_eq!(
        listed,
        ["job-c", "job-b", "job-a"],
        "newest first, own integration only"
    );
    let two = store.list_jobs(&acme, 2).await.expect("list");
    assert_eq!(two.len(), 2, "limit respected");

    let got = store
        .get_job(&acme, &JobId::new("job-a"))
        .await
        .expect("get")
        .expect("job");
    assert_eq!(
        (got.value.clone(), got.version),
        (job("acme", "job-a", 10), 1)
    );
    assert!(
        store
            .get_job(&acme, &JobId::new("job-x"))
            .await
            .expect("get")
            .is_none()
    );

    let mut running = got.value.clone();
    running.state = JobState::Running;
    let v2 = store.update_job(&running, 1).await.expect("update");
    let stale = store.update_job(&got.value, 1).await;
    assert!(is_conflict(&stale), "stale update: {stale:?}");
    let now = store
        .get_job(&acme, &running.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((now.value, now.version), (running, v2));
}

pub async fn job_counters_are_added(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let j = job("acme", "job-1", 0);
    store.create_job(&j).await.expect("create");
    let delta = JobCounters {
        tickets_seen: 2,
        cases_created: 1,
        ..Default::default()
    };
    store
        .add_job_counters(&acme, &j.id, &delta)
        .await
        .expect("add");
    let after = store
        .add_job_counters(&acme, &j.id, &delta)
        .await
        .expect("add");
    assert_eq!(
        (
            after.id.clone(),
            after.counters.tickets_seen,
            after.counters.cases_created
        ),
        (j.id.clone(), 4, 2),
        "add_job_counters answers with the job as stored after the addition"
    );
    let got = store
        .get_job(&acme, &j.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(
        got.value.counters,
        JobCounters {
            tickets_seen: 4,
            cases_created: 2,
            ..Default::default()
        }
    );
    assert_eq!(got.value.state, j.state, "only counters change");

    let missing = store
        .add_job_counters(&acme, &JobId::new("job-none"), &delta)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "missing job: {missing:?}"
    );
    assert!(
        store
            .get_job(&acme, &JobId::new("job-none"))
            .await
            .expect("get")
            .is_none()
    );
}

/// Counters added after a job was read are never lost by an update from that older read:
/// the update either conflicts or keeps them.
pub async fn job_counters_survive_a_stale_update(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let j = job("acme", "job-1", 0);
    store.create_job(&j).await.expect("create");
    let read = store
        .get_job(&acme, &j.id)
        .await
        .expect("get")
        .expect("job");
    let delta = JobCounters {
        tickets_seen: 5,
        ..Default::default()
    };
    store
        .add_job_counters(&acme, &j.id, &delta)
        .await
        .expect("add");

    let mut finished = read.value.clone();
    finished.state = JobState::Succeeded;
    let result = store.update_job(&finished, read.version).await;
    let after = store
        .get_job(&acme, &j.id)
        .await
        .expect("get")
        .expect("job");
    match result {
        Err(StoreError::VersionConflict { .. }) => {}
        Ok(_) => assert_eq!(after.value.counters.tickets_seen, 5, "update lost counters"),
        Err(other) => panic!("unexpected error: {other:?}"),
    }
    assert_eq!(after.value.counters.tickets_seen, 5);
}

pub async fn export_cursor_versions(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    assert!(store.get_export_cursor(&acme).await.expect("get").is_none());
    let first = export_cursor("acme", None);
    let v1 = store.put_export_cursor(&first, 0).await.expect("first put");
    let again = store
        .put_export_cursor(&export_cursor("acme", Some("other")), 0)
        .await;
    assert!(is_conflict(&again), "0 means must not exist: {again:?}");
    let got = store
        .get_export_cursor(&acme)
        .await
        .expect("get")
        .expect("cursor");
    assert_eq!((got.value, got.version), (first, v1));

    let next = export_cursor("acme", Some("page-2"));
    let v2 = store.put_export_cursor(&next, v1).await.expect("advance");
    assert_ne!(v1, v2);
    let stale = store
        .put_export_cursor(&export_cursor("acme", Some("page-1b")), v1)
        .await;
    assert!(is_conflict(&stale), "stale cursor write: {stale:?}");
    let got = store
        .get_export_cursor(&acme)
        .await
        .expect("get")
        .expect("cursor");
    assert_eq!((got.value, got.version), (next, v2));
    assert!(
        store
            .get_export_cursor(&IntegrationId::new("globex"))
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn log_is_newest_first_and_limited(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let ttl = Duration::days(30);
    let now = Utc::now();
    // appended out of order; two entries share a timestamp and must both be kept
    for (ticket, secs) in [(2, 20), (1, 10), (3, 30), (4, 30)] {
        let entry = log_entry("acme", ticket, now + Duration::seconds(secs), "applied");
        store.append_log(&entry, ttl).await.expect("append");
    }
    store
        .append_log(&log_entry("globex", 9, now, "elsewhere"), ttl)
        .await
        .expect("append");

    let listed = store.list_log(&acme, 10).await.expect("list");
    assert_eq!(
        listed.len(),
        4,
        "own integration only, nothing merged: {listed:?}"
    );
    assert!(
        listed.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    let mut tickets: Vec<_> = listed[..2].iter().filter_map(|e| e.ticket_number).collect();
    tickets.sort();
    assert_eq!(tickets, [3, 4]);
    assert_eq!(listed[3].ticket_number, Some(1));
    assert_eq!(
        store.list_log(&acme, 2).await.expect("list").len(),
        2,
        "limit respected"
    );
}

/// An entry is gone from the log once its ttl has passed (the adapter may purge lazily, but
/// must not list it).
pub async fn log_entries_expire(store: &dyn CrmStore) {
    let acme = IntegrationId::new("acme");
    let now = Utc::now();
    store
        .append_log(
            &log_entry("acme", 1, now, "short-lived"),
            Duration::seconds(1),
        )
        .await
        .expect("append");
    store
        .append_log(&log_entry("acme", 2, now, "kept"), Duration::days(1))
        .await
        .expect("append");
    assert_eq!(store.list_log(&acme, 10).await.expect("list").len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let left = store.list_log(&acme, 10).await.expect("list");
    assert_eq!(left.len(), 1, "expired entry still listed: {left:?}");
    assert_eq!(left[0].message, "kept");
}

pub async fn forget_lets_a_key_be_remembered_again(store: &dyn CrmStore) {
    let ttl = Duration::seconds(60);
    assert!(
        store
            .remember_once("event-9", ttl, at(0))
            .await
            .expect("first")
    );
    store.forget("event-9").await.expect("forget");
    assert!(
        store
            .remember_once("event-9", ttl, at(1))
            .await
            .expect("again"),
        "a forgotten key must count as new"
    );
    assert!(
        !store
            .remember_once("event-9", ttl, at(2))
            .await
            .expect("seen")
    );
    store
        .forget("never-remembered")
        .await
        .expect("forget is idempotent");
}

pub async fn remember_once_until_ttl(store: &dyn CrmStore) {
    let ttl = Duration::seconds(60);
    assert!(
        store
            .remember_once("event-1", ttl, at(0))
            .await
            .expect("first")
    );
    assert!(
        !store
            .remember_once("event-1", ttl, at(1))
            .await
            .expect("seen")
    );
    assert!(
        !store
            .remember_once("event-1", ttl, at(59))
            .await
            .expect("still seen")
    );
    assert!(
        store
            .remember_once("event-2", ttl, at(1))
            .await
            .expect("other key")
    );
    assert!(
        store
            .remember_once("event-1", ttl, at(61))
            .await
            .expect("after ttl")
    );
    assert!(
        !store
            .remember_once("event-1", ttl, at(62))
            .await
            .expect("seen again")
    );
}

pub async fn lease_lifecycle(store: &dyn CrmStore) {
    let ttl = Duration::seconds(30);
    let lease = "export/acme";
    assert!(
        store
            .acquire_lease(lease, "a", ttl, at(0))
            .await
            .expect("take")
    );
    assert!(
        !store
            .acquire_lease(lease, "b", ttl, at(10))
            .await
            .expect("held by a")
    );
    assert!(
        store
            .acquire_lease(lease, "a", ttl, at(10))
            .await
            .expect("renew until 40")
    );
    assert!(
        !store
            .acquire_lease(lease, "b", ttl, at(35))
            .await
            .expect("renewal holds")
    );
    assert!(
        store
            .acquire_lease("export/globex", "b", ttl, at(35))
            .await
            .expect("other lease")
    );
    assert!(
        store
            .acquire_lease(lease, "b", ttl, at(41))
            .await
            .expect("expired, b takes it")
    );
    assert!(
        !store
            .acquire_lease(lease, "a", ttl, at(42))
            .await
            .expect("b holds it")
    );

    store
        .release_lease(lease, "a")
        .await
        .expect("release by non-holder is harmless");
    assert!(
        !store
            .acquire_lease(lease, "a", ttl, at(43))
            .await
            .expect("still b's")
    );
    store.release_lease(lease, "b").await.expect("release");
    store
        .release_lease(lease, "b")
        .await
        .expect("release again");
    assert!(
        store
            .acquire_lease(lease, "a", ttl, at(44))
            .await
            .expect("free after release")
    );
}
