//! Secrets cached per process: a warm Lambda reads each secret once per TTL instead of once per
//! invocation (a `GetSecretValue` costs $0.05 per 10,000, two of them per webhook-driven update
//! were five times the whole cost goal).
//!
//! A cached value is dropped early when it was refused ([`SecretStore::invalidate`]): Zendesk
//! answered 401/403 with the API token ([`TokenInvalidatingConnector`]) or a webhook signature
//! did not match the signing secret (webhook intake re-reads it once and verifies again), so a
//! rotated secret works on the same delivery or its retry. Those refusals come from outside,
//! so a refused name is read again at most once per [`MIN_REFRESH_INTERVAL`]: a flood of
//! forged signatures cannot turn into a flood of paid reads.
//!
//! Values stay `SecretString`s: nothing here logs or formats one.

mod zendesk;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::Duration;
use secrecy::SecretString;
use zsync_mapping::Timestamp;

use crate::context::{Clock, SyncContext};
use crate::ports::{SecretResult, SecretStore};

pub use zendesk::TokenInvalidatingConnector;

/// How long a read secret is used without asking the store again.
pub const DEFAULT_SECRET_TTL: Duration = Duration::minutes(5);
/// How long "no such secret" is believed (short: the api function may store it any moment).
pub const MISS_TTL: Duration = Duration::seconds(15);
/// The least time between two reads of one name forced by invalidations.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::seconds(10);

struct Entry {
    value: Option<SecretString>,
    read_at: Timestamp,
    /// Refused since it was read: read again once [`MIN_REFRESH_INTERVAL`] has passed.
    refused: bool,
}

impl Entry {
    /// Whether a read forced by a refusal is allowed at `now` (a clock moved back allows it).
    fn may_refresh(&self, now: Timestamp) -> bool {
        now < self.read_at || now >= self.read_at + MIN_REFRESH_INTERVAL
    }
}

/// A [`SecretStore`] that remembers what `inner` answered for a TTL (misses for at most
/// [`MISS_TTL`]). Writes go through and update the cache; errors are never cached. Concurrent
/// reads of one uncached name share one store read.
pub struct CachedSecretStore {
    inner: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// One lock per name, held while the store is read, so concurrent misses read once.
    reads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for CachedSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedSecretStore")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// The maps hold no invariant a panicking holder could break half-way: use them anyway.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl CachedSecretStore {
    pub fn new(inner: Arc<dyn SecretStore>, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            inner,
            clock,
            ttl,
            entries: Mutex::new(HashMap::new()),
            reads: Mutex::new(HashMap::new()),
        }
    }

    /// The cached answer for `name` if it is still fresh.
    fn fresh(&self, name: &str) -> Option<Option<SecretString>> {
        let now = self.clock.now();
        let entries = locked(&self.entries);
        let entry = entries.get(name)?;
        let ttl = if entry.value.is_some() {
            self.ttl
        } else {
            self.ttl.min(MISS_TTL)
        };
        let expired = now >= entry.read_at + ttl || now < entry.read_at;
        let refused = entry.refused && entry.may_refresh(now);
        (!expired && !refused).then(|| entry.value.clone())
    }

    fn remember(&self, name: &str, value: Option<SecretString>) {
        let entry = Entry {
            value,
            read_at: self.clock.now(),
            refused: false,
        };
        locked(&self.entries).insert(name.to_owned(), entry);
    }

    fn read_lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        locked(&self.reads)
            .entry(name.to_owned())
            .or_default()
            .clone()
    }
}

#[async_trait]
impl SecretStore for CachedSecretStore {
    async fn put(&self, name: &str, value: &SecretString) -> SecretResult<()> {
        let written = self.inner.put(name, value).await;
        match &written {
            Ok(()) => self.remember(name, Some(value.clone())),
            // Unknown whether it was written: read it next time.
            Err(_) => {
                locked(&self.entries).remove(name);
            }
        }
        written
    }

    async fn get(&self, name: &str) -> SecretResult<Option<SecretString>> {
        if let Some(value) = self.fresh(name) {
            return Ok(value);
        }
        let lock = self.read_lock(name);
        let _reading = lock.lock().await;
        // Read by whoever held the lock before us.
        if let Some(value) = self.fresh(name) {
            return Ok(value);
        }
        let value = self.inner.get(name).await?;
        self.remember(name, value.clone());
        Ok(value)
    }

    async fn delete(&self, name: &str) -> SecretResult<()> {
        let deleted = self.inner.delete(name).await;
        locked(&self.entries).remove(name);
        deleted
    }

    fn invalidate(&self, name: &str) -> bool {
        let now = self.clock.now();
        let mut entries = locked(&self.entries);
        let Some(entry) = entries.get_mut(name) else {
            return false;
        };
        entry.refused = true;
        if entry.may_refresh(now) {
            tracing::info!(
                secret = name,
                "secret refused: the next use reads it from the store"
            );
            true
        } else {
            tracing::debug!(
                secret = name,
                "secret refused moments after it was read: read again after the refresh interval"
            );
            false
        }
    }
}

/// `ctx` with its secrets cached for `ttl` and its Zendesk handles dropping a cached API token
/// that Zendesk refuses. Lambda cold starts call this once; every invocation shares the cache.
pub fn with_secret_cache(mut ctx: SyncContext, ttl: Duration) -> SyncContext {
    let secrets: Arc<dyn SecretStore> = Arc::new(CachedSecretStore::new(
        ctx.secrets,
        Arc::clone(&ctx.clock),
        ttl,
    ));
    ctx.zendesk = Arc::new(TokenInvalidatingConnector::new(
        ctx.zendesk,
        Arc::clone(&secrets),
    ));
    ctx.secrets = secrets;
    ctx
}

#[cfg(test)]
mod tests;
