//! Group commit: concurrent writes to one redb file share one durable transaction.
//!
//! Every embedded write used to be its own transaction, and each durable commit costs an fsync
//! plus redb's per-commit bookkeeping; during a sync, queue workers and the export issue
//! thousands of small writes a second. Here a write is queued; one writer at a time (the
//! leader, on the blocking pool) takes everything queued, runs it in one transaction and commits
//! once. Callers still hear back only after the commit that holds their write, so a returned
//! write is as durable as before, and each write stays all-or-nothing: a write that fails may
//! have changed part of the transaction, so the transaction is rolled back, that write gets its
//! error and the others run again without it — exactly as if each had been alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use redb::{Database, WriteTransaction};
use tokio::sync::oneshot;

use crate::blocking::BackendError;

/// Most writes in one transaction: keeps a rerun after a failed write cheap.
const MAX_GROUP: usize = 128;

/// An open redb file whose writes commit in groups.
pub(crate) struct GroupedDatabase {
    database: Database,
    queued: Mutex<Queued>,
    writes: AtomicU64,
    commits: AtomicU64,
}

/// How well writes were grouped since the file was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Writes answered (committed or refused).
    pub writes: u64,
    /// Transactions committed.
    pub commits: u64,
}

#[derive(Default)]
struct Queued {
    writes: Vec<Box<dyn QueuedWrite>>,
    /// A leader is running: it will take what is queued.
    leading: bool,
}

/// A caller's write, type-erased so writes of any result type share a transaction.
trait QueuedWrite: Send {
    /// Runs the write in `txn`; false if it failed (its changes must not be committed).
    fn apply(&mut self, txn: &WriteTransaction) -> bool;
    /// Answers the caller: the write's own result (success or refusal) if its group ended
    /// well, else the group's error.
    fn answer(self: Box<Self>, commit: Result<(), String>);
}

struct Write<T, E, F> {
    work: F,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> QueuedWrite for Write<T, E, F>
where
    T: Send,
    E: BackendError + Send,
    F: Fn(&WriteTransaction) -> Result<T, E> + Send,
{
    fn apply(&mut self, txn: &WriteTransaction) -> bool {
        let outcome = (self.work)(txn);
        let applied = outcome.is_ok();
        self.outcome = Some(outcome);
        applied
    }

    fn answer(self: Box<Self>, commit: Result<(), String>) {
        let result = match (self.outcome, commit) {
            (Some(Err(own)), Ok(())) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(reason)) => Err(E::backend(reason)),
            (None, Ok(())) => Err(E::backend("write was never run".into())),
        };
        // The caller may have gone away (its future was dropped); the write stands regardless.
        let _ = self.reply.send(result);
    }
}

impl GroupedDatabase {
    pub(crate) fn new(database: Database) -> Arc<Self> {
        Arc::new(Self {
            database,
            queued: Mutex::new(Queued::default()),
            writes: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        })
    }

    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    /// Runs `work` in a write transaction shared with concurrent writes; answers after the
    /// commit. `work` may run more than once (when a write grouped with it fails), so it must
    /// only act through `txn`.
    pub(crate) async fn write<T, E, F>(self: &Arc<Self>, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: BackendError + Send + 'static,
        F: Fn(&WriteTransaction) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let write = Box::new(Write {
            work,
            outcome: None,
            reply,
        });
        let lead = {
            let mut queued = self.lock();
            queued.writes.push(write);
            !std::mem::replace(&mut queued.leading, true)
        };
        if lead {
            let leader = Leader {
                db: Arc::clone(self),
                stepped_down: false,
            };
            tokio::task::spawn_blocking(move || leader.lead());
        }
        answer
            .await
            .unwrap_or_else(|_| Err(E::backend("the database writer stopped".into())))
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.writes.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The one thread committing for a database, while anything is queued.
struct Leader {
    db: Arc<GroupedDatabase>,
    /// Stepped down normally; otherwise (a write panicked, or the runtime dropped the task
    /// before it ran) dropping the leader must let the next write lead.
    stepped_down: bool,
}

impl Leader {
    /// Commits groups until nothing is queued. The last group is answered only after the
    /// leader let go of the database, so a caller that closes it after its write can reopen the
    /// file at once.
    fn lead(mut self) {
        loop {
            let group = {
                let mut queued = self.db.lock();
                let take = queued.writes.len().min(MAX_GROUP);
                queued.writes.drain(..take).collect::<Vec<_>>()
            };
            let (answers, committed) = commit_group(self.db.database(), group);
            self.db
                .writes
                .fetch_add(answers.len() as u64, Ordering::Relaxed);
            if committed {
                self.db.commits.fetch_add(1, Ordering::Relaxed);
            }
            let last = {
                let mut queued = self.db.lock();
                queued.leading = !queued.writes.is_empty();
                !queued.leading
            };
            if last {
                self.stepped_down = true;
                drop(self);
                return deliver(answers);
            }
            deliver(answers);
        }
    }
}

impl Drop for Leader {
    /// A leader that did not step down (its write panicked and the thread unwinds, or its task
    /// never ran): let the next write lead, and fail what is queued (a dropped reply tells its
    /// caller the writer stopped) rather than leave it waiting forever.
    fn drop(&mut self) {
        if !self.stepped_down {
            let mut queued = self.db.lock();
            queued.leading = false;
            queued.writes.clear();
        }
    }
}

/// Writes with what to tell their callers.
type Answers = Vec<(Box<dyn QueuedWrite>, Result<(), String>)>;

fn deliver(answers: Answers) {
    for (write, commit) in answers {
        write.answer(commit);
    }
}

/// Runs `group` in one transaction and commits it, rerunning without any write that fails;
/// true if a transaction was committed.
fn commit_group(database: &Database, mut group: Vec<Box<dyn QueuedWrite>>) -> (Answers, bool) {
    // A refused write saw the writes before it in its transaction; its refusal stands only if
    // they are committed, so it shares the group's fate.
    let mut refused = Vec::new();
    let (end, committed) = loop {
        if group.is_empty() {
            break (Ok(()), false);
        }
        let txn = match database.begin_write() {
            Ok(txn) => txn,
            Err(e) => break (Err(e.to_string()), false),
        };
        match group.iter_mut().position(|write| !write.apply(&txn)) {
            Some(failed) => {
                // Undo its partial changes along with the others'; they run again.
                if let Err(e) = txn.abort() {
                    break (Err(e.to_string()), false);
                }
                refused.push(group.remove(failed));
            }
            None => match txn.commit() {
                Ok(()) => break (Ok(()), true),
                Err(e) => break (Err(e.to_string()), false),
            },
        }
    };
    let answers = group
        .into_iter()
        .chain(refused)
        .map(|write| (write, end.clone()))
        .collect();
    (answers, committed)
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};

    use super::*;

    const COUNTS: TableDefinition<&str, u64> = TableDefinition::new("counts");

    #[derive(Debug, PartialEq)]
    enum TestError {
        Refused(&'static str),
        Backend(String),
    }

    impl BackendError for TestError {
        fn backend(reason: String) -> Self {
            Self::Backend(reason)
        }
    }

    fn open() -> (tempfile::TempDir, Arc<GroupedDatabase>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::create(dir.path().join("db.redb")).expect("create");
        (dir, GroupedDatabase::new(db))
    }

    fn count(db: &GroupedDatabase, key: &str) -> u64 {
        let txn = db.database().begin_read().expect("read");
        match txn.open_table(COUNTS) {
            Ok(table) => table.get(key).expect("get").map(|v| v.value()).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// Adds one to `key`; refuses (after writing!) when `refuse` is set, so a rollback that
    /// leaked partial changes would show in the counts.
    fn bump(
        key: &'static str,
        refuse: bool,
    ) -> impl Fn(&WriteTransaction) -> Result<u64, TestError> + Send + 'static {
        move |txn| {
            let mut table = txn
                .open_table(COUNTS)
                .map_err(|e| TestError::Backend(e.to_string()))?;
            let next = table
                .get(key)
                .map_err(|e| TestError::Backend(e.to_string()))?
                .map(|v| v.value())
                .unwrap_or(0)
                + 1;
            table
                .insert(key, next)
                .map_err(|e| TestError::Backend(e.to_string()))?;
            if refuse {
                return Err(TestError::Refused(key));
            }
            Ok(next)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_land_and_failed_ones_leave_nothing() {
        let (_dir, db) = open();
        let mut tasks = Vec::new();
        for i in 0..400 {
            let db = Arc::clone(&db);
            tasks.push(tokio::spawn(async move {
                let refuse = i % 7 == 3;
                let key = if refuse { "refused" } else { "applied" };
                (refuse, db.write(bump(key, refuse)).await)
            }));
        }
        let mut applied = Vec::new();
        for task in tasks {
            let (refused, result) = task.await.expect("task");
            if refused {
                assert_eq!(result, Err(TestError::Refused("refused")));
            } else {
                applied.push(result.expect("applied"));
            }
        }
        applied.sort_unstable();
        let expected: Vec<u64> = (1..=applied.len() as u64).collect();
        assert_eq!(applied, expected, "each write saw every earlier one, once");
        assert_eq!(count(&db, "applied"), applied.len() as u64);
        assert_eq!(count(&db, "refused"), 0, "a failed write changed nothing");
        let stats = db.stats();
        assert_eq!(stats.writes, 400, "every write answered once");
        assert!(stats.commits >= 1 && stats.commits <= applied.len() as u64);
    }

    #[tokio::test]
    async fn a_lone_write_commits_durably_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.redb");
        {
            let db = GroupedDatabase::new(Database::create(&path).expect("create"));
            assert_eq!(db.write(bump("k", false)).await, Ok(1));
            assert_eq!(
                db.write(bump("k", true)).await,
                Err(TestError::Refused("k"))
            );
        }
        let db = GroupedDatabase::new(Database::create(&path).expect("reopen"));
        assert_eq!(count(&db, "k"), 1);
    }

    #[tokio::test]
    async fn a_write_whose_caller_went_away_still_lands() {
        let (_dir, db) = open();
        // Polled once (queued, a leader started), then abandoned by its caller (almost always
        // before its answer; if the leader was faster, the write landed all the same).
        let mut abandoned = Box::pin(db.write(bump("k", false)));
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(abandoned.as_mut().poll(cx))).await;
        drop(abandoned);
        if let std::task::Poll::Ready(answer) = first {
            assert_eq!(answer, Ok(1));
        }
        assert_eq!(db.write(bump("k", false)).await, Ok(2));
        assert_eq!(count(&db, "k"), 2);
    }
}
