//! [`SyncQueue`] on SQS: a queue plus its dead-letter queue. Bodies are
//! [`SyncMessage::encode`] envelopes (only characters SQS accepts); snapshots too large for one message are split
//! ([`SyncMessage::split_to_fit`]) and sent in batches within SQS's entry and size limits.

mod batch;
mod receipts;
mod setup;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, SdkError};
use aws_sdk_sqs::operation::change_message_visibility::ChangeMessageVisibilityError;
use aws_sdk_sqs::operation::delete_message::DeleteMessageError;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use chrono::Duration;
use zsync_core::message::{MAX_MESSAGE_BYTES, SyncMessage, first_refused_char, lossy_queue_text};
use zsync_core::ports::{Delivery, QueueError, QueueResult, SyncQueue};

pub use batch::{MAX_BATCH_ENTRIES, pack};
pub use setup::{QueuePair, create_queue_pair};

/// The message attribute carrying a dead letter's reason.
pub const REASON_ATTRIBUTE: &str = "DeadLetterReason";
/// Reasons are kept short; the body is what matters and is never cut.
const MAX_REASON_BYTES: usize = 4096;
/// SQS's longest visibility timeout (12 h).
const MAX_VISIBILITY_SECS: i64 = 43_200;

#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dlq_url: String,
    max_message_bytes: usize,
    wait_time_seconds: i32,
    in_flight: receipts::InFlight,
}

fn unavailable<E, R>(operation: &str, err: SdkError<E, R>) -> QueueError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    QueueError::Unavailable(format!("SQS {operation}: {}", DisplayErrorContext(&err)))
}

fn seconds(d: Duration) -> i32 {
    // Clamped to SQS's range, so the conversion cannot fail.
    i32::try_from(d.num_seconds().clamp(0, MAX_VISIBILITY_SECS)).unwrap_or(0)
}

fn cut_at_char(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>, dlq_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            dlq_url: dlq_url.into(),
            max_message_bytes: MAX_MESSAGE_BYTES,
            wait_time_seconds: 0,
            in_flight: receipts::InFlight::default(),
        }
    }

    /// Overrides the message and batch size limit (SQS queues may allow up to 1 MiB).
    pub fn with_max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Long polling for `receive` (0 = short polling, the default).
    pub fn with_wait_time_seconds(mut self, seconds: i32) -> Self {
        self.wait_time_seconds = seconds.clamp(0, 20);
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    pub fn dlq_url(&self) -> &str {
        &self.dlq_url
    }

    /// Sends `body` to the DLQ with `reason` and deletes the original.
    async fn forward_to_dlq(&self, receipt: &str, body: &str, reason: &str) -> QueueResult<()> {
        self.send_to_dlq(body, reason).await?;
        self.ack(receipt).await
    }

    /// Sends `body` to the dead-letter queue with the reason as a message attribute.
    async fn send_to_dlq(&self, body: &str, reason: &str) -> QueueResult<()> {
        let room = self
            .max_message_bytes
            .saturating_sub(body.len() + REASON_ATTRIBUTE.len() + "String".len());
        // An attribute value obeys the body's character rule; a reason may quote customer text.
        let lossy = lossy_queue_text(reason);
        let reason = cut_at_char(&lossy, room.clamp(16, MAX_REASON_BYTES));
        let reason = if reason.is_empty() {
            "unspecified"
        } else {
            reason
        };
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason)
            .build()
            .map_err(|e| QueueError::Unavailable(format!("building the reason: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.dlq_url)
            .message_body(body)
            .message_attributes(REASON_ATTRIBUTE, attribute)
            .send()
            .await
            .map_err(|e| unavailable("SendMessage (DLQ)", e))?;
        Ok(())
    }

    /// Sends one batch; returns the indexes (into `bodies`) SQS did not accept, with reasons.
    async fn send_batch(
        &self,
        bodies: &[String],
        range: std::ops::Range<usize>,
    ) -> QueueResult<Vec<(usize, String)>> {
        let mut request = self.client.send_message_batch().queue_url(&self.queue_url);
        for i in range.clone() {
            let entry = SendMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .message_body(&bodies[i])
                .build()
                .map_err(|e| QueueError::Unavailable(format!("building a batch entry: {e}")))?;
            request = request.entries(entry);
        }
        match request.send().await {
            Ok(out) => {
                let failed: Vec<(Option<usize>, String)> = out
                    .failed()
                    .iter()
                    .map(|f| {
                        let index = f.id().strip_prefix('m').and_then(|i| i.parse().ok());
                        let reason =
                            format!("{}: {}", f.code(), f.message().unwrap_or("no message"));
                        (index.filter(|i| range.contains(i)), reason)
                    })
                    .collect();
                // An entry id we did not send: we cannot tell which failed, so report all.
                if let Some((_, reason)) = failed.iter().find(|(i, _)| i.is_none()) {
                    let reason = reason.clone();
                    return Ok(range.map(|i| (i, reason.clone())).collect());
                }
                Ok(failed
                    .into_iter()
                    .filter_map(|(i, reason)| Some((i?, reason)))
                    .collect())
            }
            Err(e) => {
                let reason = format!("SQS SendMessageBatch: {}", DisplayErrorContext(&e));
                Ok(range.map(|i| (i, reason.clone())).collect())
            }
        }
    }
}

#[async_trait]
impl SyncQueue for SqsQueue {
    async fn send(&self, messages: &[SyncMessage]) -> QueueResult<()> {
        let mut parts = Vec::with_capacity(messages.len());
        for message in messages {
            let split =
                message
                    .split_to_fit(self.max_message_bytes)
                    .map_err(|e| QueueError::TooLarge {
                        bytes: e.bytes,
                        limit: e.limit,
                    })?;
            parts.extend(split);
        }
        let bodies: Vec<String> = parts.iter().map(SyncMessage::encode).collect();
        // SQS refuses these characters but moto accepts them: checked here so both answer alike
        // (and before anything is sent, like a message too large).
        if let Some((offset, character)) = bodies.iter().find_map(|b| first_refused_char(b)) {
            return Err(QueueError::RefusedCharacter { character, offset });
        }
        let sizes: Vec<usize> = bodies.iter().map(String::len).collect();
        let mut failed = Vec::new();
        let mut reasons = Vec::new();
        for range in pack(&sizes, MAX_BATCH_ENTRIES, self.max_message_bytes) {
            for (index, reason) in self.send_batch(&bodies, range).await? {
                if let Some(part) = parts.get(index) {
                    failed.push(part.clone());
                }
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
        if failed.is_empty() && reasons.is_empty() {
            Ok(())
        } else {
            Err(QueueError::Partial {
                failed,
                reason: reasons.join("; "),
            })
        }
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Delivery>> {
        let mut deliveries = Vec::new();
        // Each round takes up to 10; a few extra rounds make up for dead-lettered bodies.
        let rounds = max.div_ceil(MAX_BATCH_ENTRIES) + 3;
        for _ in 0..rounds {
            let want = (max - deliveries.len()).min(MAX_BATCH_ENTRIES);
            if want == 0 {
                break;
            }
            let out = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(i32::try_from(want).unwrap_or(10))
                .visibility_timeout(seconds(visibility))
                .wait_time_seconds(self.wait_time_seconds)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| unavailable("ReceiveMessage", e))?;
            let messages = out.messages.unwrap_or_default();
            let got = messages.len();
            for message in messages {
                let Some(receipt) = message.receipt_handle else {
                    continue;
                };
                let body = message.body.unwrap_or_default();
                let receive_count = message
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                match SyncMessage::decode(&body) {
                    Ok(decoded) => {
                        self.in_flight.remember(&receipt, &body);
                        deliveries.push(Delivery {
                            message: decoded,
                            receipt,
                            receive_count,
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "undecodable queue message dead-lettered");
                        // If forwarding fails the message reappears after its visibility
                        // timeout and is tried again (SQS's redrive catches it at the latest);
                        // the good deliveries of this call are still returned.
                        if let Err(forward) =
                            self.forward_to_dlq(&receipt, &body, &e.to_string()).await
                        {
                            tracing::warn!(error = %forward, "dead-lettering an undecodable message failed");
                        }
                    }
                }
            }
            if got < want {
                break;
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, receipt: &str) -> QueueResult<()> {
        let result = self
            .client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await;
        self.in_flight.forget(receipt);
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(DeleteMessageError::ReceiptHandleIsInvalid(_)) => {
                    Err(QueueError::InvalidReceipt)
                }
                _ => Err(unavailable("DeleteMessage", e)),
            },
        }
    }

    async fn retry_later(&self, receipt: &str, delay: Duration) -> QueueResult<()> {
        let result = self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds(delay))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(
                    ChangeMessageVisibilityError::ReceiptHandleIsInvalid(_)
                    | ChangeMessageVisibilityError::MessageNotInflight(_),
                ) => Err(QueueError::InvalidReceipt),
                _ => Err(unavailable("ChangeMessageVisibility", e)),
            },
        }
    }

    async fn dead_letter(&self, receipt: &str, reason: &str) -> QueueResult<()> {
        let body = self
            .in_flight
            .body(receipt)
            .ok_or(QueueError::InvalidReceipt)?;
        self.forward_to_dlq(receipt, &body, reason).await
    }

    async fn dead_letter_body(&self, body: &str, reason: &str) -> QueueResult<()> {
        self.send_to_dlq(body, reason).await
    }

    async fn depth(&self) -> QueueResult<usize> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| unavailable("GetQueueAttributes", e))?;
        let attributes = out.attributes.unwrap_or_default();
        Ok(attributes
            .values()
            .filter_map(|v| v.parse::<usize>().ok())
            .sum())
    }
}
