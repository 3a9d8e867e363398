//! One HTTP exchange with Zendesk, done properly: budgets first, then the request, then
//! retries (transient failures with backoff, 429s after the wait Zendesk names) and finally a
//! typed error. Nothing here ever formats the token or the Authorization header.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;
use zsync_core::ports::{ZendeskError, ZendeskResult};
use zsync_mapping::{IntegrationId, ZendeskId};

use crate::backoff::{RateLimitHeaders, backoff_delay};
use crate::budget::{Bucket, WouldWait};
use crate::config::ClientConfig;
use crate::errors::{error_for_status, transport_error};

/// Which budgets a call spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    General,
    /// Incremental exports: the export budget and the general one.
    Export,
}

/// Whether a call may be sent again after a failure that Zendesk may already have acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Reads, idempotent writes, and safe updates (a replay of an applied safe update gets
    /// 409, never a second change).
    Safe,
    /// Creations and comments: retried only when the request never left (connection
    /// failures); otherwise the caller finds out what happened (e.g. by `external_id`).
    OnlyUnsent,
}

/// A request to send: method, path segments (percent-encoded when joined), query, body.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    pub segments: Vec<String>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub budget: Budget,
    pub replay: Replay,
    /// The ticket a write is about, to name it in `ClosedTicket`.
    pub ticket_id: Option<ZendeskId>,
}

impl Call {
    pub fn new(method: Method, segments: &[&str]) -> Self {
        Self {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            budget: Budget::General,
            replay: Replay::Safe,
            ticket_id: None,
        }
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn export(mut self) -> Self {
        self.budget = Budget::Export;
        self
    }

    pub fn only_unsent(mut self) -> Self {
        self.replay = Replay::OnlyUnsent;
        self
    }

    pub fn about_ticket(mut self, ticket_id: ZendeskId) -> Self {
        self.ticket_id = Some(ticket_id);
        self
    }

    /// `GET /api/v2/tickets/1.json`: what errors and logs name (no query: it may hold e-mails).
    pub fn endpoint(&self) -> String {
        format!("{} /{}", self.method, self.segments.join("/"))
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    pub endpoint: String,
    pub body: Bytes,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> ZendeskResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| ZendeskError::Decode {
            endpoint: self.endpoint.clone(),
            reason: e.to_string(),
        })
    }
}

/// The budgets of one Zendesk account, shared by every handle that talks to it.
#[derive(Debug)]
pub struct AccountBudgets {
    pub export: Bucket,
    pub general: Bucket,
}

impl AccountBudgets {
    pub fn new(config: &ClientConfig) -> Self {
        Self {
            export: Bucket::new(config.export_budget),
            general: Bucket::new(config.general_budget),
        }
    }

    /// The bucket a 429 came from: the export budget for an export call, unless the headers
    /// say the account-wide budget is the one used up.
    fn bucket_refused(&self, budget: Budget, limits: &RateLimitHeaders) -> &Bucket {
        match budget {
            Budget::Export if !limits.exhausted() => &self.export,
            _ => &self.general,
        }
    }
}

/// How much longer this call may wait for rate limits: what is left of the policy's bound,
/// and never past the deadline of the work it runs in (a Lambda invocation): a wait that would
/// outlast it is returned as `RateLimited` at once, so the message goes back to the queue with
/// that delay instead of the invocation timing out asleep.
fn wait_allowed(policy: &crate::config::RetryPolicy, rate_waited: Duration) -> Duration {
    let left = policy.max_rate_limit_wait.saturating_sub(rate_waited);
    match zsync_core::deadline::time_left() {
        Some(time_left) => left.min(time_left),
        None => left,
    }
}

/// Upper bound of send rounds per call; each round either spends a transient attempt or
/// rate-limit wait, both bounded themselves, so this only guards against a zero-wait 429 loop.
const MAX_ROUNDS: u32 = 32;

/// A per-account connection: the shared HTTP client plus this account's address, credentials
/// and budgets.
pub struct Connection {
    pub http: reqwest::Client,
    pub config: Arc<ClientConfig>,
    pub budgets: Arc<AccountBudgets>,
    pub base_url: Url,
    pub username: String,
    pub token: SecretString,
    pub integration_id: IntegrationId,
}

impl Connection {
    pub async fn send(&self, call: Call) -> ZendeskResult<Answer> {
        let endpoint = call.endpoint();
        let span = tracing::debug_span!(
            "zendesk_call",
            integration = %self.integration_id,
            endpoint = %endpoint,
            ticket_id = call.ticket_id,
        );
        self.send_with_retries(&call, endpoint)
            .instrument(span)
            .await
    }

    async fn send_with_retries(&self, call: &Call, endpoint: String) -> ZendeskResult<Answer> {
        let policy = self.config.retry;
        let mut rate_waited = Duration::ZERO;
        // Sends that failed transiently; 429s do not count (they have their own bound).
        let mut failures = 0u32;
        for _ in 0..MAX_ROUNDS {
            rate_waited += self
                .take_tokens(call.budget, wait_allowed(&policy, rate_waited))
                .await
                .map_err(|WouldWait(retry_after)| ZendeskError::RateLimited {
                    endpoint: endpoint.clone(),
                    retry_after,
                })?;
            let (status, limits, body) = match self.send_once(call).await {
                Ok(answer) => answer,
                Err(SendError::TooLarge { limit }) => {
                    return Err(ZendeskError::Decode {
                        endpoint,
                        reason: format!("the answer is larger than {limit} bytes"),
                    });
                }
                Err(SendError::Http(err)) => {
                    failures += 1;
                    let replayable = call.replay == Replay::Safe || err.is_connect();
                    if replayable && failures < policy.max_attempts {
                        let delay = backoff_delay(&policy, failures);
                        tracing::warn!(failure = failures, ?delay, error = %err.without_url(), "Zendesk request failed; retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(transport_error(endpoint, err));
                }
            };
            self.note_budget_headers(&limits);
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = limits.wait_hint().unwrap_or(policy.default_rate_limit_wait);
                // Pausing the bucket holds back every caller on this account, not just us;
                // the next round's `take_tokens` does the waiting.
                self.budgets
                    .bucket_refused(call.budget, &limits)
                    .pause(wait);
                if wait > wait_allowed(&policy, rate_waited) {
                    return Err(ZendeskError::RateLimited {
                        endpoint,
                        retry_after: wait,
                    });
                }
                zsync_core::telemetry::zendesk_rate_limited(&self.integration_id, wait);
                tracing::info!(?wait, "Zendesk rate limit hit; waiting");
                continue;
            }
            if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                failures += 1;
                if call.replay == Replay::Safe && failures < policy.max_attempts {
                    let delay = backoff_delay(&policy, failures)
                        .max(limits.retry_after.unwrap_or_default().min(policy.max_delay));
                    tracing::warn!(failure = failures, %status, ?delay, "Zendesk answered with a server error; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(ZendeskError::Transient {
                    endpoint,
                    reason: format!("HTTP {status} ({failures} failed attempt(s))"),
                });
            }
            if status.is_success() {
                return Ok(Answer { endpoint, body });
            }
            return Err(error_for_status(status, &body, endpoint, call.ticket_id));
        }
        Err(ZendeskError::Transient {
            endpoint,
            reason: format!("gave up after {MAX_ROUNDS} rounds"),
        })
    }

    /// A budget Zendesk reports as used up is paused until it resets, so the next request
    /// waits instead of collecting a 429.
    fn note_budget_headers(&self, limits: &RateLimitHeaders) {
        let fallback = self.config.retry.default_rate_limit_wait;
        if limits.exhausted() {
            self.budgets.general.pause(limits.reset.unwrap_or(fallback));
        }
        if limits.export_exhausted() {
            let reset = limits.export_reset.or(limits.reset).unwrap_or(fallback);
            self.budgets.export.pause(reset);
        }
    }

    async fn take_tokens(&self, budget: Budget, allowed: Duration) -> Result<Duration, WouldWait> {
        let mut waited = Duration::ZERO;
        if budget == Budget::Export {
            waited += self.budgets.export.take(allowed).await?;
        }
        waited += self
            .budgets
            .general
            .take(allowed.saturating_sub(waited))
            .await?;
        Ok(waited)
    }

    async fn send_once(
        &self,
        call: &Call,
    ) -> Result<(StatusCode, RateLimitHeaders, Bytes), SendError> {
        let mut url = self.base_url.clone();
        url.set_query(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear().extend(&call.segments);
        }
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .basic_auth(&self.username, Some(self.token.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        zsync_core::telemetry::zendesk_request(&self.integration_id);
        let mut response = request.send().await?;
        let status = response.status();
        let limits = RateLimitHeaders::parse(response.headers());
        let limit = self.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(SendError::TooLarge { limit });
        }
        // Content-Length may be absent (chunked) or wrong: count what actually arrives.
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Err(SendError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, limits, body.freeze()))
    }
}

/// Why one send produced no answer to look at.
enum SendError {
    Http(reqwest::Error),
    /// The body is larger than [`ClientConfig::max_response_bytes`].
    TooLarge {
        limit: usize,
    },
}

impl From<reqwest::Error> for SendError {
    fn from(err: reqwest::Error) -> Self {
        Self::Http(err)
    }
}
