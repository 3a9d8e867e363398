//! Zendesk account claims (docs/sync-rules.md §2 lifecycle): one item per account,
//! `ACCOUNT#<account>` / `ACCOUNT`, holding `integration_id` (the holder, absent when free) and
//! `former` (deleted integrations that held it). The claim is written in the same transaction as
//! the integration's create, `url` change and delete, so two integrations never hold one account,
//! whatever runs concurrently. Re-linking a deleted integration's case is one transaction too.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use zsync_core::ports::{ACCOUNT_ENTITY, AccountClaim, StoreError, StoreResult, Versioned};
use zsync_mapping::integration_url::account_key;
use zsync_mapping::{Case, Integration, IntegrationId, TicketRecord};

use super::DynamoStore;
use super::cases::{LINK_SK, RECORD, RECORD_SK, case_item, link_item, record_item, record_key};
use super::item::{Item, check_size, get_str, n, s};
use super::keys;
use super::ops::{failed_at, put_if_absent, put_if_version};

const INTEGRATION: &str = "integration";
const CASE: &str = "case";
/// Lost races of a delete (a concurrent edit bumped the version) before it gives up.
const DELETE_ATTEMPTS: usize = 3;

fn building(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building a transaction: {e}"))
}

/// Makes `id` the holder of `account` unless another integration holds it.
fn claim(table: &str, account: &str, id: &IntegrationId) -> StoreResult<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .key(keys::PK, s(keys::account_pk(account)))
        .key(keys::SK, s(keys::ACCOUNT_SK))
        .update_expression("SET #entity = :entity, integration_id = :id")
        .condition_expression("attribute_not_exists(integration_id) OR integration_id = :id")
        .expression_attribute_names("#entity", keys::ENTITY)
        .expression_attribute_values(":entity", s("account"))
        .expression_attribute_values(":id", s(id.as_str()))
        .build()
        .map_err(building)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Frees `account` (held by `id`, or by nobody: integrations made before claims existed);
/// `remember` appends `id` to the former holders.
fn release(
    table: &str,
    account: &str,
    id: &IntegrationId,
    remember: bool,
) -> StoreResult<TransactWriteItem> {
    let set = if remember {
        "SET #entity = :entity, former = list_append(if_not_exists(former, :none), :me)"
    } else {
        "SET #entity = :entity"
    };
    let mut update = Update::builder()
        .table_name(table)
        .key(keys::PK, s(keys::account_pk(account)))
        .key(keys::SK, s(keys::ACCOUNT_SK))
        .update_expression(format!("{set} REMOVE integration_id"))
        .condition_expression("attribute_not_exists(integration_id) OR integration_id = :id")
        .expression_attribute_names("#entity", keys::ENTITY)
        .expression_attribute_values(":entity", s("account"))
        .expression_attribute_values(":id", s(id.as_str()));
    if remember {
        update = update
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":me", AttributeValue::L(vec![s(id.as_str())]));
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(building)?)
        .build())
}

fn taken(account: String) -> StoreError {
    StoreError::AlreadyExists {
        entity: ACCOUNT_ENTITY,
        key: account,
    }
}

fn integration_key(id: &IntegrationId) -> (String, String) {
    (keys::integrations_pk(), keys::integration_sk(id))
}

impl DynamoStore {
    /// The integration item and its account claim, in one transaction.
    pub(super) async fn create_claiming(
        &self,
        item: Item,
        integration: &Integration,
    ) -> StoreResult<()> {
        check_size(&item, INTEGRATION, integration.id.as_str())?;
        let account = account_key(&integration.url);
        let items = vec![
            put_if_absent(&self.table, item)?,
            claim(&self.table, &account, &integration.id)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) if failed_at(&codes, 0) => Err(StoreError::AlreadyExists {
                entity: INTEGRATION,
                key: integration.id.to_string(),
            }),
            Some(_) => Err(taken(account)),
        }
    }

    /// A versioned replace that moves the account claim when the `url` names another account.
    pub(super) async fn update_claiming(
        &self,
        item: Item,
        integration: &Integration,
        expected: u64,
    ) -> StoreResult<u64> {
        let id = &integration.id;
        let Some(stored) = self.get_integration_impl(id).await? else {
            return Err(StoreError::NotFound {
                entity: INTEGRATION,
                key: id.to_string(),
            });
        };
        let (old, new) = (
            account_key(&stored.value.url),
            account_key(&integration.url),
        );
        if old == new || stored.version != expected {
            return self
                .put_versioned(item, INTEGRATION, id.as_str(), expected)
                .await;
        }
        let next = expected.saturating_add(1);
        let mut item = item;
        item.insert(keys::VERSION.to_owned(), n(next));
        check_size(&item, INTEGRATION, id.as_str())?;
        let items = vec![
            put_if_version(&self.table, item, expected)?,
            claim(&self.table, &new, id)?,
            release(&self.table, &old, id, false)?,
        ];
        match self.transact(items).await? {
            None => Ok(next),
            Some(codes) if failed_at(&codes, 1) => Err(taken(new)),
            Some(_) => Err(StoreError::VersionConflict {
                entity: INTEGRATION,
                key: id.to_string(),
                expected,
            }),
        }
    }

    /// Deletes the integration item and releases its claim, remembering it as a former holder.
    pub(super) async fn delete_releasing(&self, id: &IntegrationId) -> StoreResult<()> {
        for _ in 0..DELETE_ATTEMPTS {
            let Some(stored) = self.get_integration_impl(id).await? else {
                return Ok(());
            };
            let (pk, sk) = integration_key(id);
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, s(pk))
                .key(keys::SK, s(sk))
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", keys::VERSION)
                .expression_attribute_values(":expected", n(stored.version))
                .build()
                .map_err(building)?;
            let account = account_key(&stored.value.url);
            let items = vec![
                TransactWriteItem::builder().delete(delete).build(),
                release(&self.table, &account, id, true)?,
            ];
            match self.transact(items).await? {
                None => return Ok(()),
                Some(codes) if failed_at(&codes, 0) => continue,
                Some(_) => {
                    // Another integration holds the account: this one predates account claims
                    // and never held it. Its item goes alone.
                    tracing::warn!(integration = %id, account, "deleting an integration that did not hold its account");
                    self.delete_integration_item(id).await?;
                    return Ok(());
                }
            }
        }
        Err(StoreError::VersionConflict {
            entity: INTEGRATION,
            key: id.to_string(),
            expected: 0,
        })
    }

    pub(super) async fn get_account_impl(
        &self,
        account: &str,
    ) -> StoreResult<Option<AccountClaim>> {
        let Some(item) = self
            .get_item(keys::account_pk(account), keys::ACCOUNT_SK)
            .await?
        else {
            return Ok(None);
        };
        let former = match item.get("former") {
            None => Vec::new(),
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| v.as_s().map(|id| IntegrationId::new(id.as_str())))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| StoreError::Corrupt {
                    entity: ACCOUNT_ENTITY,
                    key: account.to_owned(),
                    reason: "former holds a non-string".to_owned(),
                })?,
            Some(_) => {
                return Err(StoreError::Corrupt {
                    entity: ACCOUNT_ENTITY,
                    key: account.to_owned(),
                    reason: "former is not a list".to_owned(),
                });
            }
        };
        Ok(Some(AccountClaim {
            account: account.to_owned(),
            integration: get_str(&item, "integration_id").map(IntegrationId::new),
            former,
        }))
    }

    pub(super) async fn relink_case_impl(
        &self,
        case: &Case,
        case_version: u64,
        from: &Versioned<TicketRecord>,
        to: &TicketRecord,
    ) -> StoreResult<u64> {
        let next = case_version.saturating_add(1);
        let mut case_item = case_item(case)?;
        case_item.insert(keys::VERSION.to_owned(), n(next));
        check_size(&case_item, CASE, case.id.as_str())?;
        let new_key = record_key(&to.integration_id, to.ticket_number);
        let mut new_record = record_item(to)?;
        new_record.insert(keys::VERSION.to_owned(), n(1));
        check_size(&new_record, RECORD, &new_key)?;
        let old = &from.value;
        let remove_old = Delete::builder()
            .table_name(&self.table)
            .key(
                keys::PK,
                s(keys::ticket_pk(&old.integration_id, old.ticket_number)),
            )
            .key(keys::SK, s(RECORD_SK))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", keys::VERSION)
            .expression_attribute_values(":expected", n(from.version))
            .build()
            .map_err(building)?;
        let repoint_link = Put::builder()
            .table_name(&self.table)
            .set_item(Some(link_item(to)))
            .condition_expression("integration_id = :old AND SK = :link")
            .expression_attribute_values(":old", s(old.integration_id.as_str()))
            .expression_attribute_values(":link", s(LINK_SK))
            .build()
            .map_err(building)?;
        let items = vec![
            put_if_version(&self.table, case_item, case_version)?,
            TransactWriteItem::builder().delete(remove_old).build(),
            put_if_absent(&self.table, new_record)?,
            TransactWriteItem::builder().put(repoint_link).build(),
        ];
        match self.transact(items).await? {
            None => Ok(next),
            Some(codes) if failed_at(&codes, 2) => Err(StoreError::AlreadyExists {
                entity: RECORD,
                key: new_key,
            }),
            Some(codes) if failed_at(&codes, 0) => Err(StoreError::VersionConflict {
                entity: CASE,
                key: case.id.to_string(),
                expected: case_version,
            }),
            Some(_) => Err(StoreError::VersionConflict {
                entity: RECORD,
                key: record_key(&old.integration_id, old.ticket_number),
                expected: from.version,
            }),
        }
    }
}
