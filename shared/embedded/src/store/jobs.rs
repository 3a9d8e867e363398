//! Sync jobs and export cursors.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use zsync_core::ports::{Page, StoreError, StoreResult, Versioned};
use zsync_mapping::{ExportCursor, IntegrationId, JobCounter, JobCounters, JobId, SyncJob};

use super::io;
use super::schema::{
    CURSORS, JOBS, JOBS_BY_TIME, Stored, after, decode, decode_cursor, encode, encode_cursor,
    time_key,
};

const JOB: &str = "sync job";
const CURSOR: &str = "export cursor";

fn shown(integration: &str, id: &str) -> String {
    format!("{integration}/{id}")
}

fn read_job<T>(jobs: &T, integration: &str, id: &str) -> StoreResult<Option<Stored<SyncJob>>>
where
    T: ReadableTable<(&'static str, &'static str), &'static [u8]>,
{
    let found = jobs.get((integration, id)).map_err(io)?;
    found
        .map(|bytes| decode(JOB, &shown(integration, id), bytes.value()))
        .transpose()
}

fn write_job(
    txn: &WriteTransaction,
    job: &SyncJob,
    version: u64,
    previous: Option<&SyncJob>,
) -> StoreResult<()> {
    let integration = job.integration_id.as_str();
    let id = job.id.as_str();
    let bytes = encode(
        JOB,
        &shown(integration, id),
        &Stored {
            version,
            value: job,
        },
    )?;
    txn.open_table(JOBS)
        .map_err(io)?
        .insert((integration, id), bytes.as_slice())
        .map_err(io)?;
    let mut by_time = txn.open_table(JOBS_BY_TIME).map_err(io)?;
    if let Some(previous) = previous {
        let old = time_key(previous.started_at, id);
        by_time.remove((integration, old.as_str())).map_err(io)?;
    }
    let sort = time_key(job.started_at, id);
    by_time
        .insert((integration, sort.as_str()), id)
        .map_err(io)?;
    Ok(())
}

pub(crate) fn create_job(txn: &WriteTransaction, job: &SyncJob) -> StoreResult<()> {
    let jobs = txn.open_table(JOBS).map_err(io)?;
    let (integration, id) = (job.integration_id.as_str(), job.id.as_str());
    if jobs.get((integration, id)).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: JOB,
            key: shown(integration, id),
        });
    }
    drop(jobs);
    write_job(txn, job, 1, None)
}

pub(crate) fn get_job(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    id: &JobId,
) -> StoreResult<Option<Versioned<SyncJob>>> {
    let jobs = txn.open_table(JOBS).map_err(io)?;
    Ok(read_job(&jobs, integration.as_str(), id.as_str())?
        .map(|s| Versioned::new(s.value, s.version)))
}

pub(crate) fn list_jobs(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    limit: usize,
) -> StoreResult<Vec<SyncJob>> {
    Ok(list_jobs_page(txn, integration, None, limit)?.items)
}

/// A page of jobs newest first; the cursor is the last job's time key.
pub(crate) fn list_jobs_page(
    txn: &ReadTransaction,
    integration: &IntegrationId,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<SyncJob>> {
    let jobs = txn.open_table(JOBS).map_err(io)?;
    let by_time = txn.open_table(JOBS_BY_TIME).map_err(io)?;
    let integration = integration.as_str();
    let upper = after(integration);
    let below = cursor.map(decode_cursor).transpose()?;
    let rows = match below.as_deref() {
        Some(below) => by_time.range((integration, "")..(integration, below)),
        None => by_time.range((integration, "")..(upper.as_str(), "")),
    }
    .map_err(io)?;
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for row in rows.rev() {
        let (key, id) = row.map_err(io)?;
        let Some(stored) = read_job(&jobs, integration, id.value())? else {
            continue;
        };
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(stored.value);
        last_key = Some(key.value().1.to_owned());
    }
    let next_cursor = more
        .then(|| last_key.as_deref().map(encode_cursor))
        .flatten();
    Ok(Page { items, next_cursor })
}

/// Loads a job for a conditional change, `NotFound` if it does not exist.
fn existing_job(
    txn: &WriteTransaction,
    integration: &str,
    id: &str,
) -> StoreResult<Stored<SyncJob>> {
    let jobs = txn.open_table(JOBS).map_err(io)?;
    read_job(&jobs, integration, id)?.ok_or_else(|| StoreError::NotFound {
        entity: JOB,
        key: shown(integration, id),
    })
}

pub(crate) fn update_job(txn: &WriteTransaction, job: &SyncJob, expected: u64) -> StoreResult<u64> {
    let (integration, id) = (job.integration_id.as_str(), job.id.as_str());
    let old = existing_job(txn, integration, id)?;
    if old.version != expected {
        return Err(StoreError::VersionConflict {
            entity: JOB,
            key: shown(integration, id),
            expected,
        });
    }
    let version = old.version + 1;
    write_job(txn, job, version, Some(&old.value))?;
    Ok(version)
}

/// Adds the counters and bumps the version, so an update from an older read conflicts instead
/// of overwriting the counts.
pub(crate) fn add_job_counters(
    txn: &WriteTransaction,
    integration: &IntegrationId,
    id: &JobId,
    delta: &JobCounters,
) -> StoreResult<SyncJob> {
    let old = existing_job(txn, integration.as_str(), id.as_str())?;
    let mut job = old.value.clone();
    for (counter, n) in [
        (JobCounter::TicketsSeen, delta.tickets_seen),
        (JobCounter::CasesCreated, delta.cases_created),
        (JobCounter::CasesUpdated, delta.cases_updated),
        (JobCounter::Unchanged, delta.unchanged),
        (JobCounter::Failed, delta.failed),
    ] {
        job.counters.add(counter, n);
    }
    write_job(txn, &job, old.version + 1, Some(&old.value))?;
    Ok(job)
}

pub(crate) fn get_export_cursor(
    txn: &ReadTransaction,
    integration: &IntegrationId,
) -> StoreResult<Option<Versioned<ExportCursor>>> {
    let cursors = txn.open_table(CURSORS).map_err(io)?;
    let key = integration.as_str();
    let found = cursors.get(key).map_err(io)?;
    found
        .map(|bytes| {
            decode::<Stored<ExportCursor>>(CURSOR, key, bytes.value())
                .map(|s| Versioned::new(s.value, s.version))
        })
        .transpose()
}

pub(crate) fn put_export_cursor(
    txn: &WriteTransaction,
    cursor: &ExportCursor,
    expected: u64,
) -> StoreResult<u64> {
    let mut cursors = txn.open_table(CURSORS).map_err(io)?;
    let key = cursor.integration_id.as_str();
    let current = {
        let found = cursors.get(key).map_err(io)?;
        found
            .map(|bytes| decode::<Stored<serde_json::Value>>(CURSOR, key, bytes.value()))
            .transpose()?
    };
    let current_version = current.map_or(0, |s| s.version);
    if current_version != expected {
        return Err(StoreError::VersionConflict {
            entity: CURSOR,
            key: key.to_owned(),
            expected,
        });
    }
    let version = expected + 1;
    let bytes = encode(
        CURSOR,
        key,
        &Stored {
            version,
            value: cursor,
        },
    )?;
    cursors.insert(key, bytes.as_slice()).map_err(io)?;
    Ok(version)
}
