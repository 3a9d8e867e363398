//! Sync jobs, export cursors and the per-ticket sync log, all in the integration's partitions.
//! Job counters are top-level number attributes so `ADD` can bump them atomically.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};
use chrono::{Duration, Utc};
use zsync_core::ports::{LogFilter, Page, StoreError, StoreResult, Versioned};
use zsync_mapping::{ExportCursor, IntegrationId, JobCounters, JobId, SyncJob, SyncLogEntry};

use super::DynamoStore;
use super::cursor::KeyShape;
use super::errors::unavailable;
use super::item::{Item, check_size, decode, encode, n, s, version};
use super::keys;
use super::ops::{Filter, QuerySpec};
use super::people::COLLECTION_SHAPE;

const JOB: &str = "sync_job";
const CURSOR: &str = "export_cursor";
const LOG: &str = "sync_log";
const COUNTERS: &str = "counters";
const COUNTER_PREFIX: &str = "counter_";
/// Requests one list_log call may take to skip expired entries.
const LOG_MAX_CALLS: usize = 5;

fn job_key(integration: &IntegrationId, id: &JobId) -> String {
    format!("{integration}/{id}")
}

fn counter_attributes(counters: &JobCounters) -> StoreResult<Item> {
    let item: Item = serde_dynamo::to_item(counters).map_err(|e| StoreError::Corrupt {
        entity: JOB,
        key: "counters".to_owned(),
        reason: e.to_string(),
    })?;
    Ok(item
        .into_iter()
        .map(|(name, value)| (format!("{COUNTER_PREFIX}{name}"), value))
        .collect())
}

fn job_item(job: &SyncJob) -> StoreResult<Item> {
    let key = job_key(&job.integration_id, &job.id);
    let mut item = encode(
        job,
        JOB,
        &key,
        keys::integration_pk(&job.integration_id),
        keys::job_sk(&job.id),
    )?;
    item.remove(COUNTERS);
    item.extend(counter_attributes(&job.counters)?);
    item.insert(
        "GSI1PK".to_owned(),
        s(keys::jobs_collection(&job.integration_id)),
    );
    item.insert("GSI1SK".to_owned(), s(keys::job_order(job)));
    Ok(item)
}

fn decode_job(mut item: Item, key: &str) -> StoreResult<SyncJob> {
    let counter_names: Vec<String> = item
        .keys()
        .filter(|name| name.starts_with(COUNTER_PREFIX))
        .cloned()
        .collect();
    // Counters missing from an older item (added to JobCounters since) read as zero.
    let mut counters: Item = counter_attributes(&JobCounters::default())?
        .into_iter()
        .map(|(name, zero)| (name[COUNTER_PREFIX.len()..].to_owned(), zero))
        .collect();
    counters.extend(counter_names.into_iter().filter_map(|name| {
        let value = item.remove(&name)?;
        Some((name[COUNTER_PREFIX.len()..].to_owned(), value))
    }));
    item.insert(COUNTERS.to_owned(), AttributeValue::M(counters));
    decode(item, JOB, key)
}

impl DynamoStore {
    pub(super) async fn create_job_impl(&self, job: &SyncJob) -> StoreResult<()> {
        let mut item = job_item(job)?;
        item.insert(keys::VERSION.to_owned(), n(1));
        self.put_new(item, JOB, &job_key(&job.integration_id, &job.id))
            .await
    }

    pub(super) async fn get_job_impl(
        &self,
        integration: &IntegrationId,
        id: &JobId,
    ) -> StoreResult<Option<Versioned<SyncJob>>> {
        let key = job_key(integration, id);
        let Some(item) = self
            .get_item(keys::integration_pk(integration), &keys::job_sk(id))
            .await?
        else {
            return Ok(None);
        };
        let version = version(&item, JOB, &key)?;
        Ok(Some(Versioned::new(decode_job(item, &key)?, version)))
    }

    pub(super) async fn list_jobs_impl(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>> {
        Ok(self
            .list_jobs_page_impl(integration, None, limit)
            .await?
            .items)
    }

    pub(super) async fn list_jobs_page_impl(
        &self,
        integration: &IntegrationId,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncJob>> {
        let spec = QuerySpec {
            shape: COLLECTION_SHAPE,
            pk_value: keys::jobs_collection(integration),
            sk_prefix: None,
            newest_first: true,
            filter: Filter::default(),
        };
        let (items, next_cursor) = self.query_page(&spec, cursor, limit, 1).await?;
        let items = items
            .into_iter()
            .map(|item| decode_job(item, integration.as_str()))
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, next_cursor })
    }

    pub(super) async fn update_job_impl(&self, job: &SyncJob, expected: u64) -> StoreResult<u64> {
        let item = job_item(job)?;
        self.put_versioned(item, JOB, &job_key(&job.integration_id, &job.id), expected)
            .await
    }

    /// `ADD` on every counter and on the version, so a concurrent `update_job` that read the
    /// old counters fails its version check instead of overwriting these increments.
    pub(super) async fn add_job_counters_impl(
        &self,
        integration: &IntegrationId,
        id: &JobId,
        delta: &JobCounters,
    ) -> StoreResult<SyncJob> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::integration_pk(integration)))
            .key(keys::SK, s(keys::job_sk(id)))
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#version", keys::VERSION)
            .expression_attribute_values(":one", n(1))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let mut adds = vec!["#version :one".to_owned()];
        for (i, (name, value)) in counter_attributes(delta)?.into_iter().enumerate() {
            adds.push(format!("#c{i} :c{i}"));
            request = request
                .expression_attribute_names(format!("#c{i}"), name)
                .expression_attribute_values(format!(":c{i}"), value);
        }
        let result = request
            .update_expression(format!("ADD {}", adds.join(", ")))
            // The new image (a few hundred bytes): the caller learns the totals without a read.
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => decode_job(
                output.attributes.unwrap_or_default(),
                &job_key(integration, id),
            ),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => {
                    Err(StoreError::NotFound {
                        entity: JOB,
                        key: job_key(integration, id),
                    })
                }
                _ => Err(unavailable("UpdateItem", e)),
            },
        }
    }

    pub(super) async fn get_export_cursor_impl(
        &self,
        integration: &IntegrationId,
    ) -> StoreResult<Option<Versioned<ExportCursor>>> {
        let key = integration.as_str();
        let Some(item) = self
            .get_item(keys::integration_pk(integration), keys::EXPORT_CURSOR_SK)
            .await?
        else {
            return Ok(None);
        };
        let version = version(&item, CURSOR, key)?;
        Ok(Some(Versioned::new(decode(item, CURSOR, key)?, version)))
    }

    pub(super) async fn put_export_cursor_impl(
        &self,
        cursor: &ExportCursor,
        expected: u64,
    ) -> StoreResult<u64> {
        let key = cursor.integration_id.as_str();
        let mut item = encode(
            cursor,
            CURSOR,
            key,
            keys::integration_pk(&cursor.integration_id),
            keys::EXPORT_CURSOR_SK,
        )?;
        if expected > 0 {
            return self.put_versioned(item, CURSOR, key, expected).await;
        }
        item.insert(keys::VERSION.to_owned(), n(1));
        match self.put_new(item, CURSOR, key).await {
            Ok(()) => Ok(1),
            Err(StoreError::AlreadyExists { .. }) => Err(StoreError::VersionConflict {
                entity: CURSOR,
                key: key.to_owned(),
                expected,
            }),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn append_log_impl(
        &self,
        entry: &SyncLogEntry,
        ttl: Duration,
    ) -> StoreResult<()> {
        let unique = uuid::Uuid::new_v4();
        let sk = format!("{}#{unique}", keys::sortable_time(&entry.at));
        let mut item = encode(
            entry,
            LOG,
            &sk,
            keys::log_pk(&entry.integration_id),
            sk.clone(),
        )?;
        let expires = entry.at + ttl;
        item.insert(keys::TTL_ATTRIBUTE.to_owned(), n(expires.timestamp()));
        item.insert(keys::EXPIRES_MS.to_owned(), n(expires.timestamp_millis()));
        check_size(&item, LOG, &sk)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }

    pub(super) async fn list_log_impl(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncLogEntry>> {
        let page = self
            .list_log_page_impl(integration, &LogFilter::default(), None, limit)
            .await?;
        Ok(page.items)
    }

    /// The filters are a FilterExpression on the log's partition; the page reads on while they
    /// leave it short (bounded by `LOG_MAX_CALLS`, then it is short and carries a cursor).
    pub(super) async fn list_log_page_impl(
        &self,
        integration: &IntegrationId,
        filter: &LogFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncLogEntry>> {
        // Expired entries wait for TTL's lazy deletion; they are not shown.
        let mut live = Filter::default();
        live.expression.push("#until > :now".to_owned());
        live.names
            .insert("#until".to_owned(), keys::EXPIRES_MS.to_owned());
        live.values
            .insert(":now".to_owned(), n(Utc::now().timestamp_millis()));
        if let Some(ticket) = filter.ticket_number {
            live.equals("ticket_number", n(ticket));
        }
        if let Some(outcome) = filter.outcome {
            live.equals("outcome", s(outcome.as_str()));
        }
        let spec = QuerySpec {
            shape: KeyShape {
                index: None,
                pk_attr: keys::PK,
                sk_attr: keys::SK,
            },
            pk_value: keys::log_pk(integration),
            sk_prefix: None,
            newest_first: true,
            filter: live,
        };
        let (items, next_cursor) = self.query_page(&spec, cursor, limit, LOG_MAX_CALLS).await?;
        let items = items
            .into_iter()
            .map(|item| decode(item, LOG, integration.as_str()))
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zsync_mapping::{JobKind, JobState};

    fn job() -> SyncJob {
        SyncJob {
            id: JobId::new("j1"),
            integration_id: IntegrationId::new("acme"),
            kind: JobKind::Full,
            state: JobState::Running,
            started_at: chrono::DateTime::UNIX_EPOCH,
            finished_at: None,
            counters: JobCounters {
                tickets_seen: 7,
                failed: 2,
                ..JobCounters::default()
            },
            error: None,
            export_complete: false,
        }
    }

    #[test]
    fn counters_are_top_level_numbers_that_read_back() {
        let item = job_item(&job()).unwrap();
        assert!(!item.contains_key(COUNTERS));
        assert_eq!(item.get("counter_tickets_seen"), Some(&n(7)));
        assert_eq!(decode_job(item, "k").unwrap(), job());
    }

    #[test]
    fn a_counter_missing_from_an_older_item_reads_as_zero() {
        let mut item = job_item(&job()).unwrap();
        item.remove("counter_failed");
        let decoded = decode_job(item, "k").unwrap();
        assert_eq!(decoded.counters.failed, 0);
        assert_eq!(decoded.counters.tickets_seen, 7);
    }
}
