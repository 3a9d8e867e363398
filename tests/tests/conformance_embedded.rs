//! The port conformance suites run against the embedded adapters, each test on its own
//! temporary directory.

use std::sync::Arc;

use tempfile::TempDir;
use zsync_conformance::Fresh;
use zsync_core::ports::CrmStore;
use zsync_embedded::EmbeddedStore;

async fn fresh_store() -> Fresh<dyn CrmStore> {
    let dir = TempDir::new().expect("temp dir");
    let store = EmbeddedStore::open(dir.path().join("store.redb"))
        .await
        .expect("open store");
    Fresh::with_guard(Arc::new(store), dir)
}

zsync_conformance::store_conformance_tests!(fresh_store);
