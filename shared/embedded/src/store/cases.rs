//! Cases (with their list indexes), ticket records and comments.

use redb::{ReadTransaction, ReadableTable, Table, WriteTransaction};
use zsync_core::ports::{CaseFilter, Page, StoreError, StoreResult, Versioned};
use zsync_mapping::subject_search::subject_matches;
use zsync_mapping::{Case, CaseComment, CaseId, IntegrationId, TicketRecord, ZendeskId};

use super::io;
use super::schema::{
    CASE_INDEX, CASES, COMMENTS, COMMENTS_BY_CASE, Stored, TICKET_BY_CASE, TICKETS, after, decode,
    decode_cursor, encode, encode_cursor, time_key,
};

const CASE: &str = "case";
pub(crate) const TICKET: &str = "ticket record";
const COMMENT: &str = "comment";

/// The index entries a case appears under: every case, and one per filterable field.
fn index_names(case: &Case) -> Vec<String> {
    let mut names = vec!["all".to_owned(), format!("subject:{}", case.subject)];
    names.push(format!("status:{}", case.status.as_str()));
    if let Some(integration) = &case.integration_id {
        names.push(format!("integration:{integration}"));
    }
    names
}

/// The index a filtered list reads: the most selective field the filter names. The subject is
/// a word search (`zsync_mapping::subject_search`), checked on each case, not an index.
fn index_for(filter: &CaseFilter) -> String {
    if let Some(integration) = &filter.integration_id {
        format!("integration:{integration}")
    } else if let Some(status) = filter.status {
        format!("status:{}", status.as_str())
    } else {
        "all".to_owned()
    }
}

fn matches(filter: &CaseFilter, case: &Case) -> bool {
    filter
        .subject
        .as_deref()
        .is_none_or(|query| subject_matches(query, &case.subject))
        && filter.status.is_none_or(|s| s == case.status)
        && filter
            .integration_id
            .as_ref()
            .is_none_or(|i| Some(i) == case.integration_id.as_ref())
}

fn set_index(index: &mut Table<(&str, &str), &str>, case: &Case, present: bool) -> StoreResult<()> {
    let sort = time_key(case.created_at, case.id.as_str());
    for name in index_names(case) {
        if present {
            index
                .insert((name.as_str(), sort.as_str()), case.id.as_str())
                .map_err(io)?;
        } else {
            index.remove((name.as_str(), sort.as_str())).map_err(io)?;
        }
    }
    Ok(())
}

fn insert_new_case(txn: &WriteTransaction, case: &Case) -> StoreResult<()> {
    let mut cases = txn.open_table(CASES).map_err(io)?;
    let key = case.id.as_str();
    if cases.get(key).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: CASE,
            key: key.to_owned(),
        });
    }
    let bytes = encode(
        CASE,
        key,
        &Stored {
            version: 1,
            value: case,
        },
    )?;
    cases.insert(key, bytes.as_slice()).map_err(io)?;
    set_index(&mut txn.open_table(CASE_INDEX).map_err(io)?, case, true)
}

pub(crate) fn create_case(txn: &WriteTransaction, case: &Case) -> StoreResult<()> {
    insert_new_case(txn, case)
}

pub(crate) fn create_linked_case(
    txn: &WriteTransaction,
    case: &Case,
    record: &TicketRecord,
) -> StoreResult<()> {
    // Everything is checked before anything is written; an error rolls the transaction back.
    insert_new_record(txn, record)?;
    insert_new_case(txn, case)
}

pub(crate) fn read_case<T: ReadableTable<&'static str, &'static [u8]>>(
    cases: &T,
    id: &str,
) -> StoreResult<Option<Stored<Case>>> {
    let found = cases.get(id).map_err(io)?;
    found
        .map(|bytes| decode(CASE, id, bytes.value()))
        .transpose()
}

pub(crate) fn get_case(txn: &ReadTransaction, id: &CaseId) -> StoreResult<Option<Versioned<Case>>> {
    let cases = txn.open_table(CASES).map_err(io)?;
    Ok(read_case(&cases, id.as_str())?.map(|s| Versioned::new(s.value, s.version)))
}

pub(crate) fn update_case(txn: &WriteTransaction, case: &Case, expected: u64) -> StoreResult<u64> {
    let mut cases = txn.open_table(CASES).map_err(io)?;
    let key = case.id.as_str();
    let Some(old) = read_case(&cases, key)? else {
        return Err(StoreError::NotFound {
            entity: CASE,
            key: key.to_owned(),
        });
    };
    if old.version != expected {
        return Err(StoreError::VersionConflict {
            entity: CASE,
            key: key.to_owned(),
            expected,
        });
    }
    let version = old.version + 1;
    let bytes = encode(
        CASE,
        key,
        &Stored {
            version,
            value: case,
        },
    )?;
    cases.insert(key, bytes.as_slice()).map_err(io)?;
    let mut index = txn.open_table(CASE_INDEX).map_err(io)?;
    set_index(&mut index, &old.value, false)?;
    set_index(&mut index, case, true)?;
    Ok(version)
}

/// Reads one index newest first from just below the cursor, filtering on the fields the index
/// does not cover; looks one match ahead so the last page carries no cursor.
pub(crate) fn list_cases(
    txn: &ReadTransaction,
    filter: &CaseFilter,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<Case>> {
    let index = txn.open_table(CASE_INDEX).map_err(io)?;
    let cases = txn.open_table(CASES).map_err(io)?;
    let name = index_for(filter);
    let upper_name = after(&name);
    let below = cursor.map(decode_cursor).transpose()?;
    let rows = match below.as_deref() {
        Some(below) => index.range((name.as_str(), "")..(name.as_str(), below)),
        None => index.range((name.as_str(), "")..(upper_name.as_str(), "")),
    }
    .map_err(io)?;
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for row in rows.rev() {
        let (key, id) = row.map_err(io)?;
        let Some(stored) = read_case(&cases, id.value())? else {
            continue;
        };
        if !matches(filter, &stored.value) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(stored.value);
        last_key = Some(key.value().1.to_owned());
    }
    let next_cursor = if more {
        last_key.as_deref().map(encode_cursor)
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

fn insert_new_record(txn: &WriteTransaction, record: &TicketRecord) -> StoreResult<()> {
    let mut tickets = txn.open_table(TICKETS).map_err(io)?;
    let mut by_case = txn.open_table(TICKET_BY_CASE).map_err(io)?;
    let key = (record.integration_id.as_str(), record.ticket_number);
    let shown = format!("{}/{}", record.integration_id, record.ticket_number);
    if tickets.get(key).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: TICKET,
            key: shown,
        });
    }
    if by_case.get(record.case_id.as_str()).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: TICKET,
            key: format!("for case {}", record.case_id),
        });
    }
    let bytes = encode(
        TICKET,
        &shown,
        &Stored {
            version: 1,
            value: record,
        },
    )?;
    tickets.insert(key, bytes.as_slice()).map_err(io)?;
    by_case.insert(record.case_id.as_str(), key).map_err(io)?;
    Ok(())
}

pub(crate) fn create_ticket_record(
    txn: &WriteTransaction,
    record: &TicketRecord,
) -> StoreResult<()> {
    let cases = txn.open_table(CASES).map_err(io)?;
    if cases.get(record.case_id.as_str()).map_err(io)?.is_none() {
        return Err(StoreError::NotFound {
            entity: CASE,
            key: record.case_id.to_string(),
        });
    }
    insert_new_record(txn, record)
}

pub(crate) fn read_record<T>(
    tickets: &T,
    integration: &str,
    number: ZendeskId,
) -> StoreResult<Option<Stored<TicketRecord>>>
where
    T: ReadableTable<(&'static str, u64), &'static [u8]>,
{
    let found = tickets.get((integration, number)).map_err(io)?;
    found
        .map(|bytes| decode(TICKET, &format!("{integration}/{number}"), bytes.value()))
        .transpose()
}

pub(crate) fn get_ticket_record(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    number: ZendeskId,
) -> StoreResult<Option<Versioned<TicketRecord>>> {
    let tickets = txn.open_table(TICKETS).map_err(io)?;
    Ok(read_record(&tickets, integration.as_str(), number)?
        .map(|s| Versioned::new(s.value, s.version)))
}

pub(crate) fn get_ticket_record_for_case(
    txn: &ReadTransaction,
    case: &CaseId,
) -> StoreResult<Option<Versioned<TicketRecord>>> {
    let by_case = txn.open_table(TICKET_BY_CASE).map_err(io)?;
    let key = by_case.get(case.as_str()).map_err(io)?.map(|k| {
        let (integration, number) = k.value();
        (integration.to_owned(), number)
    });
    let Some((integration, number)) = key else {
        return Ok(None);
    };
    let tickets = txn.open_table(TICKETS).map_err(io)?;
    Ok(read_record(&tickets, &integration, number)?.map(|s| Versioned::new(s.value, s.version)))
}

pub(crate) fn update_ticket_record(
    txn: &WriteTransaction,
    record: &TicketRecord,
    expected: u64,
) -> StoreResult<u64> {
    let mut tickets = txn.open_table(TICKETS).map_err(io)?;
    let integration = record.integration_id.as_str();
    let shown = format!("{integration}/{}", record.ticket_number);
    let Some(old) = read_record(&tickets, integration, record.ticket_number)? else {
        return Err(StoreError::NotFound {
            entity: TICKET,
            key: shown,
        });
    };
    if old.version != expected {
        return Err(StoreError::VersionConflict {
            entity: TICKET,
            key: shown,
            expected,
        });
    }
    let version = old.version + 1;
    let bytes = encode(
        TICKET,
        &shown,
        &Stored {
            version,
            value: record,
        },
    )?;
    tickets
        .insert((integration, record.ticket_number), bytes.as_slice())
        .map_err(io)?;
    Ok(version)
}

pub(crate) fn put_comment(txn: &WriteTransaction, comment: &CaseComment) -> StoreResult<()> {
    let mut comments = txn.open_table(COMMENTS).map_err(io)?;
    let mut by_case = txn.open_table(COMMENTS_BY_CASE).map_err(io)?;
    let key = comment.id.as_str();
    let old: Option<CaseComment> = {
        let found = comments.get(key).map_err(io)?;
        found
            .map(|bytes| decode(COMMENT, key, bytes.value()))
            .transpose()?
    };
    if let Some(old) = old {
        let old_sort = time_key(old.created_at, key);
        by_case
            .remove((old.case_id.as_str(), old_sort.as_str()))
            .map_err(io)?;
    }
    let bytes = encode(COMMENT, key, comment)?;
    comments.insert(key, bytes.as_slice()).map_err(io)?;
    let sort = time_key(comment.created_at, key);
    by_case
        .insert((comment.case_id.as_str(), sort.as_str()), key)
        .map_err(io)?;
    Ok(())
}

pub(crate) fn list_comments(txn: &ReadTransaction, case: &CaseId) -> StoreResult<Vec<CaseComment>> {
    let comments = txn.open_table(COMMENTS).map_err(io)?;
    let by_case = txn.open_table(COMMENTS_BY_CASE).map_err(io)?;
    let upper = after(case.as_str());
    let mut out = Vec::new();
    for row in by_case
        .range((case.as_str(), "")..(upper.as_str(), ""))
        .map_err(io)?
    {
        let (_, id) = row.map_err(io)?;
        let id = id.value();
        if let Some(bytes) = comments.get(id).map_err(io)? {
            out.push(decode(COMMENT, id, bytes.value())?);
        }
    }
    Ok(out)
}
