//! Integrations: few per deployment, so they share one partition and list with one consistent
//! Query.

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use zsync_core::ports::{StoreResult, Versioned};
use zsync_mapping::{Integration, IntegrationId};

use super::DynamoStore;
use super::cursor::KeyShape;
use super::errors::unavailable;
use super::item::{Item, decode, encode, n, s, version};
use super::keys;
use super::ops::{Filter, QuerySpec};

const ENTITY: &str = "integration";

fn integration_item(integration: &Integration) -> StoreResult<Item> {
    encode(
        integration,
        ENTITY,
        integration.id.as_str(),
        keys::integrations_pk(),
        keys::integration_sk(&integration.id),
    )
}

fn decode_versioned(item: Item) -> StoreResult<Versioned<Integration>> {
    let key = item
        .get(keys::SK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let version = version(&item, ENTITY, &key)?;
    Ok(Versioned::new(decode(item, ENTITY, &key)?, version))
}

impl DynamoStore {
    pub(super) async fn create_integration_impl(
        &self,
        integration: &Integration,
    ) -> StoreResult<()> {
        let mut item = integration_item(integration)?;
        item.insert(keys::VERSION.to_owned(), n(1));
        self.create_claiming(item, integration).await
    }

    pub(super) async fn get_integration_impl(
        &self,
        id: &IntegrationId,
    ) -> StoreResult<Option<Versioned<Integration>>> {
        let item = self
            .get_item(keys::integrations_pk(), &keys::integration_sk(id))
            .await?;
        item.map(decode_versioned).transpose()
    }

    pub(super) async fn list_integrations_impl(&self) -> StoreResult<Vec<Versioned<Integration>>> {
        let spec = QuerySpec {
            shape: KeyShape {
                index: None,
                pk_attr: keys::PK,
                sk_attr: keys::SK,
            },
            pk_value: keys::integrations_pk(),
            sk_prefix: Some("INTEGRATION#"),
            newest_first: false,
            filter: Filter::default(),
        };
        let items = self.query_all(&spec).await?;
        items.into_iter().map(decode_versioned).collect()
    }

    pub(super) async fn update_integration_impl(
        &self,
        integration: &Integration,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let item = integration_item(integration)?;
        self.update_claiming(item, integration, expected_version)
            .await
    }

    pub(super) async fn delete_integration_impl(&self, id: &IntegrationId) -> StoreResult<()> {
        self.delete_releasing(id).await
    }

    /// The integration item alone, without its account claim.
    pub(super) async fn delete_integration_item(&self, id: &IntegrationId) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::integrations_pk()))
            .key(keys::SK, s(keys::integration_sk(id)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }
}
