//! The push outbox: one entry per case with CRM changes not yet pushed, written in the same
//! transaction as the case or comment it is about.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use zsync_core::ports::{PendingPush, StoreResult};
use zsync_mapping::{Case, CaseComment, CaseId, IntegrationId};

use super::cases;
use super::io;
use super::schema::{PENDING_PUSHES, after, decode, encode};

const ENTITY: &str = "pending push";

#[derive(Default, Serialize, Deserialize)]
struct Entry {
    fields: bool,
    comments: bool,
    marks: u64,
}

fn pending(integration: &str, case: &str, entry: Entry) -> PendingPush {
    PendingPush {
        integration_id: IntegrationId::new(integration),
        case_id: CaseId::new(case),
        fields: entry.fields,
        comments: entry.comments,
        marks: entry.marks,
    }
}

/// Sets the entry's flag and bumps its marks (creating it if absent).
fn mark(
    txn: &WriteTransaction,
    integration: &IntegrationId,
    case: &CaseId,
    fields: bool,
) -> StoreResult<()> {
    let mut table = txn.open_table(PENDING_PUSHES).map_err(io)?;
    let key = (integration.as_str(), case.as_str());
    let mut entry: Entry = match table.get(key).map_err(io)? {
        Some(bytes) => decode(ENTITY, case.as_str(), bytes.value())?,
        None => Entry::default(),
    };
    if fields {
        entry.fields = true;
    } else {
        entry.comments = true;
    }
    entry.marks += 1;
    let bytes = encode(ENTITY, case.as_str(), &entry)?;
    table.insert(key, bytes.as_slice()).map_err(io)?;
    Ok(())
}

pub(crate) fn update_case_marking_push(
    txn: &WriteTransaction,
    case: &Case,
    expected: u64,
    integration: &IntegrationId,
) -> StoreResult<u64> {
    // An error drops the whole transaction: the mark is written only with the case.
    let version = cases::update_case(txn, case, expected)?;
    mark(txn, integration, &case.id, true)?;
    Ok(version)
}

pub(crate) fn put_comment_marking_push(
    txn: &WriteTransaction,
    comment: &CaseComment,
    integration: &IntegrationId,
) -> StoreResult<()> {
    cases::put_comment(txn, comment)?;
    mark(txn, integration, &comment.case_id, false)
}

pub(crate) fn get_pending_push(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    case: &CaseId,
) -> StoreResult<Option<PendingPush>> {
    let table = txn.open_table(PENDING_PUSHES).map_err(io)?;
    let found = table
        .get((integration.as_str(), case.as_str()))
        .map_err(io)?;
    found
        .map(|bytes| {
            let entry = decode(ENTITY, case.as_str(), bytes.value())?;
            Ok(pending(integration.as_str(), case.as_str(), entry))
        })
        .transpose()
}

pub(crate) fn list_pending_pushes(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    limit: usize,
) -> StoreResult<Vec<PendingPush>> {
    let table = txn.open_table(PENDING_PUSHES).map_err(io)?;
    let integration = integration.as_str();
    let upper = after(integration);
    let mut out = Vec::new();
    for row in table
        .range((integration, "")..(upper.as_str(), ""))
        .map_err(io)?
    {
        if out.len() >= limit {
            break;
        }
        let (key, bytes) = row.map_err(io)?;
        let case = key.value().1;
        let entry = decode(ENTITY, case, bytes.value())?;
        out.push(pending(integration, case, entry));
    }
    Ok(out)
}

pub(crate) fn clear_pending_push(
    txn: &WriteTransaction,
    integration: &IntegrationId,
    case: &CaseId,
    marks: u64,
) -> StoreResult<bool> {
    let mut table = txn.open_table(PENDING_PUSHES).map_err(io)?;
    let key = (integration.as_str(), case.as_str());
    let current: Option<Entry> = match table.get(key).map_err(io)? {
        Some(bytes) => Some(decode(ENTITY, case.as_str(), bytes.value())?),
        None => None,
    };
    match current {
        Some(entry) if entry.marks == marks => {
            table.remove(key).map_err(io)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
