//! Embedded adapters of the zendesk-sync ports for the local server: redb store and queue, file
//! secrets. Everything persists in files so a restarted local server keeps its data.
//!
//! redb is blocking; every transaction runs on tokio's blocking pool so the async runtime never
//! waits on disk I/O. redb allows one write transaction at a time, which makes every conditional
//! write (version check + write) atomic without further locking; concurrent writes share one
//! durable commit (`group_commit`).

mod blocking;
mod group_commit;

/// redb's page cache of the store file. Its default (1 GiB) lets a long sync grow the local
/// server past 200 MiB of RSS; the working set (recent cases, indexes) is small.
pub(crate) const STORE_CACHE_BYTES: usize = 32 * 1024 * 1024;
/// The queue file's: only its head is ever read, and each message is read about once.
pub(crate) const QUEUE_CACHE_BYTES: usize = 8 * 1024 * 1024;

/// Opens (or creates) a redb file with a page cache of `cache_bytes`.
pub(crate) fn open_database(
    path: &std::path::Path,
    cache_bytes: usize,
) -> Result<redb::Database, redb::DatabaseError> {
    redb::Builder::new()
        .set_cache_size(cache_bytes)
        .create(path)
}
pub mod queue;
pub mod secrets;
pub mod store;

pub use group_commit::WriteStats;
pub use queue::{DeadLetter, EmbeddedQueue, QueueOptions};
pub use secrets::FileSecretStore;
pub use store::EmbeddedStore;

/// Why an embedded adapter could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open database {path}: {reason}")]
    Database { path: String, reason: String },
    #[error("cannot use secret file {path}: {reason}")]
    SecretFile { path: String, reason: String },
}
