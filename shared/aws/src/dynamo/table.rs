//! Creates the table as infra/dynamodb-table.md describes it (tests and local tooling; the
//! cloud table comes from template.yaml).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use zsync_core::ports::{StoreError, StoreResult};

use super::errors::unavailable;
use super::keys;

/// How long to wait for a new table to become ACTIVE (AWS: seconds; moto: at once).
const ACTIVE_POLLS: usize = 120;

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building the table definition: {e}"))
}

fn key(name: &str, key_type: KeyType) -> StoreResult<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(build_error)
}

/// Creates `table_name` (on-demand) with its four GSIs and TTL on `expires_at`, and waits until
/// it is active. An existing table of that name is left as it is.
pub async fn create_table(client: &Client, table_name: &str) -> StoreResult<()> {
    let mut request = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(keys::PK, KeyType::Hash)?)
        .key_schema(key(keys::SK, KeyType::Range)?);
    let mut attributes = vec![keys::PK, keys::SK];
    for (index, pk, sk) in keys::INDEXES {
        attributes.extend([pk, sk]);
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(build_error)?;
        request = request.global_secondary_indexes(gsi);
    }
    for name in attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(CreateTableError::ResourceInUseException(_))
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(unavailable("CreateTable", e)),
    }
    wait_until_active(client, table_name).await?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(keys::TTL_ATTRIBUTE)
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(|e| unavailable("UpdateTimeToLive", e))?;
    Ok(())
}

async fn wait_until_active(client: &Client, table_name: &str) -> StoreResult<()> {
    for _ in 0..ACTIVE_POLLS {
        let out = client
            .describe_table()
            .table_name(table_name)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTable", e))?;
        let status = out.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!(
        "table {table_name} did not become active"
    )))
}
