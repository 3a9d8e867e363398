//! The local server's data survives a restart: store, queue (including a message that was in
//! flight when the process stopped) and secrets are reopened from the same files.

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use tempfile::TempDir;
use zsync_conformance::fixtures::{case, contact, integration, job, ticket_record};
use zsync_conformance::queue::changed;
use zsync_core::ports::{CaseFilter, CrmStore, SecretStore, SyncQueue};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore};
use zsync_mapping::{CaseStatus, IntegrationId, JobCounters};

#[tokio::test]
async fn store_keeps_its_data_across_a_restart() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("store.redb");
    let acme = IntegrationId::new("acme");
    {
        let store = EmbeddedStore::open(&path).await.expect("open");
        store
            .create_integration(&integration("acme"))
            .await
            .expect("integration");
        let c = case("case-1", "Printer", CaseStatus::Open, Some("acme"), 0);
        store
            .create_linked_case(&c, &ticket_record("acme", "case-1", 42))
            .await
            .expect("case");
        store
            .get_or_create_contact(&contact("c-1", "bob@example.com"))
            .await
            .expect("contact");
        store
            .create_job(&job("acme", "job-1", 0))
            .await
            .expect("job");
        let delta = JobCounters {
            tickets_seen: 3,
            ..Default::default()
        };
        store
            .add_job_counters(&acme, &"job-1".into(), &delta)
            .await
            .expect("counters");
    }
    let store = EmbeddedStore::open(&path).await.expect("reopen");
    assert!(store.get_integration(&acme).await.expect("get").is_some());
    let record = store
        .get_ticket_record(&acme, 42)
        .await
        .expect("get")
        .expect("record kept");
    assert_eq!(record.value.case_id.as_str(), "case-1");
    let listed = store
        .list_cases(
            &CaseFilter {
                integration_id: Some(acme.clone()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1, "indexes survive too");
    let again = store
        .get_or_create_contact(&contact("c-2", "bob@example.com"))
        .await
        .expect("contact");
    assert!(
        !again.created,
        "the e-mail index survives: no second contact"
    );
    let job = store
        .get_job(&acme, &"job-1".into())
        .await
        .expect("get")
        .expect("job");
    assert_eq!(job.value.counters.tickets_seen, 3);
}

#[tokio::test]
async fn queue_redelivers_in_flight_messages_after_a_restart() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("queue.redb");
    let stale_receipt = {
        let queue = EmbeddedQueue::open(&path).await.expect("open");
        queue
            .send(&[changed(1), changed(2), changed(3)])
            .await
            .expect("send");
        let got = queue
            .receive(2, Duration::minutes(10))
            .await
            .expect("receive");
        assert_eq!(got.len(), 2);
        // one in flight when the process stops, one rescheduled far ahead, one never received
        queue
            .retry_later(&got[1].receipt, Duration::minutes(10))
            .await
            .expect("retry later");
        queue.send_raw("garbage").await.expect("raw");
        let third = queue
            .receive(10, Duration::minutes(10))
            .await
            .expect("receive");
        assert_eq!(
            third.len(),
            1,
            "the garbage body is dead-lettered, not delivered"
        );
        got[0].receipt.clone()
    };
    let queue = EmbeddedQueue::open(&path).await.expect("reopen");
    assert_eq!(queue.depth().await.expect("depth"), 3, "nothing lost");
    let got = queue
        .receive(10, Duration::minutes(10))
        .await
        .expect("receive");
    let mut ids: Vec<_> = got
        .iter()
        .map(|d| (format!("{:?}", d.message), d.receive_count))
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            (format!("{:?}", changed(1)), 2),
            (format!("{:?}", changed(3)), 2)
        ],
        "in-flight messages are visible again at once; the delayed retry keeps its delay"
    );
    assert!(
        queue.ack(&stale_receipt).await.is_err(),
        "a receipt from before the restart is stale"
    );
    let dead = queue.dead_letters().await.expect("dead letters");
    assert_eq!(dead.len(), 1, "dead letters survive: {dead:?}");
    assert_eq!(dead[0].body, "garbage");
}

#[tokio::test]
async fn secrets_survive_a_restart() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("secrets.json");
    {
        let secrets = FileSecretStore::open(&path).await.expect("open");
        let token = SecretString::from("token-1".to_owned());
        secrets
            .put("integrations/acme/api-token", &token)
            .await
            .expect("put");
        secrets
            .put("integrations/acme/webhook-secret", &token)
            .await
            .expect("put");
        secrets
            .delete("integrations/acme/webhook-secret")
            .await
            .expect("delete");
    }
    let secrets = FileSecretStore::open(&path).await.expect("reopen");
    let token = secrets
        .get("integrations/acme/api-token")
        .await
        .expect("get");
    assert_eq!(token.as_ref().map(|t| t.expose_secret()), Some("token-1"));
    assert!(
        secrets
            .get("integrations/acme/webhook-secret")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn a_file_already_open_is_refused_with_an_error() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("store.redb");
    let _first = EmbeddedStore::open(&path).await.expect("open");
    let second = EmbeddedStore::open(&path).await;
    assert!(
        matches!(second, Err(zsync_embedded::OpenError::Database { .. })),
        "{second:?}"
    );
}
