//! The queue's transactions.
//!
//! Tables: `messages` (id → message), `ready` ((visible-at, id) → ()) so a receive reads only
//! what is due, `dead_letters` (id → dead letter) and `meta` (id and receipt counters).

use chrono::{Duration, Utc};
use redb::{
    ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use zsync_core::message::{SyncMessage, first_refused_char};
use zsync_core::ports::{Delivery, QueueError, QueueResult};
use zsync_mapping::Timestamp;

use super::{DeadLetter, io};

const MESSAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("messages");
const READY: TableDefinition<(u64, u64), ()> = TableDefinition::new("ready");
const DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_letters");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Due entries examined per receive beyond `max` (undecodable ones are dead-lettered on the
/// way), so one receive stays short.
const SCAN_EXTRA: usize = 100;

#[derive(Serialize, Deserialize)]
struct Stored {
    body: String,
    receive_count: u32,
    visible_at: i64,
    /// Changes on every receive: a receipt names the delivery, not just the message.
    delivery: u64,
    /// Received and neither acknowledged nor rescheduled.
    in_flight: bool,
}

/// `visible_at` in µs, mapped to an unsigned value with the same order.
fn ordered(micros: i64) -> u64 {
    (micros as u64) ^ (1 << 63)
}

fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

fn next(txn: &WriteTransaction, counter: &str) -> QueueResult<u64> {
    let mut meta = txn.open_table(META).map_err(io)?;
    let value = meta.get(counter).map_err(io)?.map_or(0, |v| v.value()) + 1;
    meta.insert(counter, value).map_err(io)?;
    Ok(value)
}

fn encode(stored: &Stored) -> QueueResult<Vec<u8>> {
    serde_json::to_vec(stored).map_err(|e| QueueError::Unavailable(format!("cannot encode: {e}")))
}

fn put(txn: &WriteTransaction, id: u64, stored: &Stored) -> QueueResult<()> {
    txn.open_table(MESSAGES)
        .map_err(io)?
        .insert(id, encode(stored)?.as_slice())
        .map_err(io)?;
    txn.open_table(READY)
        .map_err(io)?
        .insert((ordered(stored.visible_at), id), ())
        .map_err(io)?;
    Ok(())
}

/// Removes a message and its `ready` entry; returns it if it was there.
fn take(txn: &WriteTransaction, id: u64) -> QueueResult<Option<Result<Stored, String>>> {
    let raw = txn
        .open_table(MESSAGES)
        .map_err(io)?
        .remove(id)
        .map_err(io)?
        .map(|v| v.value().to_vec());
    let Some(raw) = raw else {
        return Ok(None);
    };
    match serde_json::from_slice::<Stored>(&raw) {
        Ok(stored) => {
            txn.open_table(READY)
                .map_err(io)?
                .remove((ordered(stored.visible_at), id))
                .map_err(io)?;
            Ok(Some(Ok(stored)))
        }
        Err(_) => Ok(Some(Err(String::from_utf8_lossy(&raw).into_owned()))),
    }
}

fn bury(
    txn: &WriteTransaction,
    id: u64,
    body: String,
    receive_count: u32,
    reason: &str,
) -> QueueResult<()> {
    let letter = DeadLetter {
        id,
        body,
        reason: reason.to_owned(),
        receive_count,
        dead_lettered_at: Utc::now(),
    };
    let bytes = serde_json::to_vec(&letter).map_err(|e| QueueError::Unavailable(e.to_string()))?;
    txn.open_table(DEAD)
        .map_err(io)?
        .insert(id, bytes.as_slice())
        .map_err(io)?;
    tracing::warn!(id, reason, "queue: message dead-lettered");
    Ok(())
}

/// Makes in-flight messages visible now (called on open); returns how many.
pub(super) fn recover(txn: &WriteTransaction) -> QueueResult<usize> {
    txn.open_table(DEAD).map_err(io)?;
    txn.open_table(META).map_err(io)?;
    let ids: Vec<u64> = {
        let messages = txn.open_table(MESSAGES).map_err(io)?;
        let mut ids = Vec::new();
        for row in messages.iter().map_err(io)? {
            let (id, bytes) = row.map_err(io)?;
            if serde_json::from_slice::<Stored>(bytes.value()).is_ok_and(|s| s.in_flight) {
                ids.push(id.value());
            }
        }
        ids
    };
    let now = micros(Utc::now());
    for &id in &ids {
        if let Some(Ok(mut stored)) = take(txn, id)? {
            stored.in_flight = false;
            stored.visible_at = now;
            put(txn, id, &stored)?;
        }
    }
    txn.open_table(READY).map_err(io)?;
    Ok(ids.len())
}

/// Dead-letters a body that is not (or no longer) in the queue, under a fresh id.
pub(super) fn bury_body(txn: &WriteTransaction, body: &str, reason: &str) -> QueueResult<()> {
    let id = next(txn, "message_id")?;
    bury(txn, id, body.to_owned(), 0, reason)
}

pub(super) fn send(txn: &WriteTransaction, bodies: &[String], limit: usize) -> QueueResult<()> {
    // all or nothing: check every body before writing
    if let Some(big) = bodies.iter().find(|b| b.len() > limit) {
        return Err(QueueError::TooLarge {
            bytes: big.len(),
            limit,
        });
    }
    // SQS refuses these characters; refusing them here too keeps the local server honest.
    if let Some((offset, character)) = bodies.iter().find_map(|b| first_refused_char(b)) {
        return Err(QueueError::RefusedCharacter { character, offset });
    }
    let now = micros(Utc::now());
    for body in bodies {
        let id = next(txn, "message_id")?;
        let stored = Stored {
            body: body.clone(),
            receive_count: 0,
            visible_at: now,
            delivery: 0,
            in_flight: false,
        };
        put(txn, id, &stored)?;
    }
    Ok(())
}

pub(super) fn receive(
    txn: &WriteTransaction,
    max: usize,
    visibility: Duration,
    max_receives: u32,
) -> QueueResult<Vec<Delivery>> {
    let now = Utc::now();
    let due: Vec<u64> = txn
        .open_table(READY)
        .map_err(io)?
        .range(..=(ordered(micros(now)), u64::MAX))
        .map_err(io)?
        .take(max.saturating_add(SCAN_EXTRA))
        .map(|row| row.map(|(key, _)| key.value().1).map_err(io))
        .collect::<QueueResult<_>>()?;
    let hidden_until = micros(now + visibility.max(Duration::zero()));
    let mut out = Vec::new();
    for id in due {
        if out.len() == max {
            break;
        }
        let mut stored = match take(txn, id)? {
            None => continue,
            Some(Err(raw)) => {
                bury(txn, id, raw, 0, "unreadable stored message")?;
                continue;
            }
            Some(Ok(stored)) => stored,
        };
        let message = match SyncMessage::decode(&stored.body) {
            Ok(message) => message,
            Err(e) => {
                bury(
                    txn,
                    id,
                    stored.body,
                    stored.receive_count,
                    &format!("undecodable message: {e}"),
                )?;
                continue;
            }
        };
        if stored.receive_count >= max_receives {
            bury(
                txn,
                id,
                stored.body,
                stored.receive_count,
                "max receives exceeded",
            )?;
            continue;
        }
        stored.receive_count += 1;
        stored.delivery = next(txn, "delivery")?;
        stored.in_flight = true;
        stored.visible_at = hidden_until;
        put(txn, id, &stored)?;
        out.push(Delivery {
            message,
            receipt: format!("{id}.{}", stored.delivery),
            receive_count: stored.receive_count,
        });
    }
    Ok(out)
}

/// What a receipt may do to its message.
pub(super) enum Settle<'a> {
    Ack,
    RetryAfter(Duration),
    DeadLetter(&'a str),
}

pub(super) fn settle(txn: &WriteTransaction, receipt: &str, action: Settle<'_>) -> QueueResult<()> {
    let (id, delivery) = receipt
        .split_once('.')
        .and_then(|(id, delivery)| Some((id.parse::<u64>().ok()?, delivery.parse::<u64>().ok()?)))
        .ok_or(QueueError::InvalidReceipt)?;
    let current = {
        let messages = txn.open_table(MESSAGES).map_err(io)?;
        let found = messages.get(id).map_err(io)?;
        found.map(|bytes| serde_json::from_slice::<Stored>(bytes.value()).map(|s| s.delivery))
    };
    match (current, &action) {
        // already acknowledged: acknowledging again is harmless
        (None, Settle::Ack) => return Ok(()),
        (None, _) => return Err(QueueError::InvalidReceipt),
        // redelivered since: this receipt's attempt is over
        (Some(Ok(current)), _) if current != delivery => return Err(QueueError::InvalidReceipt),
        _ => {}
    }
    match (take(txn, id)?, action) {
        (None, _) | (Some(_), Settle::Ack) => Ok(()),
        (Some(Err(raw)), _) => bury(txn, id, raw, 0, "unreadable stored message"),
        (Some(Ok(mut stored)), Settle::RetryAfter(delay)) => {
            stored.in_flight = false;
            stored.visible_at = micros(Utc::now() + delay.max(Duration::zero()));
            put(txn, id, &stored)
        }
        (Some(Ok(stored)), Settle::DeadLetter(reason)) => {
            bury(txn, id, stored.body, stored.receive_count, reason)
        }
    }
}

pub(super) fn depth(txn: &ReadTransaction) -> QueueResult<usize> {
    let messages = txn.open_table(MESSAGES).map_err(io)?;
    Ok(usize::try_from(messages.len().map_err(io)?).unwrap_or(usize::MAX))
}

pub(super) fn dead_letters(txn: &ReadTransaction) -> QueueResult<Vec<DeadLetter>> {
    let dead = txn.open_table(DEAD).map_err(io)?;
    let mut out = Vec::new();
    for row in dead.iter().map_err(io)? {
        let (id, bytes) = row.map_err(io)?;
        match serde_json::from_slice::<DeadLetter>(bytes.value()) {
            Ok(letter) => out.push(letter),
            Err(e) => out.push(DeadLetter {
                id: id.value(),
                body: String::from_utf8_lossy(bytes.value()).into_owned(),
                reason: format!("unreadable dead letter: {e}"),
                receive_count: 0,
                dead_lettered_at: Utc::now(),
            }),
        }
    }
    Ok(out)
}
