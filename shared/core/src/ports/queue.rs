//! The sync queue port. Adapters: SQS (cloud) and the embedded queue (local server).
//! Delivery is at-least-once and unordered; consumers are idempotent.

use async_trait::async_trait;
use chrono::Duration;

use crate::message::SyncMessage;

/// A received message and what the queue needs to acknowledge it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub message: SyncMessage,
    /// Opaque handle for [`SyncQueue::ack`] / [`SyncQueue::retry_later`].
    pub receipt: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// One message cannot be sent even alone (over the queue's size limit after splitting).
    #[error("message too large: {bytes} bytes (limit {limit})")]
    TooLarge { bytes: usize, limit: usize },
    /// A body holds a character SQS refuses (see [`crate::message::is_queue_char`]); nothing
    /// of the call was sent. [`SyncMessage::encode`] never produces one: raw bodies may.
    #[error("the message body has U+{:04X} at byte {offset}, a character the queue refuses", u32::from(*.character))]
    RefusedCharacter { character: char, offset: usize },
    /// Some messages of a batch were not accepted; they are returned for a retry.
    #[error("{} of the batch were not sent: {reason}", failed.len())]
    Partial {
        failed: Vec<SyncMessage>,
        reason: String,
    },
    #[error("unknown or expired receipt")]
    InvalidReceipt,
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

pub type QueueResult<T> = Result<T, QueueError>;

#[async_trait]
pub trait SyncQueue: Send + Sync {
    /// Sends messages, batching as the backend allows. Either all are sent or the error says
    /// which were not.
    async fn send(&self, messages: &[SyncMessage]) -> QueueResult<()>;
    /// Receives up to `max` messages, hiding them for `visibility` (redelivered after that
    /// unless acknowledged). Undecodable messages are never returned as `Delivery`: the
    /// adapter dead-letters them with the decoding error as reason.
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Delivery>>;
    /// Deletes a processed message.
    async fn ack(&self, receipt: &str) -> QueueResult<()>;
    /// Makes a message visible again after `delay` (a failed attempt).
    async fn retry_later(&self, receipt: &str, delay: Duration) -> QueueResult<()>;
    /// Moves a message to the dead-letter area with a reason.
    async fn dead_letter(&self, receipt: &str, reason: &str) -> QueueResult<()>;
    /// Puts a raw body straight into the dead-letter area with a reason: a poison message its
    /// consumer took out of the queue itself (the Lambda path has bodies, not receipts). The
    /// caller deletes the original only after this succeeded, so nothing is lost.
    async fn dead_letter_body(&self, body: &str, reason: &str) -> QueueResult<()>;
    /// Approximate number of messages waiting (visible + in flight), for progress and tests.
    async fn depth(&self) -> QueueResult<usize>;
}
