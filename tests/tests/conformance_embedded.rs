//! The port conformance suites run against the embedded adapters, each test on its own
//! temporary directory.

use std::sync::Arc;

use tempfile::TempDir;
use zsync_conformance::Fresh;
use zsync_conformance::queue::{DeadLetterView, QueueInspection};
use zsync_core::ports::{CrmStore, QueueResult, SecretStore, SyncQueue};
use zsync_embedded::{EmbeddedQueue, EmbeddedStore, FileSecretStore};

async fn fresh_store() -> Fresh<dyn CrmStore> {
    let dir = TempDir::new().expect("temp dir");
    let store = EmbeddedStore::open(dir.path().join("store.redb"))
        .await
        .expect("open store");
    Fresh::with_guard(Arc::new(store), dir)
}

async fn open_queue() -> (Arc<EmbeddedQueue>, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    let queue = EmbeddedQueue::open(dir.path().join("queue.redb"))
        .await
        .expect("open queue");
    (Arc::new(queue), dir)
}

async fn fresh_queue() -> Fresh<dyn SyncQueue> {
    let (queue, dir) = open_queue().await;
    Fresh::with_guard(queue, dir)
}

/// The embedded queue's own hooks, seen through the suite's inspection trait.
struct Inspect(Arc<EmbeddedQueue>);

#[async_trait::async_trait]
impl QueueInspection for Inspect {
    async fn send_raw(&self, body: &str) -> QueueResult<()> {
        self.0.send_raw(body).await
    }

    async fn dead_letters(&self) -> QueueResult<Vec<DeadLetterView>> {
        let letters = self.0.dead_letters().await?;
        Ok(letters
            .into_iter()
            .map(|d| DeadLetterView {
                body: d.body,
                reason: d.reason,
            })
            .collect())
    }
}

async fn inspectable_queue() -> (Fresh<dyn SyncQueue>, Arc<dyn QueueInspection>) {
    let (queue, dir) = open_queue().await;
    let inspect = Arc::new(Inspect(Arc::clone(&queue)));
    (Fresh::with_guard(queue, dir), inspect)
}

async fn fresh_secrets() -> Fresh<dyn SecretStore> {
    let dir = TempDir::new().expect("temp dir");
    let secrets = FileSecretStore::open(dir.path().join("secrets.json"))
        .await
        .expect("open secrets");
    Fresh::with_guard(Arc::new(secrets), dir)
}

zsync_conformance::store_conformance_tests!(fresh_store);
zsync_conformance::queue_conformance_tests!(fresh_queue);
zsync_conformance::queue_inspection_conformance_tests!(inspectable_queue);
zsync_conformance::secrets_conformance_tests!(fresh_secrets);
