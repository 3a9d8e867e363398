//! The few DynamoDB calls every entity uses: consistent get, create-if-absent, versioned
//! replace, transactions with their cancellation reasons, and paged queries.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem,
};
use zsync_core::ports::{StoreError, StoreResult};

use super::DynamoStore;
use super::cursor::{self, KeyShape};
use super::errors::unavailable;
use super::item::{Item, check_size, n, s};
use super::keys;

pub const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// Attempts of a transaction that lost a race to another transaction on the same items.
const TRANSACTION_ATTEMPTS: u32 = 6;

/// A FilterExpression with its placeholders.
#[derive(Default)]
pub struct Filter {
    pub expression: Vec<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Filter {
    pub fn equals(&mut self, attribute: &str, value: AttributeValue) {
        let i = self.expression.len();
        self.expression.push(format!("#f{i} = :f{i}"));
        self.names.insert(format!("#f{i}"), attribute.to_owned());
        self.values.insert(format!(":f{i}"), value);
    }

    pub fn is_empty(&self) -> bool {
        self.expression.is_empty()
    }
}

/// One query: a partition of the table or of an index, in sort-key order or reverse.
pub struct QuerySpec<'a> {
    pub shape: KeyShape,
    pub pk_value: String,
    pub sk_prefix: Option<&'a str>,
    pub newest_first: bool,
    pub filter: Filter,
}

impl DynamoStore {
    pub(super) async fn get_item(&self, pk: String, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item)
    }

    /// Writes `item` only if no item has its key.
    pub(super) async fn put_new(
        &self,
        item: Item,
        entity: &'static str,
        key: &str,
    ) -> StoreResult<()> {
        check_size(&item, entity, key)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_put_condition_failure(&e) => Err(StoreError::AlreadyExists {
                entity,
                key: key.to_owned(),
            }),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    /// Replaces `item` if the stored one is at `expected`; returns the new version.
    pub(super) async fn put_versioned(
        &self,
        mut item: Item,
        entity: &'static str,
        key: &str,
        expected: u64,
    ) -> StoreResult<u64> {
        let next = expected.saturating_add(1);
        item.insert(keys::VERSION.to_owned(), n(next));
        check_size(&item, entity, key)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(PK) AND #version = :expected")
            .expression_attribute_names("#version", keys::VERSION)
            .expression_attribute_values(":expected", n(expected))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(_) => Ok(next),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    if failed.item().is_some() {
                        Err(StoreError::VersionConflict {
                            entity,
                            key: key.to_owned(),
                            expected,
                        })
                    } else {
                        Err(StoreError::NotFound {
                            entity,
                            key: key.to_owned(),
                        })
                    }
                }
                _ => Err(unavailable("PutItem", e)),
            },
        }
    }

    /// Runs a transaction. `Ok(None)`: committed. `Ok(Some(codes))`: cancelled because a
    /// condition failed; `codes[i]` is item i's reason (`ConditionalCheckFailed`, `None`, …).
    /// Cancellations that are only lost races (`TransactionConflict`) or throttling are retried
    /// a few times with backoff, then reported as `Unavailable`.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> StoreResult<Option<Vec<String>>> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(None),
                Err(e) => e,
            };
            let codes = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => cancel
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_owned())
                    .collect::<Vec<_>>(),
                _ => return Err(unavailable("TransactWriteItems", err)),
            };
            if codes.iter().any(|c| c == CONDITION_FAILED) {
                return Ok(Some(codes));
            }
            if attempt + 1 < TRANSACTION_ATTEMPTS {
                tokio::time::sleep(StdDuration::from_millis(15 << attempt)).await;
            } else {
                return Err(unavailable("TransactWriteItems", err));
            }
        }
        Err(StoreError::Unavailable(
            "TransactWriteItems: no attempt made".into(),
        ))
    }

    /// One page of `spec`: at most `limit` items, reading on while a filter leaves the page
    /// short, but at most `max_calls` requests (then the page is short and has a cursor).
    pub(super) async fn query_page(
        &self,
        spec: &QuerySpec<'_>,
        cursor: Option<&str>,
        limit: usize,
        max_calls: usize,
    ) -> StoreResult<(Vec<Item>, Option<String>)> {
        self.query_page_where(spec, cursor, limit, max_calls, None)
            .await
    }

    /// [`Self::query_page`], keeping only the items `keep` accepts (a test DynamoDB cannot
    /// express, e.g. the case list's word search). The cursor is the last kept item's key, or
    /// the last evaluated key when the calls ran out, so no match is skipped or repeated.
    pub(super) async fn query_page_where(
        &self,
        spec: &QuerySpec<'_>,
        cursor: Option<&str>,
        limit: usize,
        max_calls: usize,
        keep: Option<&(dyn Fn(&Item) -> bool + Sync)>,
    ) -> StoreResult<(Vec<Item>, Option<String>)> {
        let limit = limit.max(1);
        let filtered = !spec.filter.is_empty() || keep.is_some();
        let mut start = cursor
            .map(|c| cursor::decode(c, &spec.shape, &spec.pk_value))
            .transpose()?;
        let mut items = Vec::new();
        for _ in 0..max_calls.max(1) {
            let want = limit - items.len();
            // With a filter most evaluated items may be dropped: evaluate more per call.
            let evaluate = if filtered { want.max(50) } else { want };
            let (page, last_key) = self.query_once(spec, start.take(), evaluate).await?;
            let mut overflow = false;
            for item in page {
                if keep.is_some_and(|keep| !keep(&item)) {
                    continue;
                }
                if items.len() == limit {
                    overflow = true;
                    break;
                }
                items.push(item);
            }
            if items.len() == limit {
                let more = overflow || last_key.is_some();
                let next = match (more, items.last()) {
                    (true, Some(last)) => Some(cursor::encode(&spec.shape.key_of(last))),
                    _ => None,
                };
                return Ok((items, next));
            }
            match last_key {
                Some(key) => start = Some(key),
                None => return Ok((items, None)),
            }
        }
        Ok((items, start.map(|key| cursor::encode(&key))))
    }

    /// Every item of `spec` (a bounded collection: a case's comments, the integrations).
    pub(super) async fn query_all(&self, spec: &QuerySpec<'_>) -> StoreResult<Vec<Item>> {
        // 10 000 pages of up to 1 MB: far beyond any real collection; a guard, not a limit.
        const MAX_PAGES: usize = 10_000;
        let mut items = Vec::new();
        let mut start = None;
        for _ in 0..MAX_PAGES {
            let (page, last_key) = self.query_once(spec, start, 1000).await?;
            items.extend(page);
            match last_key {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
        Err(StoreError::Unavailable(format!(
            "query of {} did not end after {MAX_PAGES} pages",
            spec.pk_value
        )))
    }

    async fn query_once(
        &self,
        spec: &QuerySpec<'_>,
        start: Option<Item>,
        limit: usize,
    ) -> StoreResult<(Vec<Item>, Option<Item>)> {
        let mut key_condition = "#pk = :pk".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(spec.shape.index.map(str::to_owned))
            .expression_attribute_names("#pk", spec.shape.pk_attr)
            .expression_attribute_values(":pk", s(spec.pk_value.clone()))
            .scan_index_forward(!spec.newest_first)
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if let Some(prefix) = spec.sk_prefix {
            key_condition.push_str(" AND begins_with(#sk, :prefix)");
            request = request
                .expression_attribute_names("#sk", spec.shape.sk_attr)
                .expression_attribute_values(":prefix", s(prefix));
        }
        // Only the base table offers strongly consistent reads.
        if spec.shape.index.is_none() {
            request = request.consistent_read(true);
        }
        if !spec.filter.is_empty() {
            request = request.filter_expression(spec.filter.expression.join(" AND "));
            for (k, v) in &spec.filter.names {
                request = request.expression_attribute_names(k, v);
            }
            for (k, v) in &spec.filter.values {
                request = request.expression_attribute_values(k, v.clone());
            }
        }
        let out = request
            .key_condition_expression(key_condition)
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key))
    }
}

pub fn is_put_condition_failure<R>(e: &aws_sdk_dynamodb::error::SdkError<PutItemError, R>) -> bool {
    matches!(
        e.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}

/// A transaction element that writes `item` only if its key is free.
pub fn put_if_absent(table: &str, item: Item) -> StoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(|e| StoreError::Unavailable(format!("building a transaction: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Whether item `index` of a cancelled transaction failed its condition.
pub fn failed_at(codes: &[String], index: usize) -> bool {
    codes.get(index).is_some_and(|c| c == CONDITION_FAILED)
}

/// A transaction element that replaces `item` (carrying its next version) only if the stored
/// one is at `expected`.
pub fn put_if_version(table: &str, item: Item, expected: u64) -> StoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_exists(PK) AND #version = :expected")
        .expression_attribute_names("#version", keys::VERSION)
        .expression_attribute_values(":expected", n(expected))
        .build()
        .map_err(|e| StoreError::Unavailable(format!("building a transaction: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}
