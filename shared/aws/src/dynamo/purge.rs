//! Purging a deleted integration's sync data (docs/sync-rules.md §2 lifecycle), a bounded step per
//! call. Linked cases are found through the cases-by-integration index (GSI3) and unlinked one
//! transaction each (case without `integration_id`, record and link item deleted); jobs with
//! the export cursor (`INTEGRATION#<id>`), the sync log (`LOG#<id>`) and outbox entries
//! (`PUSHES#<id>`) are one partition each, deleted item by item. DeleteItem and the
//! transaction's Put/Delete are actions the api function already has; no BatchWriteItem.

use aws_sdk_dynamodb::types::{Delete, ReturnConsumedCapacity, TransactWriteItem};
use zsync_core::ports::{PurgeProgress, StoreError, StoreResult};
use zsync_mapping::{CaseId, IntegrationId, ZendeskId};

use super::DynamoStore;
use super::cases::{LINK_SK, RECORD_SK, case_item};
use super::cursor::KeyShape;
use super::errors::unavailable;
use super::item::{Item, get_str, get_u64, n, s};
use super::keys;
use super::ops::{Filter, QuerySpec, put_if_version};
use super::outbox::pushes_pk;

fn building(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building a transaction: {e}"))
}

fn partition(pk_value: String, index: Option<&'static str>) -> QuerySpec<'static> {
    let shape = match index {
        Some(name) => KeyShape {
            index: Some(name),
            pk_attr: "GSI3PK",
            sk_attr: "GSI3SK",
        },
        None => KeyShape {
            index: None,
            pk_attr: keys::PK,
            sk_attr: keys::SK,
        },
    };
    QuerySpec {
        shape,
        pk_value,
        sk_prefix: None,
        newest_first: false,
        filter: Filter::default(),
    }
}

/// What one unlink did.
enum Unlinked {
    /// The case no longer named the integration (an index entry not yet updated).
    Skipped,
    /// Unlinked; the ticket number if it had a record.
    Done(Option<ZendeskId>),
    /// A concurrent write won: the next step tries again.
    Raced,
}

impl DynamoStore {
    pub(super) async fn purge_integration_data_impl(
        &self,
        id: &IntegrationId,
        limit: usize,
    ) -> StoreResult<PurgeProgress> {
        let limit = limit.max(1);
        let mut progress = PurgeProgress::default();
        let mut more = false;
        let spec = partition(keys::cases_by_integration(id), Some(keys::GSI3));
        let (linked, next) = self.query_page(&spec, None, limit, 1).await?;
        more |= next.is_some();
        for item in linked {
            let Some(case) = get_str(&item, keys::PK).and_then(|pk| pk.strip_prefix("CASE#"))
            else {
                continue;
            };
            match self.unlink_case(id, &CaseId::new(case)).await? {
                Unlinked::Skipped => {}
                Unlinked::Done(ticket) => {
                    progress.removed += 1;
                    progress.tickets.extend(ticket);
                    // The index may still list it for a moment; the next step skips it.
                    more = true;
                }
                Unlinked::Raced => more = true,
            }
        }
        for pk in [keys::integration_pk(id), keys::log_pk(id), pushes_pk(id)] {
            let budget = limit.saturating_sub(progress.removed);
            if budget == 0 {
                more = true;
                break;
            }
            let (items, next) = self
                .query_page(&partition(pk, None), None, budget, 1)
                .await?;
            more |= next.is_some();
            progress.removed += items.len();
            for item in &items {
                self.delete_by_key(item).await?;
            }
        }
        progress.done = !more;
        Ok(progress)
    }

    async fn delete_by_key(&self, item: &Item) -> StoreResult<()> {
        let (Some(pk), Some(sk)) = (item.get(keys::PK), item.get(keys::SK)) else {
            return Ok(());
        };
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, pk.clone())
            .key(keys::SK, sk.clone())
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }

    async fn unlink_case(&self, id: &IntegrationId, case_id: &CaseId) -> StoreResult<Unlinked> {
        let Some(case) = self.get_case_impl(case_id).await? else {
            return Ok(Unlinked::Skipped);
        };
        if case.value.integration_id.as_ref() != Some(id) {
            return Ok(Unlinked::Skipped);
        }
        let link = self.get_item(keys::case_pk(case_id), LINK_SK).await?;
        let ticket = link
            .filter(|l| get_str(l, "integration_id") == Some(id.as_str()))
            .and_then(|l| get_u64(&l, "ticket_number"));
        let mut unlinked = case.value.clone();
        unlinked.integration_id = None;
        let mut item = case_item(&unlinked)?;
        item.insert(keys::VERSION.to_owned(), n(case.version.saturating_add(1)));
        let mut items = vec![put_if_version(&self.table, item, case.version)?];
        if let Some(number) = ticket {
            let record = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::ticket_pk(id, number)))
                .key(keys::SK, s(RECORD_SK))
                .build()
                .map_err(building)?;
            let link = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::case_pk(case_id)))
                .key(keys::SK, s(LINK_SK))
                .condition_expression("integration_id = :id")
                .expression_attribute_values(":id", s(id.as_str()))
                .build()
                .map_err(building)?;
            items.push(TransactWriteItem::builder().delete(record).build());
            items.push(TransactWriteItem::builder().delete(link).build());
        }
        Ok(match self.transact(items).await? {
            None => Unlinked::Done(ticket),
            Some(_) => Unlinked::Raced,
        })
    }
}
