//! The port conformance suites against the AWS adapters on the local emulator (moto), each test
//! on its own table, queue pair or secret prefix.

mod aws_common;

use std::sync::Arc;

use zsync_conformance::Fresh;
use zsync_conformance::queue::{DeadLetterView, QueueInspection};
use zsync_core::ports::{CrmStore, QueueError, QueueResult, SecretStore, SyncQueue};

async fn fresh_store() -> Fresh<dyn CrmStore> {
    Fresh::new(Arc::new(aws_common::fresh_store().await))
}

async fn fresh_queue() -> Fresh<dyn SyncQueue> {
    Fresh::new(Arc::new(aws_common::fresh_queue().await.queue))
}

/// Raw sends and the DLQ's contents, straight through the SQS API.
struct Inspect {
    client: zsync_aws::aws_sdk_sqs::Client,
    urls: zsync_aws::QueuePair,
}

#[async_trait::async_trait]
impl QueueInspection for Inspect {
    async fn send_raw(&self, body: &str) -> QueueResult<()> {
        self.client
            .send_message()
            .queue_url(&self.urls.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        Ok(())
    }

    async fn dead_letters(&self) -> QueueResult<Vec<DeadLetterView>> {
        Ok(aws_common::dead_letters(&self.client, &self.urls.dlq_url)
            .await
            .into_iter()
            .map(|(body, reason)| DeadLetterView { body, reason })
            .collect())
    }
}

async fn inspectable_queue() -> (Fresh<dyn SyncQueue>, Arc<dyn QueueInspection>) {
    let fixture = aws_common::fresh_queue().await;
    let inspect = Arc::new(Inspect {
        client: fixture.client.clone(),
        urls: fixture.urls.clone(),
    });
    (Fresh::new(Arc::new(fixture.queue)), inspect)
}

async fn fresh_secrets() -> Fresh<dyn SecretStore> {
    Fresh::new(Arc::new(aws_common::fresh_secrets().await))
}

zsync_conformance::store_conformance_tests!(fresh_store);
zsync_conformance::queue_conformance_tests!(fresh_queue);
zsync_conformance::queue_inspection_conformance_tests!(inspectable_queue);
zsync_conformance::secrets_conformance_tests!(fresh_secrets);
