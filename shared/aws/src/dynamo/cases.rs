//! Cases, their ticket records and comments.
//!
//! A ticket record lives at `TICKET#<integration>#<number>` (the sync's lookup key, so its
//! uniqueness is the item's own key); the case points to it with a small immutable link item
//! (`CASE#<id>` / `TICKET`). Case, record and link are written in one transaction.

use zsync_core::ports::{StoreError, StoreResult, Versioned};
use zsync_mapping::{Case, CaseComment, CaseId, IntegrationId, TicketRecord, ZendeskId};

use aws_sdk_dynamodb::types::{ConditionCheck, ReturnConsumedCapacity, TransactWriteItem};

use super::DynamoStore;
use super::cursor::KeyShape;
use super::errors::unavailable;
use super::item::{Item, check_size, decode, encode, get_str, get_u64, n, s, version};
use super::keys;
use super::ops::{Filter, QuerySpec, failed_at, put_if_absent};

const CASE: &str = "case";
pub(super) const RECORD: &str = "ticket_record";
const COMMENT: &str = "comment";
const CASE_SK: &str = "CASE";
pub(super) const RECORD_SK: &str = "RECORD";
pub(super) const LINK_SK: &str = "TICKET";

pub(super) fn record_key(integration: &IntegrationId, number: ZendeskId) -> String {
    format!("{integration}#{number}")
}

/// A comment's item, under its case; refused before any call if it is too large.
pub(super) fn comment_item(comment: &CaseComment) -> StoreResult<Item> {
    let key = comment.id.as_str();
    let item = encode(
        comment,
        COMMENT,
        key,
        keys::case_pk(&comment.case_id),
        keys::comment_sk(&comment.id),
    )?;
    check_size(&item, COMMENT, key)?;
    Ok(item)
}

/// The case item with its index keys (collection, status, integration, subject).
pub(super) fn case_item(case: &Case) -> StoreResult<Item> {
    let mut item = encode(
        case,
        CASE,
        case.id.as_str(),
        keys::case_pk(&case.id),
        CASE_SK,
    )?;
    let order = keys::case_order(case);
    let mut index = |name: &str, pk: String| {
        item.insert(format!("{name}PK"), s(pk));
        item.insert(format!("{name}SK"), s(order.clone()));
    };
    index(keys::GSI1, keys::CASES_COLLECTION.to_owned());
    index(keys::GSI2, keys::cases_by_status(case.status));
    if let Some(integration) = &case.integration_id {
        index(keys::GSI3, keys::cases_by_integration(integration));
    }
    index(keys::GSI4, keys::cases_by_subject(&case.subject));
    Ok(item)
}

pub(super) fn record_item(record: &TicketRecord) -> StoreResult<Item> {
    let key = record_key(&record.integration_id, record.ticket_number);
    encode(
        record,
        RECORD,
        &key,
        keys::ticket_pk(&record.integration_id, record.ticket_number),
        RECORD_SK,
    )
}

pub(super) fn link_item(record: &TicketRecord) -> Item {
    [
        (keys::PK, s(keys::case_pk(&record.case_id))),
        (keys::SK, s(LINK_SK)),
        (keys::ENTITY, s("ticket_link")),
        ("integration_id", s(record.integration_id.as_str())),
        ("ticket_number", n(record.ticket_number)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn decode_versioned<T: serde::de::DeserializeOwned>(
    item: Item,
    entity: &'static str,
    key: &str,
) -> StoreResult<Versioned<T>> {
    let version = version(&item, entity, key)?;
    Ok(Versioned::new(decode(item, entity, key)?, version))
}

impl DynamoStore {
    pub(super) async fn create_case_impl(&self, case: &Case) -> StoreResult<()> {
        let mut item = case_item(case)?;
        item.insert(keys::VERSION.to_owned(), n(1));
        self.put_new(item, CASE, case.id.as_str()).await
    }

    pub(super) async fn create_linked_case_impl(
        &self,
        case: &Case,
        record: &TicketRecord,
    ) -> StoreResult<()> {
        let mut case_item = case_item(case)?;
        case_item.insert(keys::VERSION.to_owned(), n(1));
        check_size(&case_item, CASE, case.id.as_str())?;
        let record_key = record_key(&record.integration_id, record.ticket_number);
        let mut record_item = record_item(record)?;
        record_item.insert(keys::VERSION.to_owned(), n(1));
        check_size(&record_item, RECORD, &record_key)?;
        let items = vec![
            put_if_absent(&self.table, record_item)?,
            put_if_absent(&self.table, case_item)?,
            put_if_absent(&self.table, link_item(record))?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) if failed_at(&codes, 0) => Err(StoreError::AlreadyExists {
                entity: RECORD,
                key: record_key,
            }),
            Some(_) => Err(StoreError::AlreadyExists {
                entity: CASE,
                key: case.id.to_string(),
            }),
        }
    }

    pub(super) async fn get_case_impl(&self, id: &CaseId) -> StoreResult<Option<Versioned<Case>>> {
        let item = self.get_item(keys::case_pk(id), CASE_SK).await?;
        item.map(|item| decode_versioned(item, CASE, id.as_str()))
            .transpose()
    }

    pub(super) async fn update_case_impl(&self, case: &Case, expected: u64) -> StoreResult<u64> {
        let item = case_item(case)?;
        self.put_versioned(item, CASE, case.id.as_str(), expected)
            .await
    }

    pub(super) async fn get_ticket_record_impl(
        &self,
        integration: &IntegrationId,
        number: ZendeskId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        let key = record_key(integration, number);
        let item = self
            .get_item(keys::ticket_pk(integration, number), RECORD_SK)
            .await?;
        item.map(|item| decode_versioned(item, RECORD, &key))
            .transpose()
    }

    pub(super) async fn get_ticket_record_for_case_impl(
        &self,
        case: &CaseId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        let Some(link) = self.get_item(keys::case_pk(case), LINK_SK).await? else {
            return Ok(None);
        };
        let (Some(integration), Some(number)) = (
            get_str(&link, "integration_id"),
            get_u64(&link, "ticket_number"),
        ) else {
            return Err(StoreError::Corrupt {
                entity: "ticket_link",
                key: case.to_string(),
                reason: "missing integration_id or ticket_number".to_owned(),
            });
        };
        let integration = IntegrationId::new(integration);
        self.get_ticket_record_impl(&integration, number).await
    }

    pub(super) async fn create_ticket_record_impl(&self, record: &TicketRecord) -> StoreResult<()> {
        let key = record_key(&record.integration_id, record.ticket_number);
        let mut item = record_item(record)?;
        item.insert(keys::VERSION.to_owned(), n(1));
        check_size(&item, RECORD, &key)?;
        let case_exists = ConditionCheck::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::case_pk(&record.case_id)))
            .key(keys::SK, s(CASE_SK))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a transaction: {e}")))?;
        let items = vec![
            put_if_absent(&self.table, item)?,
            put_if_absent(&self.table, link_item(record))?,
            TransactWriteItem::builder()
                .condition_check(case_exists)
                .build(),
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) if failed_at(&codes, 0) => Err(StoreError::AlreadyExists {
                entity: RECORD,
                key,
            }),
            Some(codes) if failed_at(&codes, 1) => Err(StoreError::AlreadyExists {
                entity: "ticket record of case",
                key: record.case_id.to_string(),
            }),
            Some(_) => Err(StoreError::NotFound {
                entity: CASE,
                key: record.case_id.to_string(),
            }),
        }
    }

    pub(super) async fn update_ticket_record_impl(
        &self,
        record: &TicketRecord,
        expected: u64,
    ) -> StoreResult<u64> {
        let key = record_key(&record.integration_id, record.ticket_number);
        let item = record_item(record)?;
        self.put_versioned(item, RECORD, &key, expected).await
    }

    pub(super) async fn put_comment_impl(&self, comment: &CaseComment) -> StoreResult<()> {
        let item = comment_item(comment)?;
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

    pub(super) async fn list_comments_impl(&self, case: &CaseId) -> StoreResult<Vec<CaseComment>> {
        let spec = QuerySpec {
            shape: KeyShape {
                index: None,
                pk_attr: keys::PK,
                sk_attr: keys::SK,
            },
            pk_value: keys::case_pk(case),
            sk_prefix: Some(keys::COMMENT_PREFIX),
            newest_first: false,
            filter: Filter::default(),
        };
        let mut comments = self
            .query_all(&spec)
            .await?
            .into_iter()
            .map(|item| decode::<CaseComment>(item, COMMENT, case.as_str()))
            .collect::<StoreResult<Vec<_>>>()?;
        // Keyed by id for idempotent re-imports; ordered by time for readers.
        comments.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(comments)
    }
}
