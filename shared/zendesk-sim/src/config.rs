//! Knobs of a simulator: start-up configuration, rate limits and injected faults.

use std::time::Duration;

/// Start-up configuration of a [`crate::Simulator`].
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to bind; port 0 picks a free port. Only loopback addresses are accepted.
    pub bind: std::net::SocketAddr,
    /// Zendesk account id put into webhook bodies and headers.
    pub account_id: u64,
    /// What `GET /users/me.json` answers for missing or bad credentials (docs/sync-rules.md §2:
    /// Zendesk answers 200 with an "Anonymous user"; some accounts answer 401 for a bad API token).
    pub me_on_bad_auth: MeOnBadAuth,
    /// Per-request timeout of webhook deliveries.
    pub webhook_timeout: Duration,
    /// Attempts per webhook event; later attempts follow a transport error, 409, 429 or 5xx
    /// answer (as Zendesk retries), after `webhook_retry_delay` times the attempt number.
    pub webhook_max_attempts: u32,
    pub webhook_retry_delay: Duration,
    /// Allow webhook endpoints on hosts other than loopback. Off by default so that a test can
    /// never make the simulator call out of the machine.
    pub allow_remote_webhooks: bool,
    /// Rate limits enforced from the start (see [`crate::Simulator::set_rate_limit`]).
    pub rate_limit: Option<RateLimit>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            account_id: 18_525_119,
            me_on_bad_auth: MeOnBadAuth::AnonymousUser,
            webhook_timeout: Duration::from_secs(10),
            webhook_max_attempts: 3,
            webhook_retry_delay: Duration::from_millis(200),
            allow_remote_webhooks: false,
            rate_limit: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeOnBadAuth {
    /// 200 with `{"user": {"id": null, "name": "Anonymous user", "role": "end-user", ...}}`.
    AnonymousUser,
    /// 401 like every other endpoint.
    Unauthorized,
}

/// Per-window request budgets. Zendesk's window is a minute; tests shorten it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Budget of all API requests per window (Zendesk: 700 on Enterprise).
    pub requests_per_minute: u32,
    /// Separate budget of the incremental export endpoints (Zendesk: 10).
    pub export_requests_per_minute: u32,
    /// Length of the "minute".
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests_per_minute: 700,
            export_requests_per_minute: 10,
            window: Duration::from_secs(60),
        }
    }
}

/// Injected faults, drawn from a seeded RNG so a failing run can be replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// Probability (0..=1) that a request answers 503.
    pub error_5xx_rate: f64,
    /// Probability (0..=1) that a request hangs for `timeout_delay` before answering.
    pub timeout_rate: f64,
    /// The next this many requests answer 503, before any random draw.
    pub next_5xx: u32,
    /// The next this many requests (after `next_5xx`) hang for `timeout_delay`.
    pub next_timeouts: u32,
    /// How long a "timed out" request hangs (longer than the client's timeout).
    pub timeout_delay: Duration,
    /// Hang after the request took effect instead of before: the client sees a timeout although
    /// the write happened (what makes retries of creates dangerous).
    pub timeouts_after_processing: bool,
    /// Endpoint names (see [`crate::Simulator::request_counts`]) the plan applies to; empty =
    /// every endpoint.
    pub endpoints: Vec<String>,
    pub seed: u64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            error_5xx_rate: 0.0,
            timeout_rate: 0.0,
            next_5xx: 0,
            next_timeouts: 0,
            timeout_delay: Duration::from_secs(30),
            timeouts_after_processing: false,
            endpoints: Vec::new(),
            seed: 0,
        }
    }
}
