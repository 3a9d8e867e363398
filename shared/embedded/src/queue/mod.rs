//! The embedded sync queue: a redb file with visibility timeouts, redelivery counts, delayed
//! retries and a dead-letter area — the SQS behaviour the consumers rely on.

mod ops;
mod port;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zsync_core::ports::{QueueError, QueueResult};
use zsync_mapping::Timestamp;

use crate::OpenError;
use crate::blocking::{backend, read, run, write};
use crate::group_commit::GroupedDatabase;

/// Tunables; the defaults mirror the SQS queue in `template.yaml`.
#[derive(Clone, Copy, Debug)]
pub struct QueueOptions {
    /// After this many receives a message is dead-lettered ("max receives exceeded") instead
    /// of being delivered again (SQS `maxReceiveCount`).
    pub max_receives: u32,
    /// Largest encoded message accepted (SQS: 256 KiB), so oversized messages fail locally too.
    /// Like SQS, a body with a character outside XML 1.0's `Char` set is refused.
    pub max_message_bytes: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            max_receives: 5,
            max_message_bytes: 256 * 1024,
        }
    }
}

/// A message in the dead-letter area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: u64,
    /// The message body as it was sent.
    pub body: String,
    pub reason: String,
    pub receive_count: u32,
    pub dead_lettered_at: Timestamp,
}

/// The embedded `SyncQueue`. Cheap to clone; clones share the open database.
#[derive(Clone)]
pub struct EmbeddedQueue {
    db: Arc<GroupedDatabase>,
    options: QueueOptions,
}

impl std::fmt::Debug for EmbeddedQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedQueue")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn io(error: impl Into<redb::Error>) -> QueueError {
    backend(error)
}

impl EmbeddedQueue {
    /// Opens (or creates) the queue file at `path` with default options.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(path, QueueOptions::default()).await
    }

    /// Opens (or creates) the queue file. Messages that were in flight when the previous process
    /// stopped become visible at once: their consumers died with it.
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: QueueOptions,
    ) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let fail = |reason: String| OpenError::Database {
            path: shown.clone(),
            reason,
        };
        let db = tokio::task::spawn_blocking(move || {
            crate::open_database(&path, crate::QUEUE_CACHE_BYTES)
        })
        .await
        .map_err(|e| fail(e.to_string()))?
        .map_err(|e| fail(e.to_string()))?;
        let db = GroupedDatabase::new(db);
        let released = run(&db, |db| {
            let txn = db.begin_write().map_err(io)?;
            let released = ops::recover(&txn)?;
            txn.commit().map_err(io)?;
            Ok::<_, QueueError>(released)
        })
        .await
        .map_err(|e| fail(e.to_string()))?;
        if released > 0 {
            tracing::info!(
                released,
                "queue: in-flight messages of the previous run are visible again"
            );
        }
        Ok(Self { db, options })
    }

    /// Enqueues a body as it is, without the envelope encoding: for tests of undecodable
    /// messages and for tools that replay dead letters. Refused like SQS would refuse it (size,
    /// characters).
    pub async fn send_raw(&self, body: &str) -> QueueResult<()> {
        let bodies = vec![body.to_owned()];
        let limit = self.options.max_message_bytes;
        write(&self.db, move |txn| ops::send(txn, &bodies, limit)).await
    }

    /// Writes and commits since the file was opened (group commit at work).
    pub fn write_stats(&self) -> crate::WriteStats {
        self.db.stats()
    }

    /// Everything in the dead-letter area, oldest first.
    pub async fn dead_letters(&self) -> QueueResult<Vec<DeadLetter>> {
        read(&self.db, ops::dead_letters).await
    }
}
