//! Records that expire: the sync log, dedupe keys and leases. Expiry is honoured on every read;
//! expired records are purged lazily by the writes through the `EXPIRY` index, a bounded number
//! at a time, so no write ever scans the whole store.

use chrono::{Duration, Utc};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use zsync_core::ports::{LogFilter, Page, StoreResult};
use zsync_mapping::{IntegrationId, SyncLogEntry, Timestamp};

use super::io;
use super::schema::{
    DEDUPE, EXPIRY, LEASES, LOG, META, after, decode, decode_cursor, encode, encode_cursor, micros,
    time_key,
};

const LOG_ENTRY: &str = "log entry";
const LEASE: &str = "lease";
/// Expired records removed per write, to keep each write short.
const PURGE_BATCH: usize = 64;

#[derive(Serialize, Deserialize)]
struct StoredLog {
    expires_at: i64,
    entry: SyncLogEntry,
}

#[derive(Serialize, Deserialize)]
struct Lease {
    holder: String,
    until: i64,
}

/// What an `EXPIRY` row points at.
#[derive(Serialize, Deserialize)]
enum Expiring {
    Log { integration: String, key: String },
    Dedupe { key: String },
}

fn next_sequence(txn: &WriteTransaction, name: &str) -> StoreResult<u64> {
    let mut meta = txn.open_table(META).map_err(io)?;
    let next = meta.get(name).map_err(io)?.map_or(0, |v| v.value()) + 1;
    meta.insert(name, next).map_err(io)?;
    Ok(next)
}

fn schedule_expiry(txn: &WriteTransaction, at: Timestamp, what: &Expiring) -> StoreResult<()> {
    let id = format!("{:016x}", next_sequence(txn, "expiry_seq")?);
    let key = time_key(at, &id);
    let bytes = encode("expiry", &key, what)?;
    txn.open_table(EXPIRY)
        .map_err(io)?
        .insert(("due", key.as_str()), bytes.as_slice())
        .map_err(io)?;
    Ok(())
}

/// Removes up to `PURGE_BATCH` records that expired before `now`.
fn purge_expired(txn: &WriteTransaction, now: Timestamp) -> StoreResult<()> {
    let mut expiry = txn.open_table(EXPIRY).map_err(io)?;
    let due_until = time_key(now, "");
    let due: Vec<(String, Vec<u8>)> = expiry
        .range(("due", "")..("due", due_until.as_str()))
        .map_err(io)?
        .take(PURGE_BATCH)
        .map(|row| {
            row.map(|(k, v)| (k.value().1.to_owned(), v.value().to_vec()))
                .map_err(io)
        })
        .collect::<StoreResult<_>>()?;
    let mut log = txn.open_table(LOG).map_err(io)?;
    let mut dedupe = txn.open_table(DEDUPE).map_err(io)?;
    for (key, what) in due {
        expiry.remove(("due", key.as_str())).map_err(io)?;
        match decode::<Expiring>("expiry", &key, &what)? {
            Expiring::Log { integration, key } => {
                log.remove((integration.as_str(), key.as_str()))
                    .map_err(io)?;
            }
            Expiring::Dedupe { key } => {
                // the key may have been remembered again since; only drop it if still expired
                let expired = dedupe
                    .get(key.as_str())
                    .map_err(io)?
                    .is_some_and(|e| e.value() <= micros(now));
                if expired {
                    dedupe.remove(key.as_str()).map_err(io)?;
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn append_log(
    txn: &WriteTransaction,
    entry: &SyncLogEntry,
    ttl: Duration,
) -> StoreResult<()> {
    let now = Utc::now();
    purge_expired(txn, now)?;
    let sequence = format!("{:016x}", next_sequence(txn, "log_seq")?);
    let key = time_key(entry.at, &sequence);
    let expires = now + ttl;
    let integration = entry.integration_id.as_str();
    let stored = StoredLog {
        expires_at: micros(expires),
        entry: entry.clone(),
    };
    let bytes = encode(LOG_ENTRY, &key, &stored)?;
    txn.open_table(LOG)
        .map_err(io)?
        .insert((integration, key.as_str()), bytes.as_slice())
        .map_err(io)?;
    schedule_expiry(
        txn,
        expires,
        &Expiring::Log {
            integration: integration.to_owned(),
            key,
        },
    )
}

pub(crate) fn list_log(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    limit: usize,
) -> StoreResult<Vec<SyncLogEntry>> {
    Ok(list_log_page(txn, integration, &LogFilter::default(), None, limit)?.items)
}

fn log_matches(filter: &LogFilter, entry: &SyncLogEntry) -> bool {
    filter
        .ticket_number
        .is_none_or(|t| entry.ticket_number == Some(t))
        && filter.outcome.is_none_or(|o| entry.outcome == o)
}

/// A page of live entries matching `filter`, newest first; the cursor is the last entry's key.
pub(crate) fn list_log_page(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    filter: &LogFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<SyncLogEntry>> {
    let log = txn.open_table(LOG).map_err(io)?;
    let now = micros(Utc::now());
    let integration = integration.as_str();
    let upper = after(integration);
    let below = cursor.map(decode_cursor).transpose()?;
    let rows = match below.as_deref() {
        Some(below) => log.range((integration, "")..(integration, below)),
        None => log.range((integration, "")..(upper.as_str(), "")),
    }
    .map_err(io)?;
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for row in rows.rev() {
        let (key, bytes) = row.map_err(io)?;
        let stored: StoredLog = decode(LOG_ENTRY, key.value().1, bytes.value())?;
        if stored.expires_at <= now || !log_matches(filter, &stored.entry) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(stored.entry);
        last_key = Some(key.value().1.to_owned());
    }
    let next_cursor = more
        .then(|| last_key.as_deref().map(encode_cursor))
        .flatten();
    Ok(Page { items, next_cursor })
}

pub(crate) fn remember_once(
    txn: &WriteTransaction,
    key: &str,
    ttl: Duration,
    now: Timestamp,
) -> StoreResult<bool> {
    // purge only what has expired by both the caller's clock and ours
    purge_expired(txn, now.min(Utc::now()))?;
    let mut dedupe = txn.open_table(DEDUPE).map_err(io)?;
    let seen = dedupe
        .get(key)
        .map_err(io)?
        .is_some_and(|expires| expires.value() > micros(now));
    if seen {
        return Ok(false);
    }
    let expires = now + ttl;
    dedupe.insert(key, micros(expires)).map_err(io)?;
    drop(dedupe);
    schedule_expiry(
        txn,
        expires,
        &Expiring::Dedupe {
            key: key.to_owned(),
        },
    )?;
    Ok(true)
}

/// Removes a dedupe key; its scheduled expiry entry is harmless once the key is gone.
pub(crate) fn forget(txn: &WriteTransaction, key: &str) -> StoreResult<()> {
    let mut dedupe = txn.open_table(DEDUPE).map_err(io)?;
    dedupe.remove(key).map_err(io)?;
    Ok(())
}

pub(crate) fn acquire_lease(
    txn: &WriteTransaction,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut leases = txn.open_table(LEASES).map_err(io)?;
    let current: Option<Lease> = {
        let found = leases.get(name).map_err(io)?;
        found
            .map(|bytes| decode(LEASE, name, bytes.value()))
            .transpose()?
    };
    let free = current.is_none_or(|lease| lease.holder == holder || lease.until <= micros(now));
    if free {
        let lease = Lease {
            holder: holder.to_owned(),
            until: micros(now + ttl),
        };
        let bytes = encode(LEASE, name, &lease)?;
        leases.insert(name, bytes.as_slice()).map_err(io)?;
    }
    Ok(free)
}

pub(crate) fn release_lease(txn: &WriteTransaction, name: &str, holder: &str) -> StoreResult<()> {
    let mut leases = txn.open_table(LEASES).map_err(io)?;
    let held: bool = {
        let found = leases.get(name).map_err(io)?;
        match found {
            Some(bytes) => decode::<Lease>(LEASE, name, bytes.value())?.holder == holder,
            None => false,
        }
    };
    if held {
        leases.remove(name).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase, ReadableTableMetadata};
    use zsync_mapping::LogOutcome;

    use super::*;
    use crate::store::schema::create_tables;

    fn entry(message: &str) -> SyncLogEntry {
        SyncLogEntry {
            integration_id: IntegrationId::new("acme"),
            ticket_number: Some(1),
            at: Utc::now(),
            outcome: LogOutcome::Updated,
            message: message.into(),
            job_id: None,
        }
    }

    fn in_txn<T>(db: &Database, work: impl FnOnce(&WriteTransaction) -> StoreResult<T>) -> T {
        let txn = db.begin_write().unwrap();
        let out = work(&txn).unwrap();
        txn.commit().unwrap();
        out
    }

    fn rows(db: &Database, table: redb::TableDefinition<(&str, &str), &[u8]>) -> u64 {
        db.begin_read()
            .unwrap()
            .open_table(table)
            .unwrap()
            .len()
            .unwrap()
    }

    #[test]
    fn expired_records_are_removed_by_later_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("store.redb")).unwrap();
        in_txn(&db, create_tables);
        let expired = Duration::seconds(-1);
        in_txn(&db, |txn| append_log(txn, &entry("old 1"), expired));
        in_txn(&db, |txn| append_log(txn, &entry("old 2"), expired));
        let past = Utc::now() - Duration::hours(1);
        assert!(in_txn(&db, |txn| remember_once(
            txn,
            "k",
            Duration::seconds(1),
            past
        )));
        // the second append already purged the first entry; the dedupe key is due as well
        assert_eq!((rows(&db, LOG), rows(&db, EXPIRY)), (1, 2));

        in_txn(&db, |txn| {
            append_log(txn, &entry("fresh"), Duration::days(1))
        });
        assert_eq!(
            rows(&db, LOG),
            1,
            "the expired entries are gone from the file"
        );
        assert_eq!(
            rows(&db, EXPIRY),
            1,
            "only the fresh entry's expiry is left"
        );
        let dedupe = db
            .begin_read()
            .unwrap()
            .open_table(DEDUPE)
            .unwrap()
            .len()
            .unwrap();
        assert_eq!(dedupe, 0);
        let listed = list_log(&db.begin_read().unwrap(), &IntegrationId::new("acme"), 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].message, "fresh");
    }
}
