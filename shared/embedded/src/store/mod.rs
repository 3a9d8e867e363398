//! The embedded CRM store: one redb file.

mod accounts;
mod cases;
mod contact_links;
mod expiring;
mod jobs;
mod outbox;
mod port;
mod purge;
mod records;
mod schema;

use std::path::Path;
use std::sync::Arc;

use zsync_core::ports::StoreError;

use crate::OpenError;
use crate::blocking::{backend, run};
use crate::group_commit::GroupedDatabase;

/// Maps a redb error to `StoreError::Unavailable`.
fn io(error: impl Into<redb::Error>) -> StoreError {
    backend(error)
}

/// The embedded `CrmStore`. Cheap to clone; all clones share the open database.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<GroupedDatabase>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the store file at `path`. A file is open in one process at a time.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let opened = tokio::task::spawn_blocking(move || {
            crate::open_database(&path, crate::STORE_CACHE_BYTES)
        })
        .await;
        let db = match opened {
            Ok(Ok(db)) => GroupedDatabase::new(db),
            Ok(Err(e)) => {
                return Err(OpenError::Database {
                    path: shown,
                    reason: e.to_string(),
                });
            }
            Err(e) => {
                return Err(OpenError::Database {
                    path: shown,
                    reason: e.to_string(),
                });
            }
        };
        run(&db, |db| {
            let txn = db.begin_write().map_err(io)?;
            schema::create_tables(&txn)?;
            txn.commit().map_err(io)
        })
        .await
        .map_err(|e: StoreError| OpenError::Database {
            path: shown,
            reason: e.to_string(),
        })?;
        Ok(Self { db })
    }

    /// Writes and commits since the file was opened (group commit at work).
    pub fn write_stats(&self) -> crate::WriteStats {
        self.db.stats()
    }
}
