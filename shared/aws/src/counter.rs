//! A request counter for any AWS SDK client: an interceptor that counts HTTP requests per
//! operation and, for DynamoDB, the bytes of the items written and read and the capacity units
//! AWS would bill for them (its published rules applied to the real item sizes: moto's own
//! ConsumedCapacity numbers are constants, so they cannot be used to measure).
//!
//! Attach with `config.interceptor(counter.clone())` on the SDK config builder.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use crate::dynamo::item_size;

/// What one operation cost so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OperationStats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    pub items_written: u64,
    pub bytes_written: u64,
    pub items_read: u64,
    pub bytes_read: u64,
    /// Write capacity units per AWS's rules (1 KB steps; ×2 in transactions; +1 write per
    /// GSI the item is in, ALL projection).
    pub write_units: f64,
    /// Read capacity units per AWS's rules (4 KB steps; strongly consistent 1, index queries
    /// eventually consistent 0.5; Query sums the returned items' sizes first).
    pub read_units: f64,
}

#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    stats: Arc<Mutex<BTreeMap<String, OperationStats>>>,
}

/// GSI key attributes: an item with one of these is also written to that index.
const GSI_PARTITION_KEYS: [&str; 4] = ["GSI1PK", "GSI2PK", "GSI3PK", "GSI4PK"];

fn units(bytes: usize, step: usize) -> f64 {
    bytes.div_ceil(step).max(1) as f64
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

fn write_cost(item: &Item, transactional: bool) -> (u64, f64) {
    let size = item_size(item);
    let base = units(size, 1024) * if transactional { 2.0 } else { 1.0 };
    let indexes = GSI_PARTITION_KEYS
        .iter()
        .filter(|k| item.contains_key(**k))
        .count() as f64;
    (size as u64, base + indexes * units(size, 1024))
}

impl RequestCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Per operation name (e.g. `PutItem`), since creation or the last [`reset`](Self::reset).
    pub fn snapshot(&self) -> BTreeMap<String, OperationStats> {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> OperationStats {
        self.snapshot()
            .values()
            .fold(OperationStats::default(), |mut acc, s| {
                acc.requests += s.requests;
                acc.items_written += s.items_written;
                acc.bytes_written += s.bytes_written;
                acc.items_read += s.items_read;
                acc.bytes_read += s.bytes_read;
                acc.write_units += s.write_units;
                acc.read_units += s.read_units;
                acc
            })
    }

    pub fn requests(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).map_or(0, |s| s.requests)
    }

    pub fn reset(&self) {
        if let Ok(mut stats) = self.stats.lock() {
            stats.clear();
        }
    }

    fn update(&self, cfg: &ConfigBag, change: impl FnOnce(&mut OperationStats)) {
        let Some(name) = cfg.load::<Metadata>().map(|m| m.name().to_owned()) else {
            return;
        };
        if let Ok(mut stats) = self.stats.lock() {
            change(stats.entry(name).or_default());
        }
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let mut written: Vec<(u64, f64)> = Vec::new();
        if let Some(put) = input.downcast_ref::<PutItemInput>() {
            written.extend(put.item().map(|item| write_cost(item, false)));
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            for element in tx.transact_items() {
                if let Some(put) = element.put() {
                    written.push(write_cost(put.item(), true));
                } else {
                    // Update, Delete, ConditionCheck: a key-sized transactional write.
                    written.push((0, 2.0));
                }
            }
        } else if input.downcast_ref::<GetItemInput>().is_some()
            || input.downcast_ref::<QueryInput>().is_some()
            || input.downcast_ref::<UpdateItemInput>().is_some()
        {
            // Costed from their output (an update by the new image it returns).
        } else if cfg.load::<Metadata>().is_some_and(|m| {
            m.service().eq_ignore_ascii_case("dynamodb") && m.name() == "DeleteItem"
        }) {
            // Deletes are of small items here (a lease, an integration): one write unit.
            written.push((0, 1.0));
        }
        self.update(cfg, |s| {
            for (bytes, wcu) in written {
                s.items_written += 1;
                s.bytes_written += bytes;
                s.write_units += wcu;
            }
        });
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.update(cfg, |s| s.requests += 1);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(update) = output.downcast_ref::<UpdateItemOutput>() {
            // With ReturnValues ALL_NEW the new image is known; without it, a small item.
            let (bytes, wcu) = update
                .attributes()
                .map_or((0, 1.0), |item| write_cost(item, false));
            self.update(cfg, |s| {
                s.items_written += 1;
                s.bytes_written += bytes;
                s.write_units += wcu;
            });
            return Ok(());
        }
        let (items, bytes, rcu) = if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            let bytes = get.item().map_or(0, item_size);
            (u64::from(get.item().is_some()), bytes, units(bytes, 4096))
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            let bytes: usize = query.items().iter().map(item_size).sum();
            // Index queries are eventually consistent (half price); ours on the table are not,
            // and the output does not say which it was: count full units (an upper bound).
            (query.items().len() as u64, bytes, units(bytes, 4096))
        } else {
            return Ok(());
        };
        self.update(cfg, |s| {
            s.items_read += items;
            s.bytes_read += bytes as u64;
            s.read_units += rcu;
        });
        Ok(())
    }
}
