//! Running redb transactions off the async runtime.

use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, WriteTransaction};

use crate::group_commit::GroupedDatabase;

/// Errors the blocking helpers need to build; each port has its own error type.
pub(crate) trait BackendError: Sized {
    fn backend(reason: String) -> Self;
}

impl BackendError for zsync_core::ports::StoreError {
    fn backend(reason: String) -> Self {
        Self::Unavailable(reason)
    }
}

impl BackendError for zsync_core::ports::QueueError {
    fn backend(reason: String) -> Self {
        Self::Unavailable(reason)
    }
}

/// Maps any redb error to the port's "unavailable" error.
pub(crate) fn backend<E: BackendError>(error: impl Into<redb::Error>) -> E {
    E::backend(error.into().to_string())
}

/// Runs `work` on the blocking pool with the database.
pub(crate) async fn run<T, E, F>(db: &Arc<GroupedDatabase>, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: BackendError + Send + 'static,
    F: FnOnce(&Database) -> Result<T, E> + Send + 'static,
{
    let db = Arc::clone(db);
    tokio::task::spawn_blocking(move || work(db.database()))
        .await
        .unwrap_or_else(|join| Err(E::backend(format!("database task failed: {join}"))))
}

/// Runs `work` in a write transaction, committed only if it succeeds (else rolled back); see
/// [`GroupedDatabase::write`] (`work` may run more than once).
pub(crate) async fn write<T, E, F>(db: &Arc<GroupedDatabase>, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: BackendError + Send + 'static,
    F: Fn(&WriteTransaction) -> Result<T, E> + Send + 'static,
{
    db.write(work).await
}

/// Runs `work` in one read transaction (a consistent snapshot).
pub(crate) async fn read<T, E, F>(db: &Arc<GroupedDatabase>, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: BackendError + Send + 'static,
    F: FnOnce(&ReadTransaction) -> Result<T, E> + Send + 'static,
{
    run(db, move |db| {
        let txn = db.begin_read().map_err(backend)?;
        work(&txn)
    })
    .await
}
