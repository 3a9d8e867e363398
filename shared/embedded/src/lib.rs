//! Embedded adapters of the zendesk-sync ports for the local server: redb store and queue, file
//! secrets. Everything persists in files so a restarted local server keeps its data.
//!
//! redb is blocking; every transaction runs on tokio's blocking pool so the async runtime never
//! waits on disk I/O. redb allows one write transaction at a time, which makes every conditional
//! write (version check + write) atomic without further locking; concurrent writes share one
//! durable commit (`group_commit`).

mod blocking;
mod group_commit;

/// redb's page cache per database file. Its default (1 GiB) lets a long sync grow the local
/// server past 200 MiB of RSS; the working set (recent cases, indexes, the queue head) is small.
pub(crate) const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Opens (or creates) a redb file with the project's cache size.
pub(crate) fn open_database(path: &std::path::Path) -> Result<redb::Database, redb::DatabaseError> {
    redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
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
