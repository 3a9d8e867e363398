//! Embedded adapters of the zendesk-sync ports for the local server: redb store and queue, file
//! secrets. Everything persists in files so a restarted local server keeps its data.
//!
//! redb is blocking; every transaction runs on tokio's blocking pool so the async runtime never
//! waits on disk I/O. redb allows one write transaction at a time, which makes every conditional
//! write (version check + write) atomic without further locking.

mod blocking;
pub mod queue;
pub mod secrets;
pub mod store;

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
