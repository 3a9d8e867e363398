//! The store's tables, key layouts and record encoding.
//!
//! Records are JSON (so schema changes stay readable); keys are strings or tuples ordered so
//! that every list is a range scan. Secondary indexes are extra tables written in the same
//! transaction as the record they point at.

use redb::{TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use zsync_core::ports::{StoreError, StoreResult};
use zsync_mapping::Timestamp;

use crate::blocking::backend;

pub(crate) const INTEGRATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("integrations");
pub(crate) const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// normalised e-mail → user id
pub(crate) const USERS_BY_EMAIL: TableDefinition<&str, &str> =
    TableDefinition::new("users_by_email");
pub(crate) const CONTACTS: TableDefinition<&str, &[u8]> = TableDefinition::new("contacts");
/// normalised e-mail → contact id
pub(crate) const CONTACTS_BY_EMAIL: TableDefinition<&str, &str> =
    TableDefinition::new("contacts_by_email");
pub(crate) const CASES: TableDefinition<&str, &[u8]> = TableDefinition::new("cases");
/// (index name + value, creation sort key) → case id; see `cases::index_names`.
pub(crate) const CASE_INDEX: TableDefinition<(&str, &str), &str> =
    TableDefinition::new("case_index");
/// (integration, ticket number) → ticket record
pub(crate) const TICKETS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("tickets");
/// case id → (integration, ticket number)
pub(crate) const TICKET_BY_CASE: TableDefinition<&str, (&str, u64)> =
    TableDefinition::new("ticket_by_case");
pub(crate) const COMMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("comments");
/// (case id, creation sort key) → comment id
pub(crate) const COMMENTS_BY_CASE: TableDefinition<(&str, &str), &str> =
    TableDefinition::new("comments_by_case");
/// (integration, job id) → job
pub(crate) const JOBS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("jobs");
/// (integration, start sort key) → job id
pub(crate) const JOBS_BY_TIME: TableDefinition<(&str, &str), &str> =
    TableDefinition::new("jobs_by_time");
pub(crate) const CURSORS: TableDefinition<&str, &[u8]> = TableDefinition::new("export_cursors");
/// (integration, time sort key) → log entry with its expiry
pub(crate) const LOG: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("sync_log");
/// dedupe key → expiry (µs since the epoch)
pub(crate) const DEDUPE: TableDefinition<&str, i64> = TableDefinition::new("dedupe");
pub(crate) const LEASES: TableDefinition<&str, &[u8]> = TableDefinition::new("leases");
/// (kind, expiry sort key) → what expires; lets TTL purges read only what is due.
pub(crate) const EXPIRY: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("expiry");
/// (integration, case id) → the case's outbox entry (CRM changes not yet pushed)
pub(crate) const PENDING_PUSHES: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("pending_pushes");
/// (integration, Zendesk user id) → the user's link to a contact, versioned
pub(crate) const ZENDESK_USER_LINKS: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("zendesk_user_links");
/// Zendesk account key → its claim (holder and former holders), docs/sync-rules.md §2
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// counters (log sequence)
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Creates every table so read transactions never meet a missing one.
pub(crate) fn create_tables(txn: &WriteTransaction) -> StoreResult<()> {
    macro_rules! create {
        ($($table:expr),*) => {$( txn.open_table($table).map_err(backend::<StoreError>)?; )*};
    }
    create!(
        INTEGRATIONS,
        USERS,
        USERS_BY_EMAIL,
        CONTACTS,
        CONTACTS_BY_EMAIL,
        CASES,
        CASE_INDEX
    );
    create!(
        TICKETS,
        TICKET_BY_CASE,
        COMMENTS,
        COMMENTS_BY_CASE,
        JOBS,
        JOBS_BY_TIME,
        CURSORS
    );
    create!(LOG, DEDUPE, LEASES, EXPIRY, META, PENDING_PUSHES, ACCOUNTS);
    create!(ZENDESK_USER_LINKS);
    Ok(())
}

/// A record with its optimistic-concurrency version, as stored.
#[derive(Serialize, Deserialize)]
pub(crate) struct Stored<T> {
    pub version: u64,
    pub value: T,
}

pub(crate) fn encode<T: Serialize>(
    entity: &'static str,
    key: &str,
    value: &T,
) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        entity,
        key: key.to_owned(),
        reason: format!("cannot encode: {e}"),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    entity: &'static str,
    key: &str,
    bytes: &[u8],
) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        entity,
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// Microseconds since the epoch mapped to an unsigned value with the same order.
fn ordered_micros(at: Timestamp) -> u64 {
    (at.timestamp_micros() as u64) ^ (1 << 63)
}

/// A key that sorts by time, then by `id` (unique when `id` is).
pub(crate) fn time_key(at: Timestamp, id: &str) -> String {
    format!("{:016x}|{id}", ordered_micros(at))
}

pub(crate) fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

/// Opaque page cursor: the last key returned, hex-encoded.
pub(crate) fn encode_cursor(last_key: &str) -> String {
    let mut out = String::with_capacity(3 + last_key.len() * 2);
    out.push_str("c1.");
    for byte in last_key.as_bytes() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

pub(crate) fn decode_cursor(cursor: &str) -> StoreResult<String> {
    let hex = cursor
        .strip_prefix("c1.")
        .ok_or(StoreError::InvalidCursor)?;
    if hex.len() % 2 != 0 {
        return Err(StoreError::InvalidCursor);
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or(StoreError::InvalidCursor)?;
    String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)
}

/// The smallest string above every string starting with `prefix`-as-a-whole-element: used as
/// the exclusive upper bound of a tuple range over one first element.
pub(crate) fn after(first: &str) -> String {
    format!("{first}\u{0}")
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    #[test]
    fn time_keys_sort_like_times_also_before_1970() {
        let times = [
            Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::microseconds(1),
        ];
        let keys: Vec<_> = times.iter().map(|t| time_key(*t, "id")).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(
            time_key(times[2], "a") < time_key(times[2], "b"),
            "ties broken by id"
        );
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = "0123456789abcdef|case-ü";
        assert_eq!(decode_cursor(&encode_cursor(key)).unwrap(), key);
        for bad in ["", "c1.", "c1.0", "c1.zz", "x1.00", "c1.ff"] {
            let result = decode_cursor(bad);
            // "c1." decodes to the empty key, which is a valid (if useless) position
            if bad == "c1." {
                assert_eq!(result.unwrap(), "");
            } else {
                assert!(matches!(result, Err(StoreError::InvalidCursor)), "{bad:?}");
            }
        }
    }
}
