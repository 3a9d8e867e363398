//! A queue in front of the real one that fails, hangs, slows down or runs a hook on chosen
//! sends: the ways an export run gets cut off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use futures::future::BoxFuture;
use zsync_core::message::SyncMessage;
use zsync_core::ports::{Delivery, QueueError, QueueResult, SyncQueue};

/// Runs before send number `n` (0-based) reaches the real queue.
pub type SendHook = Box<dyn Fn(usize) -> BoxFuture<'static, ()> + Send + Sync>;

pub struct TestQueue {
    inner: Arc<dyn SyncQueue>,
    /// Sends passed through before every later one fails (or hangs).
    healthy_sends: usize,
    hang: bool,
    delay: StdDuration,
    hook: Option<SendHook>,
    sends: AtomicUsize,
}

impl TestQueue {
    fn new(inner: Arc<dyn SyncQueue>) -> Self {
        Self {
            inner,
            healthy_sends: usize::MAX,
            hang: false,
            delay: StdDuration::ZERO,
            hook: None,
            sends: AtomicUsize::new(0),
        }
    }

    /// Fails every send after the first `healthy`.
    pub fn breaks_after(inner: Arc<dyn SyncQueue>, healthy: usize) -> Arc<Self> {
        Arc::new(Self {
            healthy_sends: healthy,
            ..Self::new(inner)
        })
    }

    /// Never answers any send after the first `healthy`.
    pub fn hangs_after(inner: Arc<dyn SyncQueue>, healthy: usize) -> Arc<Self> {
        Arc::new(Self {
            healthy_sends: healthy,
            hang: true,
            ..Self::new(inner)
        })
    }

    pub fn slow(inner: Arc<dyn SyncQueue>, delay: StdDuration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            ..Self::new(inner)
        })
    }

    pub fn with_hook(inner: Arc<dyn SyncQueue>, hook: SendHook) -> Arc<Self> {
        Arc::new(Self {
            hook: Some(hook),
            ..Self::new(inner)
        })
    }
}

#[async_trait]
impl SyncQueue for TestQueue {
    async fn send(&self, messages: &[SyncMessage]) -> QueueResult<()> {
        tokio::time::sleep(self.delay).await;
        let n = self.sends.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = &self.hook {
            hook(n).await;
        }
        if n < self.healthy_sends {
            return self.inner.send(messages).await;
        }
        if self.hang {
            std::future::pending::<()>().await;
        }
        Err(QueueError::Unavailable("queue down".into()))
    }
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Delivery>> {
        self.inner.receive(max, visibility).await
    }
    async fn ack(&self, receipt: &str) -> QueueResult<()> {
        self.inner.ack(receipt).await
    }
    async fn retry_later(&self, receipt: &str, delay: Duration) -> QueueResult<()> {
        self.inner.retry_later(receipt, delay).await
    }
    async fn dead_letter(&self, receipt: &str, reason: &str) -> QueueResult<()> {
        self.inner.dead_letter(receipt, reason).await
    }
    async fn dead_letter_body(&self, body: &str, reason: &str) -> QueueResult<()> {
        self.inner.dead_letter_body(body, reason).await
    }
    async fn depth(&self) -> QueueResult<usize> {
        self.inner.depth().await
    }
}
