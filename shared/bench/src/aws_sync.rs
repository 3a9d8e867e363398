//! The same first sync on the cloud adapters against moto, the local AWS emulator: a fresh
//! DynamoDB table (`DynamoStore`), a fresh SQS queue pair (`SqsQueue`) and a fresh Secrets
//! Manager prefix (`SecretsManagerStore`), each client with a request counter. The same
//! simulator seeding, the same unpaced Zendesk client, the same export + queue workers as the
//! embedded run ([`first_sync::run`]).
//!
//! Emulator-bound: moto answers a few hundred requests a second on one core, so its seconds
//! and tickets/s say how fast moto is, not DynamoDB or SQS. The request counts per ticket are
//! the real result: they are what AWS would bill for the same sync.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zsync_aws::{
    DynamoStore, OperationStats, RequestCounter, SecretsManagerStore, SqsQueue, aws_sdk_dynamodb,
    aws_sdk_secretsmanager, aws_sdk_sqs,
};
use zsync_core::ports::CaseFilter;
use zsync_mapping::sync_job::{JobCounters, JobState};

use crate::first_sync::{self, FirstSync};
use crate::world::{self, BoxError, Ports};

/// The variable `source scripts/moto.sh && moto_start` exports.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL";

/// Each depth check is a GetQueueAttributes request to moto: a few a second is enough.
const DEPTH_POLL: Duration = Duration::from_millis(250);

/// The emulator's URL, if the environment names one on this machine. Anything else (unset, or
/// a remote endpoint such as real AWS) is `Err` with the reason the section does not run.
pub fn local_endpoint() -> Result<String, String> {
    let url = std::env::var(ENDPOINT_VAR).unwrap_or_default();
    let url = url.trim();
    if url.is_empty() {
        return Err(format!("{ENDPOINT_VAR} is not set"));
    }
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let loopback = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == *name || host.starts_with(&format!("{name}:")));
    if loopback {
        Ok(url.to_owned())
    } else {
        Err(format!(
            "{ENDPOINT_VAR}={url} is not a local emulator (only 127.0.0.1/localhost: the run creates tables and queues)"
        ))
    }
}

/// What the AWS run cost, with the end state that shows it completed.
pub struct AwsSync {
    pub sync: FirstSync,
    pub dynamodb: Requests,
    pub sqs: Requests,
    pub secrets: Requests,
    /// GetQueueAttributes requests the harness sent to see the queue drain (not the service's).
    pub depth_polls: u64,
    pub cases: usize,
    pub job: Option<(JobState, JobCounters)>,
    /// The dead-letter queue after the sync (poison or given up) as `(reason, messages)`.
    pub dead_letters: Vec<(String, u64)>,
}

/// One service's requests during the sync, by operation (`PutItem`, `SendMessageBatch`, …).
pub struct Requests(pub BTreeMap<String, OperationStats>);

impl Requests {
    pub fn total(&self) -> OperationStats {
        self.0
            .values()
            .fold(OperationStats::default(), |mut acc, s| {
                acc.requests += s.requests;
                acc.write_units += s.write_units;
                acc.read_units += s.read_units;
                acc
            })
    }

    pub fn of(&self, operation: &str) -> u64 {
        self.0.get(operation).map_or(0, |s| s.requests)
    }

    /// `operation: requests` pairs, for the report.
    pub fn by_operation(&self) -> Vec<(&str, u64)> {
        self.0
            .iter()
            .map(|(name, s)| (name.as_str(), s.requests))
            .collect()
    }
}

/// One request counter per service client.
#[derive(Default)]
pub(crate) struct Counters {
    pub dynamodb: RequestCounter,
    pub sqs: RequestCounter,
    pub secrets: RequestCounter,
}

/// The three service clients, each counting its requests into `counters`.
pub(crate) fn counted_clients(
    config: &zsync_aws::SdkConfig,
    counters: &Counters,
) -> (
    aws_sdk_dynamodb::Client,
    aws_sdk_sqs::Client,
    aws_sdk_secretsmanager::Client,
) {
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(counters.dynamodb.clone())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(config)
            .interceptor(counters.sqs.clone())
            .build(),
    );
    let secrets = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(config)
            .interceptor(counters.secrets.clone())
            .build(),
    );
    (dynamodb, sqs, secrets)
}

/// A name no earlier run against the same emulator used.
pub(crate) fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

/// Runs the first sync of `tickets` (× 3 comments, `users` requesters) on the AWS adapters.
/// The table and queues are deleted afterwards (best effort: moto keeps them in memory).
pub async fn run(
    tickets: usize,
    users: usize,
    workers: usize,
    seed: u64,
) -> Result<AwsSync, BoxError> {
    let counters = Counters::default();
    let stack = FreshStack::create("zsync-bench", &counters).await?;
    let ports = stack.ports()?;
    let mut outcome = measure(ports, tickets, users, workers, seed, counters).await;
    if let Ok(run) = &mut outcome {
        match dead_letters(&stack.sqs, &stack.queues.dlq_url).await {
            Ok(found) => run.dead_letters = found,
            Err(e) => outcome = Err(format!("reading the dead-letter queue: {e}").into()),
        }
    }
    stack.delete().await;
    outcome
}

/// A table, queue pair and secret prefix of their own for one measured run, on clients that
/// count their requests.
pub(crate) struct FreshStack {
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    secrets: aws_sdk_secretsmanager::Client,
    pub(crate) name: String,
    pub(crate) queues: zsync_aws::QueuePair,
}

impl FreshStack {
    pub(crate) async fn create(prefix: &str, counters: &Counters) -> Result<Self, BoxError> {
        let config = zsync_aws::load_sdk_config().await;
        let (dynamodb, sqs, secrets) = counted_clients(&config, counters);
        let name = unique(prefix);
        zsync_aws::create_table(&dynamodb, &name).await?;
        let queues = zsync_aws::create_queue_pair(&sqs, &name, 5).await?;
        Ok(Self {
            dynamodb,
            sqs,
            secrets,
            name,
            queues,
        })
    }

    /// The AWS adapters on this stack.
    pub(crate) fn ports(&self) -> Result<Ports, BoxError> {
        Ok(Ports {
            store: Arc::new(DynamoStore::new(self.dynamodb.clone(), self.name.clone())),
            queue: Arc::new(SqsQueue::new(
                self.sqs.clone(),
                &self.queues.queue_url,
                &self.queues.dlq_url,
            )),
            secrets: Arc::new(SecretsManagerStore::new(
                self.secrets.clone(),
                format!("zendesk-sync/{}/", self.name),
            )?),
        })
    }

    /// Deletes the table and queues. Cleanup is not part of the measurement, and its failure
    /// does not void it (best effort: moto keeps them in memory).
    pub(crate) async fn delete(self) {
        let _ = self
            .dynamodb
            .delete_table()
            .table_name(&self.name)
            .send()
            .await;
        for url in [&self.queues.queue_url, &self.queues.dlq_url] {
            let _ = self.sqs.delete_queue().queue_url(url).send().await;
        }
    }
}

async fn measure(
    ports: Ports,
    tickets: usize,
    users: usize,
    workers: usize,
    seed: u64,
    counters: Counters,
) -> Result<AwsSync, BoxError> {
    let world = world::assemble(ports, tickets, users, seed).await?;
    let Counters {
        dynamodb,
        sqs,
        secrets,
    } = counters;
    for counter in [&dynamodb, &sqs, &secrets] {
        counter.reset();
    }
    let sync = first_sync::run(&world, workers, DEPTH_POLL).await?;
    // Snapshots before the checks below, which send requests of their own.
    let (dynamodb, sqs, secrets) = (
        Requests(dynamodb.snapshot()),
        Requests(sqs.snapshot()),
        Requests(secrets.snapshot()),
    );
    let depth_polls = sqs.of("GetQueueAttributes");
    let cases = count_cases(&world).await?;
    let job = world
        .ctx
        .store
        .list_jobs(&world.integration, 1)
        .await?
        .into_iter()
        .next()
        .map(|job| (job.state, job.counters));
    Ok(AwsSync {
        sync,
        dynamodb,
        sqs,
        secrets,
        depth_polls,
        cases,
        job,
        dead_letters: Vec::new(),
    })
}

/// The integration's cases, paged through the store port (bounded).
async fn count_cases(world: &world::World) -> Result<usize, BoxError> {
    let filter = CaseFilter {
        integration_id: Some(world.integration.clone()),
        ..CaseFilter::default()
    };
    let page_size = 100;
    let mut cursor: Option<String> = None;
    let mut cases = 0;
    for _ in 0..world.ticket_ids.len() / page_size + 10 {
        let page = world
            .ctx
            .store
            .list_cases(&filter, cursor.as_deref(), page_size)
            .await?;
        cases += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(cases),
        }
    }
    Err("listing the cases did not end".into())
}

/// The dead-letter queue's messages by reason, as `(reason, count)` (bounded reads; messages
/// stay where they are).
async fn dead_letters(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
) -> Result<Vec<(String, u64)>, BoxError> {
    let mut by_id = BTreeMap::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_attribute_names("All")
            .send()
            .await?;
        let mut new = false;
        for message in out.messages() {
            let reason = message
                .message_attributes()
                .and_then(|a| a.get(zsync_aws::sqs::REASON_ATTRIBUTE))
                .and_then(|v| v.string_value())
                .unwrap_or("(no reason)")
                .to_owned();
            let id = message.message_id().unwrap_or_default().to_owned();
            new |= by_id.insert(id, reason).is_none();
        }
        if !new {
            break;
        }
    }
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for reason in by_id.into_values() {
        *by_reason.entry(reason).or_default() += 1;
    }
    Ok(by_reason.into_iter().collect())
}
