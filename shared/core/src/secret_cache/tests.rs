use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use secrecy::ExposeSecret;

use super::*;
use crate::ports::SecretError;

/// An in-memory store that counts its reads (what Secrets Manager bills).
#[derive(Default)]
struct CountingStore {
    values: Mutex<HashMap<String, SecretString>>,
    reads: AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
}

impl CountingStore {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// Another process (the api function) writes the store directly.
    fn rotate(&self, name: &str, value: &str) {
        locked(&self.values).insert(name.to_owned(), SecretString::from(value));
    }
}

#[async_trait]
impl SecretStore for CountingStore {
    async fn put(&self, name: &str, value: &SecretString) -> SecretResult<()> {
        locked(&self.values).insert(name.to_owned(), value.clone());
        Ok(())
    }

    async fn get(&self, name: &str) -> SecretResult<Option<SecretString>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        // Lets concurrent readers pile up behind the first one.
        tokio::task::yield_now().await;
        if self.fail.load(Ordering::SeqCst) {
            return Err(SecretError::Unavailable("throttled".into()));
        }
        Ok(locked(&self.values).get(name).cloned())
    }

    async fn delete(&self, name: &str) -> SecretResult<()> {
        locked(&self.values).remove(name);
        Ok(())
    }
}

struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        *locked(&self.0) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *locked(&self.0)
    }
}

fn cached() -> (Arc<CountingStore>, Arc<ManualClock>, CachedSecretStore) {
    let store = Arc::new(CountingStore::default());
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    let clock = Arc::new(ManualClock(Mutex::new(start)));
    let cache = CachedSecretStore::new(store.clone(), clock.clone(), DEFAULT_SECRET_TTL);
    (store, clock, cache)
}

async fn value(cache: &CachedSecretStore, name: &str) -> Option<String> {
    cache
        .get(name)
        .await
        .unwrap()
        .map(|s| s.expose_secret().to_owned())
}

#[tokio::test]
async fn one_read_per_name_per_ttl() {
    let (store, clock, cache) = cached();
    store.rotate("a", "v1");
    for _ in 0..100 {
        assert_eq!(value(&cache, "a").await.as_deref(), Some("v1"));
        clock.advance(Duration::seconds(2));
    }
    // 200 s < 5 min: one read.
    assert_eq!(store.reads(), 1);
    clock.advance(DEFAULT_SECRET_TTL);
    store.rotate("a", "v2");
    assert_eq!(value(&cache, "a").await.as_deref(), Some("v2"));
    assert_eq!(store.reads(), 2);
}

#[tokio::test]
async fn concurrent_misses_share_one_read() {
    let (store, _clock, cache) = cached();
    store.rotate("a", "v1");
    let cache = Arc::new(cache);
    let readers: Vec<_> = (0..10)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get("a").await.map(|v| v.is_some()) })
        })
        .collect();
    for reader in readers {
        assert!(matches!(reader.await, Ok(Ok(true))));
    }
    assert_eq!(store.reads(), 1);
}

#[tokio::test]
async fn a_refused_secret_is_read_again_but_not_in_a_loop() {
    let (store, clock, cache) = cached();
    store.rotate("a", "old");
    assert_eq!(value(&cache, "a").await.as_deref(), Some("old"));
    clock.advance(MIN_REFRESH_INTERVAL);
    store.rotate("a", "new");
    assert!(
        cache.invalidate("a"),
        "refused after the interval: read now"
    );
    assert_eq!(value(&cache, "a").await.as_deref(), Some("new"));
    assert_eq!(store.reads(), 2);

    // Refused moments after it was read (a flood of forged signatures): not read again at
    // once, but remembered, so the first use after the interval reads the store.
    store.rotate("a", "newer");
    for _ in 0..50 {
        assert!(!cache.invalidate("a"));
        assert_eq!(value(&cache, "a").await.as_deref(), Some("new"));
    }
    assert_eq!(store.reads(), 2);
    clock.advance(MIN_REFRESH_INTERVAL);
    assert_eq!(value(&cache, "a").await.as_deref(), Some("newer"));
    assert_eq!(store.reads(), 3);
    // Nothing cached: nothing to drop.
    assert!(!cache.invalidate("never-read"));
}

#[tokio::test]
async fn misses_are_believed_briefly_and_errors_not_at_all() {
    let (store, clock, cache) = cached();
    assert_eq!(value(&cache, "a").await, None);
    assert_eq!(value(&cache, "a").await, None);
    assert_eq!(store.reads(), 1);
    store.rotate("a", "v1");
    clock.advance(MISS_TTL);
    assert_eq!(value(&cache, "a").await.as_deref(), Some("v1"));
    assert_eq!(store.reads(), 2);

    store.fail.store(true, Ordering::SeqCst);
    assert!(cache.get("b").await.is_err());
    store.fail.store(false, Ordering::SeqCst);
    store.rotate("b", "v1");
    assert_eq!(value(&cache, "b").await.as_deref(), Some("v1"));
}

#[tokio::test]
async fn writes_through_the_cache_are_seen_at_once() {
    let (store, _clock, cache) = cached();
    cache.put("a", &SecretString::from("v1")).await.unwrap();
    assert_eq!(value(&cache, "a").await.as_deref(), Some("v1"));
    assert_eq!(store.reads(), 0);
    cache.delete("a").await.unwrap();
    assert_eq!(value(&cache, "a").await, None);
}

#[tokio::test]
async fn a_clock_moved_back_does_not_keep_a_value_forever() {
    let (store, clock, cache) = cached();
    store.rotate("a", "v1");
    value(&cache, "a").await;
    clock.advance(Duration::hours(-1));
    store.rotate("a", "v2");
    assert_eq!(value(&cache, "a").await.as_deref(), Some("v2"));
}

#[test]
fn debug_shows_no_values() {
    let (_store, _clock, cache) = cached();
    cache.remember("a", Some(SecretString::from("hunter2-secret")));
    assert!(!format!("{cache:?}").contains("hunter2"));
}
