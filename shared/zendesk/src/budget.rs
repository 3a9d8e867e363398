//! Request budgets: a token bucket whose tokens come back exactly one window after they were
//! spent, so no sliding window ever sees more than `requests` sends (a plain refilling bucket
//! could let through twice that around a refill). Callers wait for a token instead of sending
//! and collecting a 429. A 429 or an exhausted `ratelimit-remaining` pauses the whole bucket.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RequestBudget;

#[derive(Debug)]
pub struct Bucket {
    budget: RequestBudget,
    state: Mutex<State>,
    /// Waiters take turns in arrival order, so a busy caller cannot starve others.
    turnstile: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    /// When each token still out was spent, oldest first.
    spent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

/// Taking a token would mean waiting longer than the caller allows.
#[derive(Debug, PartialEq, Eq)]
pub struct WouldWait(pub Duration);

impl Bucket {
    pub fn new(budget: RequestBudget) -> Self {
        Self {
            budget: RequestBudget {
                requests: budget.requests.max(1),
                window: budget.window,
            },
            state: Mutex::new(State::default()),
            turnstile: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits for a token (at most `max_wait`) and spends it. Returns how long it waited.
    pub async fn take(&self, max_wait: Duration) -> Result<Duration, WouldWait> {
        let started = Instant::now();
        // Queueing behind other waiters counts against `max_wait` too.
        let Ok(_turn) = tokio::time::timeout(max_wait, self.turnstile.lock()).await else {
            let wait = self.wait_needed(Instant::now(), false);
            return Err(WouldWait(wait.max(max_wait)));
        };
        loop {
            let now = Instant::now();
            let wait = self.wait_needed(now, true);
            if wait.is_zero() {
                return Ok(now - started);
            }
            let waited = now - started;
            if waited + wait > max_wait {
                return Err(WouldWait(wait));
            }
            // A pause may be extended while we sleep; the loop re-checks.
            tokio::time::sleep(wait).await;
        }
    }

    /// How long until a token is free; with `spend`, a free token is spent right away.
    fn wait_needed(&self, now: Instant, spend: bool) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.budget.window;
        while state
            .spent
            .front()
            .is_some_and(|&spent| now.duration_since(spent) >= window)
        {
            state.spent.pop_front();
        }
        let paused = state
            .paused_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let full = match state.spent.front() {
            Some(&oldest) if state.spent.len() >= self.budget.requests as usize => {
                (oldest + window).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        };
        let wait = paused.max(full);
        if wait.is_zero() && spend {
            state.paused_until = None;
            state.spent.push_back(now);
        }
        wait
    }

    /// No token is handed out for `for_how_long` (Zendesk said to wait).
    pub fn pause(&self, for_how_long: Duration) {
        let until = Instant::now() + for_how_long;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(requests: u32, window_ms: u64) -> Bucket {
        Bucket::new(RequestBudget {
            requests,
            window: Duration::from_millis(window_ms),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_budget_in_any_window() {
        let b = bucket(3, 1000);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..10 {
            b.take(Duration::from_secs(60)).await.unwrap();
            sent.push(Instant::now() - start);
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .filter(|u| **u - *t < Duration::from_millis(1000))
                .count();
            assert!(
                in_window <= 3,
                "{in_window} sends within one window: {sent:?}"
            );
        }
        // 10 sends at 3 per second need three full windows of waiting.
        assert!(sent[9] >= Duration::from_millis(3000), "{sent:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_wait_is_longer_than_allowed() {
        let b = bucket(1, 10_000);
        b.take(Duration::ZERO).await.unwrap();
        let err = b.take(Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(err, WouldWait(Duration::from_secs(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_in_line_counts_against_the_bound() {
        let b = std::sync::Arc::new(bucket(1, 10_000));
        b.take(Duration::ZERO).await.unwrap();
        let patient = tokio::spawn({
            let b = b.clone();
            async move { b.take(Duration::from_secs(60)).await }
        });
        tokio::task::yield_now().await;
        let started = Instant::now();
        let hasty = b.take(Duration::from_secs(1)).await;
        assert!(hasty.is_err());
        assert_eq!(Instant::now() - started, Duration::from_secs(1));
        assert_eq!(patient.await.unwrap(), Ok(Duration::from_secs(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_every_token() {
        let b = bucket(100, 1000);
        b.pause(Duration::from_secs(5));
        let waited = b.take(Duration::from_secs(60)).await.unwrap();
        assert_eq!(waited, Duration::from_secs(5));
        // A shorter pause does not shorten a longer one.
        b.pause(Duration::from_secs(4));
        b.pause(Duration::from_secs(1));
        let waited = b.take(Duration::from_secs(60)).await.unwrap();
        assert_eq!(waited, Duration::from_secs(4));
    }
}
