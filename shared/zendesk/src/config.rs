//! Client settings: timeouts, retries and the request budgets that keep us under Zendesk's
//! rate limits. Defaults are production values; tests shorten the windows and delays.

use std::time::Duration;

/// At most `requests` requests in any sliding `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestBudget {
    pub requests: u32,
    pub window: Duration,
}

impl RequestBudget {
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            window: Duration::from_secs(60),
        }
    }
}

/// How transient failures and 429s are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts of one call on transient failures (5xx, timeout, connection), first included.
    pub max_attempts: u32,
    /// First backoff; doubled per attempt, capped at `max_delay`, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest one call may spend waiting for rate limits (Retry-After and budgets) in total
    /// before it gives up with `RateLimited`.
    pub max_rate_limit_wait: Duration,
    /// Wait after a 429 that names no wait at all.
    pub default_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(90),
            default_rate_limit_wait: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Incremental export endpoints (Zendesk allows 10 per minute).
    pub export_budget: RequestBudget,
    /// Every request, exports included.
    pub general_budget: RequestBudget,
    /// Tickets per export page (Zendesk's maximum is 1000).
    pub export_page_size: u32,
    pub user_agent: String,
    /// Largest response body read; a larger one is refused, not buffered (a full export page
    /// with its sideloaded users is a few MiB).
    pub max_response_bytes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            export_budget: RequestBudget::per_minute(10),
            // Zendesk's smallest plan allows 200 requests a minute; stay under it by default.
            general_budget: RequestBudget::per_minute(200),
            export_page_size: 1000,
            user_agent: concat!("zendesk-sync/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

impl ClientConfig {
    /// Production budgets over a shorter "minute" and short retry delays, for tests and the
    /// local demo against the simulator (give the simulator the same window).
    pub fn with_rate_window(window: Duration) -> Self {
        let defaults = Self::default();
        Self {
            retry: RetryPolicy {
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(200),
                max_rate_limit_wait: Duration::from_secs(30),
                default_rate_limit_wait: window,
                ..RetryPolicy::default()
            },
            export_budget: RequestBudget {
                window,
                ..defaults.export_budget
            },
            general_budget: RequestBudget {
                window,
                ..defaults.general_budget
            },
            ..defaults
        }
    }
}
