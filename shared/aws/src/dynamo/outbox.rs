//! The push outbox: one small item per case with CRM changes not yet pushed
//! (`PUSHES#<integration>` / `CASE#<case>`: an integration's entries are one query), written in
//! the same TransactWriteItems as the case or comment. Cost: a transaction writes each item
//! twice (2 × the case or comment item's units + 2 units for the entry) instead of once; an
//! entry is deleted (1 unit) when its push is done.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnConsumedCapacity, TransactWriteItem, Update,
};
use zsync_core::ports::{PendingPush, StoreError, StoreResult};
use zsync_mapping::{Case, CaseComment, CaseId, IntegrationId};

use super::DynamoStore;
use super::cases::{case_item, comment_item};
use super::cursor::KeyShape;
use super::errors::unavailable;
use super::item::{Item, check_size, get_str, get_u64, n, s};
use super::keys;
use super::ops::{Filter, QuerySpec, failed_at};

const CASE: &str = "case";
const CASE_SK_PREFIX: &str = "CASE#";

pub(super) fn pushes_pk(integration: &IntegrationId) -> String {
    format!("PUSHES#{integration}")
}

fn entry_sk(case: &CaseId) -> String {
    format!("{CASE_SK_PREFIX}{case}")
}

fn building(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building a transaction: {e}"))
}

/// Sets the entry's flag (`fields` or `comments`) and bumps `marks`, creating it if absent.
fn mark(
    table: &str,
    integration: &IntegrationId,
    case: &CaseId,
    flag: &str,
) -> StoreResult<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .key(keys::PK, s(pushes_pk(integration)))
        .key(keys::SK, s(entry_sk(case)))
        .update_expression(
            "SET #entity = :entity, integration_id = :integration, case_id = :case, #flag = :yes ADD marks :one",
        )
        .expression_attribute_names("#entity", keys::ENTITY)
        .expression_attribute_names("#flag", flag)
        .expression_attribute_values(":entity", s("pending_push"))
        .expression_attribute_values(":integration", s(integration.as_str()))
        .expression_attribute_values(":case", s(case.as_str()))
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .expression_attribute_values(":one", n(1))
        .build()
        .map_err(building)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

fn decode_entry(item: &Item, integration: &IntegrationId) -> StoreResult<PendingPush> {
    let flag = |name: &str| matches!(item.get(name), Some(AttributeValue::Bool(true)));
    let (Some(case), Some(marks)) = (get_str(item, "case_id"), get_u64(item, "marks")) else {
        return Err(StoreError::Corrupt {
            entity: "pending_push",
            key: get_str(item, keys::SK).unwrap_or_default().to_owned(),
            reason: "missing case_id or marks".to_owned(),
        });
    };
    Ok(PendingPush {
        integration_id: integration.clone(),
        case_id: CaseId::new(case),
        fields: flag("fields"),
        comments: flag("comments"),
        marks,
    })
}

impl DynamoStore {
    pub(super) async fn update_case_marking_push_impl(
        &self,
        case: &Case,
        expected: u64,
        integration: &IntegrationId,
    ) -> StoreResult<u64> {
        let next = expected.saturating_add(1);
        let mut item = case_item(case)?;
        item.insert(keys::VERSION.to_owned(), n(next));
        check_size(&item, CASE, case.id.as_str())?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(PK) AND #version = :expected")
            .expression_attribute_names("#version", keys::VERSION)
            .expression_attribute_values(":expected", n(expected))
            .build()
            .map_err(building)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            mark(&self.table, integration, &case.id, "fields")?,
        ];
        match self.transact(items).await? {
            None => Ok(next),
            Some(codes) if failed_at(&codes, 0) => {
                // Gone or changed: the transaction names no reason, a read tells them apart.
                match self.get_case_impl(&case.id).await? {
                    None => Err(StoreError::NotFound {
                        entity: CASE,
                        key: case.id.to_string(),
                    }),
                    Some(_) => Err(StoreError::VersionConflict {
                        entity: CASE,
                        key: case.id.to_string(),
                        expected,
                    }),
                }
            }
            Some(codes) => Err(StoreError::Unavailable(format!(
                "case update cancelled: {codes:?}"
            ))),
        }
    }

    pub(super) async fn put_comment_marking_push_impl(
        &self,
        comment: &CaseComment,
        integration: &IntegrationId,
    ) -> StoreResult<()> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(comment_item(comment)?))
            .build()
            .map_err(building)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            mark(&self.table, integration, &comment.case_id, "comments")?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) => Err(StoreError::Unavailable(format!(
                "comment write cancelled: {codes:?}"
            ))),
        }
    }

    pub(super) async fn get_pending_push_impl(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
    ) -> StoreResult<Option<PendingPush>> {
        let item = self
            .get_item(pushes_pk(integration), &entry_sk(case))
            .await?;
        item.map(|item| decode_entry(&item, integration))
            .transpose()
    }

    pub(super) async fn list_pending_pushes_impl(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<PendingPush>> {
        let spec = QuerySpec {
            shape: KeyShape {
                index: None,
                pk_attr: keys::PK,
                sk_attr: keys::SK,
            },
            pk_value: pushes_pk(integration),
            sk_prefix: Some(CASE_SK_PREFIX),
            newest_first: false,
            filter: Filter::default(),
        };
        let (items, _) = self.query_page(&spec, None, limit, 1).await?;
        items
            .iter()
            .map(|item| decode_entry(item, integration))
            .collect()
    }

    pub(super) async fn clear_pending_push_impl(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
        marks: u64,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(pushes_pk(integration)))
            .key(keys::SK, s(entry_sk(case)))
            .condition_expression("marks = :marks")
            .expression_attribute_values(":marks", n(marks))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            // Marked again since it was read (or already gone): keep it for the next push.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
    }
}
