//! Dedupe records and leases: single items with a TTL, taken with a conditional put. DynamoDB
//! deletes expired items lazily, so the conditions treat an expired item as absent.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use chrono::Duration;
use zsync_core::ports::StoreResult;
use zsync_mapping::Timestamp;

use super::DynamoStore;
use super::errors::unavailable;
use super::item::{Item, n, s};
use super::keys;
use super::ops::is_put_condition_failure;

fn expiring_item(pk: String, sk: &str, entity: &str, until: Timestamp) -> Item {
    [
        (keys::PK, s(pk)),
        (keys::SK, s(sk)),
        (keys::ENTITY, s(entity)),
        (keys::TTL_ATTRIBUTE, n(until.timestamp())),
        (keys::EXPIRES_MS, n(until.timestamp_millis())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl DynamoStore {
    /// Puts `item` if no live item has its key, or `extra_condition` holds; false if refused.
    async fn put_unless_live(
        &self,
        item: Item,
        now: Timestamp,
        extra_condition: Option<(&str, &str)>,
    ) -> StoreResult<bool> {
        let mut condition = "attribute_not_exists(PK) OR #until <= :now".to_owned();
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .expression_attribute_names("#until", keys::EXPIRES_MS)
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        if let Some((attribute, value)) = extra_condition {
            condition.push_str(" OR #extra = :extra");
            request = request
                .expression_attribute_names("#extra", attribute)
                .expression_attribute_values(":extra", s(value));
        }
        match request.condition_expression(condition).send().await {
            Ok(_) => Ok(true),
            Err(e) if is_put_condition_failure(&e) => Ok(false),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    pub(super) async fn remember_once_impl(
        &self,
        key: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let item = expiring_item(keys::dedupe_pk(key), "DEDUPE", "dedupe", now + ttl);
        self.put_unless_live(item, now, None).await
    }

    pub(super) async fn forget_impl(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::dedupe_pk(key)))
            .key(keys::SK, s("DEDUPE"))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable("DeleteItem", e))
    }

    pub(super) async fn acquire_lease_impl(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut item = expiring_item(keys::lease_pk(name), "LEASE", "lease", now + ttl);
        item.insert("holder".to_owned(), s(holder));
        self.put_unless_live(item, now, Some(("holder", holder)))
            .await
    }

    pub(super) async fn release_lease_impl(&self, name: &str, holder: &str) -> StoreResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::lease_pk(name)))
            .key(keys::SK, s("LEASE"))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":holder", s(holder))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not ours (or already gone): nothing to release.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
    }
}
