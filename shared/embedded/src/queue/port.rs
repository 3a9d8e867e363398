//! `SyncQueue` for the embedded queue.

use async_trait::async_trait;
use chrono::Duration;
use zsync_core::message::SyncMessage;
use zsync_core::ports::{Delivery, QueueResult, SyncQueue};

use super::EmbeddedQueue;
use super::ops::{self, Settle};
use crate::blocking::{read, write};

#[async_trait]
impl SyncQueue for EmbeddedQueue {
    async fn send(&self, messages: &[SyncMessage]) -> QueueResult<()> {
        let bodies: Vec<String> = messages.iter().map(SyncMessage::encode).collect();
        let limit = self.options.max_message_bytes;
        write(&self.db, move |txn| ops::send(txn, &bodies, limit)).await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Delivery>> {
        let max_receives = self.options.max_receives;
        write(&self.db, move |txn| {
            ops::receive(txn, max, visibility, max_receives)
        })
        .await
    }

    async fn ack(&self, receipt: &str) -> QueueResult<()> {
        let receipt = receipt.to_owned();
        write(&self.db, move |txn| ops::settle(txn, &receipt, Settle::Ack)).await
    }

    async fn retry_later(&self, receipt: &str, delay: Duration) -> QueueResult<()> {
        let receipt = receipt.to_owned();
        write(&self.db, move |txn| {
            ops::settle(txn, &receipt, Settle::RetryAfter(delay))
        })
        .await
    }

    async fn dead_letter(&self, receipt: &str, reason: &str) -> QueueResult<()> {
        let (receipt, reason) = (receipt.to_owned(), reason.to_owned());
        write(&self.db, move |txn| {
            ops::settle(txn, &receipt, Settle::DeadLetter(&reason))
        })
        .await
    }

    async fn dead_letter_body(&self, body: &str, reason: &str) -> QueueResult<()> {
        let (body, reason) = (body.to_owned(), reason.to_owned());
        write(&self.db, move |txn| ops::bury_body(txn, &body, &reason)).await
    }

    async fn depth(&self) -> QueueResult<usize> {
        read(&self.db, ops::depth).await
    }
}
