//! Purging a deleted integration's sync data (docs/sync-rules.md §2 lifecycle): a bounded step
//! per call, in one transaction; what is gone stays gone, so the next call goes on from there.

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use zsync_core::ports::{PurgeProgress, StoreResult};
use zsync_mapping::{CaseId, IntegrationId, TicketRecord};

use super::cases::{read_case, update_case};
use super::io;
use super::schema::{
    CASES, CURSORS, JOBS, JOBS_BY_TIME, LOG, PENDING_PUSHES, Stored, TICKET_BY_CASE, TICKETS,
    after, decode,
};

/// Removes up to `budget` rows of `id` from a table keyed by (integration, …); true if more are
/// left.
fn purge_rows<V: redb::Value + 'static>(
    txn: &WriteTransaction,
    table: TableDefinition<(&'static str, &'static str), V>,
    id: &str,
    budget: usize,
) -> StoreResult<(usize, bool)> {
    let mut table = txn.open_table(table).map_err(io)?;
    let upper = after(id);
    let keys = table
        .range((id, "")..(upper.as_str(), ""))
        .map_err(io)?
        .take(budget + 1)
        .map(|row| row.map(|(k, _)| k.value().1.to_owned()).map_err(io))
        .collect::<StoreResult<Vec<String>>>()?;
    let removed = keys.len().min(budget);
    for key in &keys[..removed] {
        table.remove((id, key.as_str())).map_err(io)?;
    }
    Ok((removed, keys.len() > budget))
}

/// Removes up to `budget` ticket records of `id`, unlinking their cases; returns their ticket
/// numbers and whether more are left.
fn purge_records(
    txn: &WriteTransaction,
    id: &IntegrationId,
    budget: usize,
) -> StoreResult<(Vec<u64>, bool)> {
    let records = {
        let tickets = txn.open_table(TICKETS).map_err(io)?;
        tickets
            .range((id.as_str(), 0)..=(id.as_str(), u64::MAX))
            .map_err(io)?
            .take(budget + 1)
            .map(|row| {
                let (key, bytes) = row.map_err(io)?;
                let number = key.value().1;
                let stored: Stored<TicketRecord> =
                    decode("ticket record", &format!("{id}/{number}"), bytes.value())?;
                Ok(stored.value)
            })
            .collect::<StoreResult<Vec<_>>>()?
    };
    let more = records.len() > budget;
    let mut numbers = Vec::new();
    for record in records.into_iter().take(budget) {
        let number = record.ticket_number;
        txn.open_table(TICKETS)
            .map_err(io)?
            .remove((id.as_str(), number))
            .map_err(io)?;
        {
            let mut by_case = txn.open_table(TICKET_BY_CASE).map_err(io)?;
            let links_here = by_case
                .get(record.case_id.as_str())
                .map_err(io)?
                .is_some_and(|link| link.value() == (id.as_str(), number));
            if links_here {
                by_case.remove(record.case_id.as_str()).map_err(io)?;
            }
        }
        unlink_case(txn, &record.case_id, id)?;
        numbers.push(number);
    }
    Ok((numbers, more))
}

fn unlink_case(txn: &WriteTransaction, case: &CaseId, id: &IntegrationId) -> StoreResult<()> {
    let stored = {
        let cases = txn.open_table(CASES).map_err(io)?;
        read_case(&cases, case.as_str())?
    };
    if let Some(stored) = stored.filter(|s| s.value.integration_id.as_ref() == Some(id)) {
        let mut unlinked = stored.value;
        unlinked.integration_id = None;
        update_case(txn, &unlinked, stored.version)?;
    }
    Ok(())
}

pub(crate) fn purge_integration_data(
    txn: &WriteTransaction,
    id: &IntegrationId,
    limit: usize,
) -> StoreResult<PurgeProgress> {
    let limit = limit.max(1);
    let (tickets, mut more) = purge_records(txn, id, limit)?;
    let mut removed = tickets.len();
    let raw = id.as_str();
    macro_rules! purge {
        ($table:expr) => {{
            let (n, left) = purge_rows(txn, $table, raw, limit.saturating_sub(removed))?;
            removed += n;
            more |= left;
        }};
    }
    purge!(JOBS);
    purge!(JOBS_BY_TIME);
    purge!(LOG);
    purge!(PENDING_PUSHES);
    if removed < limit {
        let mut cursors = txn.open_table(CURSORS).map_err(io)?;
        if cursors.remove(raw).map_err(io)?.is_some() {
            removed += 1;
        }
    } else {
        more = true;
    }
    Ok(PurgeProgress {
        tickets,
        removed,
        done: !more,
    })
}
