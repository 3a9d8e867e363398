//! Creates a queue and its dead-letter queue (tests and local tooling; the cloud queues come
//! from template.yaml).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use zsync_core::ports::{QueueError, QueueResult};

use super::unavailable;

/// The URLs of a queue pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuePair {
    pub queue_url: String,
    pub dlq_url: String,
}

/// Creates `<name>-dlq` and `name`, whose RedrivePolicy moves a message to the DLQ after
/// `max_receive_count` receives. Creating an existing pair again is harmless.
pub async fn create_queue_pair(
    client: &Client,
    name: &str,
    max_receive_count: u32,
) -> QueueResult<QueuePair> {
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| unavailable("CreateQueue", e))?;
    let dlq_url = dlq
        .queue_url
        .ok_or_else(|| QueueError::Unavailable("CreateQueue answered without a URL".into()))?;
    let attributes = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| unavailable("GetQueueAttributes", e))?;
    let dlq_arn = attributes
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError::Unavailable("the DLQ has no ARN".into()))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receive_count.to_string(),
    });
    let queue = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|e| unavailable("CreateQueue", e))?;
    let queue_url = queue
        .queue_url
        .ok_or_else(|| QueueError::Unavailable("CreateQueue answered without a URL".into()))?;
    Ok(QueuePair { queue_url, dlq_url })
}
