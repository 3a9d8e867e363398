//! Conformance suites for the zendesk-sync ports: the same test bodies run against every adapter.
//!
//! Each port has a module of `pub async fn case(adapter: &dyn Port)` test bodies (they panic via
//! `assert!`, they are tests) and a macro that expands to one `#[tokio::test]` per case:
//!
//! ```ignore
//! use std::sync::Arc;
//! use zsync_conformance::Fresh;
//! use zsync_core::ports::CrmStore;
//!
//! async fn fresh_store() -> Fresh<dyn CrmStore> {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = MyStore::open(dir.path().join("db")).await.unwrap();
//!     Fresh::with_guard(Arc::new(store), dir)
//! }
//!
//! zsync_conformance::store_conformance_tests!(fresh_store);
//! ```
//!
//! The factory is called once per test and must return an isolated adapter (its own file, table,
//! queue or name prefix): cases assume they start from an empty store/queue. The invoking crate
//! needs `tokio` (with `macros` and `rt-multi-thread`) as a dependency. The generated tests live
//! in a module named after the suite (`store_conformance::…`), so several suites can share a file.

pub mod fixtures;
pub mod queue;
pub mod secrets;
pub mod store;

use std::any::Any;
use std::sync::Arc;

/// A fresh adapter for one test, plus whatever must live as long as it (a temp dir, a table to
/// drop at the end).
pub struct Fresh<T: ?Sized> {
    pub adapter: Arc<T>,
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<T: ?Sized> Fresh<T> {
    pub fn new(adapter: Arc<T>) -> Self {
        Self {
            adapter,
            guard: None,
        }
    }

    /// Keeps `guard` alive until the test ends.
    pub fn with_guard(adapter: Arc<T>, guard: impl Any + Send + Sync) -> Self {
        Self {
            adapter,
            guard: Some(Box::new(guard)),
        }
    }

    /// Whether a guard is attached (for adapters' own tests of the harness).
    pub fn has_guard(&self) -> bool {
        self.guard.is_some()
    }
}

/// Expands to one test per case of `$module`, each on a fresh adapter from `$make`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($suite:ident, $module:ident, $make:expr, [$($case:ident),* $(,)?]) => {
        #[allow(non_snake_case)]
        mod $suite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fresh = ($make)().await;
                    $crate::$module::$case(&*fresh.adapter).await;
                }
            )*
        }
    };
}
