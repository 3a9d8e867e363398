//! Shared by the AWS adapter tests: clients for the local emulator (moto), unique resource
//! names so tests run in parallel, fresh tables, queues and secret prefixes.
#![allow(dead_code)] // each test file uses a different part

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use zsync_aws::aws_sdk_dynamodb;
use zsync_aws::aws_sdk_secretsmanager;
use zsync_aws::aws_sdk_sqs;
use zsync_aws::{DynamoStore, QueuePair, RequestCounter, SecretsManagerStore, SqsQueue};

/// The SDK configuration for the emulator. Never skips: without `AWS_ENDPOINT_URL` these tests
/// would talk to real AWS (or nowhere), so they fail and say how to run them.
pub async fn sdk_config() -> zsync_aws::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty()),
        "AWS_ENDPOINT_URL is not set: the AWS adapter tests run against a local emulator; \
         run them with scripts/test.sh (it installs and starts moto), or \
         `source scripts/moto.sh && moto_start` first"
    );
    zsync_aws::load_sdk_config().await
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

pub async fn dynamo_client(counter: Option<&RequestCounter>) -> aws_sdk_dynamodb::Client {
    let config = sdk_config().await;
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&config);
    if let Some(counter) = counter {
        builder = builder.interceptor(counter.clone());
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// A store on a new table of its own.
pub async fn fresh_store() -> DynamoStore {
    fresh_counted_store().await.0
}

/// A store on a new table, with a counter of its requests.
pub async fn fresh_counted_store() -> (DynamoStore, RequestCounter) {
    let counter = RequestCounter::new();
    let client = dynamo_client(Some(&counter)).await;
    let table = unique("zsync");
    zsync_aws::create_table(&client, &table)
        .await
        .expect("create table");
    counter.reset();
    (DynamoStore::new(client, table), counter)
}

pub async fn sqs_client(counter: Option<&RequestCounter>) -> aws_sdk_sqs::Client {
    let config = sdk_config().await;
    let mut builder = aws_sdk_sqs::config::Builder::from(&config);
    if let Some(counter) = counter {
        builder = builder.interceptor(counter.clone());
    }
    aws_sdk_sqs::Client::from_conf(builder.build())
}

/// A new queue pair, the adapter on it, and a client and counter for looking behind it.
pub struct QueueFixture {
    pub queue: SqsQueue,
    pub client: aws_sdk_sqs::Client,
    pub urls: QueuePair,
    pub counter: RequestCounter,
}

pub async fn fresh_queue() -> QueueFixture {
    let counter = RequestCounter::new();
    let client = sqs_client(Some(&counter)).await;
    let urls = zsync_aws::create_queue_pair(&client, &unique("zsync"), 5)
        .await
        .expect("create queues");
    counter.reset();
    let queue = SqsQueue::new(client.clone(), &urls.queue_url, &urls.dlq_url);
    QueueFixture {
        queue,
        client,
        urls,
        counter,
    }
}

/// Every message in the DLQ as (body, reason); bounded polling, messages left in place.
pub async fn dead_letters(client: &aws_sdk_sqs::Client, dlq_url: &str) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..5 {
        let out = client
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive from DLQ");
        let mut new = false;
        for m in out.messages.unwrap_or_default() {
            let id = m.message_id.clone().unwrap_or_default();
            let reason = m
                .message_attributes
                .as_ref()
                .and_then(|a| a.get(zsync_aws::sqs::REASON_ATTRIBUTE))
                .and_then(|v| v.string_value.clone())
                .unwrap_or_default();
            new |= seen
                .insert(id, (m.body.unwrap_or_default(), reason))
                .is_none();
        }
        if !new {
            break;
        }
    }
    seen.into_values().collect()
}

pub async fn fresh_secrets() -> SecretsManagerStore {
    let config = sdk_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    SecretsManagerStore::new(client, format!("{}/", unique("zendesk-sync/test")))
        .expect("valid prefix")
}

/// Runs the futures as separate tasks (truly in parallel on a multi-thread runtime) and
/// returns their outputs in order.
pub async fn concurrently<T, F>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

/// Every item of the table by kind (`entity`), read with a Scan: a test's view behind the port.
pub async fn items_by_kind(store: &zsync_aws::DynamoStore) -> BTreeMap<String, Vec<String>> {
    let client = dynamo_client(None).await;
    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut start = None;
    for _ in 0..50 {
        let out = client
            .scan()
            .table_name(store.table_name())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for item in out.items() {
            let text = |name: &str| match item.get(name) {
                Some(zsync_aws::aws_sdk_dynamodb::types::AttributeValue::S(v)) => v.clone(),
                _ => String::new(),
            };
            kinds.entry(text("entity")).or_default().push(text("PK"));
        }
        match out.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return kinds,
        }
    }
    panic!("scan did not end");
}

pub fn count(kinds: &BTreeMap<String, Vec<String>>, kind: &str) -> usize {
    kinds.get(kind).map_or(0, Vec::len)
}
