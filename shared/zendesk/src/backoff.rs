//! Waiting between attempts: capped exponential backoff with jitter for transient failures,
//! and reading how long Zendesk wants us to wait from its rate-limit headers.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::config::RetryPolicy;

/// Delay before retry number `retry` (1 = the first retry): `base * 2^(retry-1)` capped at
/// `max_delay`, then jittered to 50–100 % so that many clients do not retry in lockstep.
pub fn backoff_delay(policy: &RetryPolicy, retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(20);
    let uncapped = policy.base_delay.saturating_mul(1u32 << exponent);
    let capped = uncapped.min(policy.max_delay);
    capped.mul_f64(0.5 + 0.5 * random_unit())
}

/// A random number in [0, 1). `RandomState` is freshly keyed per instance, which is all the
/// randomness jitter needs.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// What a response says about the rate limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `Retry-After`: seconds or an HTTP date.
    pub retry_after: Option<Duration>,
    /// `ratelimit-remaining` or `x-rate-limit-remaining`.
    pub remaining: Option<u64>,
    /// `ratelimit-reset`: seconds until the window resets.
    pub reset: Option<Duration>,
    /// `zendesk-ratelimit-incremental-exports: total=10; remaining=0; resets=42`.
    pub export_remaining: Option<u64>,
    pub export_reset: Option<Duration>,
}

impl RateLimitHeaders {
    pub fn parse(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let seconds = |name: &str| text(name).and_then(parse_seconds);
        Self {
            retry_after: text("retry-after").and_then(parse_retry_after),
            remaining: text("ratelimit-remaining")
                .or_else(|| text("x-rate-limit-remaining"))
                .and_then(|v| v.parse().ok()),
            reset: seconds("ratelimit-reset"),
            export_remaining: text("zendesk-ratelimit-incremental-exports")
                .and_then(|v| param(v, "remaining"))
                .and_then(|v| v.parse().ok()),
            export_reset: text("zendesk-ratelimit-incremental-exports")
                .and_then(|v| param(v, "resets"))
                .and_then(parse_seconds),
        }
    }

    /// How long to wait before the next request, if the headers say so: `Retry-After`, or the
    /// reset time once nothing remains.
    pub fn wait_hint(&self) -> Option<Duration> {
        self.retry_after.or(match self.remaining {
            Some(0) => self.reset,
            _ => None,
        })
    }

    /// The account-wide budget is used up.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// The incremental-export budget is used up.
    pub fn export_exhausted(&self) -> bool {
        self.export_remaining == Some(0)
    }
}

/// `name=value` out of `a=1; name=value; c=3`.
fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split([';', ',']).find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim())
    })
}

/// The longest wait any header is believed for (a day); either Retry-After form is capped.
pub const MAX_HEADER_WAIT: Duration = Duration::from_secs(86_400);

fn parse_seconds(value: &str) -> Option<Duration> {
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs.min(MAX_HEADER_WAIT.as_secs_f64())))
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Some(d) = parse_seconds(value) {
        return Some(d);
    }
    // HTTP-date (IMF-fixdate is RFC 2822 compatible).
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(
        delta
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(MAX_HEADER_WAIT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        for retry in 1..=6 {
            let full = Duration::from_millis(100 * (1 << (retry - 1))).min(policy.max_delay);
            let d = backoff_delay(&policy, retry);
            assert!(
                d >= full / 2 && d <= full,
                "retry {retry}: {d:?} not in [{full:?}/2, {full:?}]"
            );
        }
        let samples: std::collections::HashSet<_> =
            (0..20).map(|_| backoff_delay(&policy, 3)).collect();
        assert!(samples.len() > 1, "no jitter");
    }

    #[test]
    fn retry_after_in_seconds_wins() {
        let h = RateLimitHeaders::parse(&headers(&[
            ("retry-after", "7"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "30"),
        ]));
        assert_eq!(h.wait_hint(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_as_http_date() {
        let at = chrono::Utc::now() + chrono::Duration::seconds(120);
        let value = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let wait = RateLimitHeaders::parse(&headers(&[("retry-after", &value)]))
            .wait_hint()
            .unwrap();
        assert!(
            wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
    }

    #[test]
    fn retry_after_is_capped_in_either_form() {
        let far = chrono::Utc::now() + chrono::Duration::days(3650);
        let date = far.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        for value in [date.as_str(), "315360000", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            let wait = RateLimitHeaders::parse(&headers(&[("retry-after", value)])).wait_hint();
            assert_eq!(wait, Some(MAX_HEADER_WAIT), "{value}");
        }
    }

    #[test]
    fn exhausted_ratelimit_headers_give_the_reset() {
        let h = RateLimitHeaders::parse(&headers(&[
            ("ratelimit-limit", "700"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "12"),
        ]));
        assert!(h.exhausted());
        assert_eq!(h.wait_hint(), Some(Duration::from_secs(12)));
    }

    #[test]
    fn x_rate_limit_remaining_is_read_and_remaining_budget_means_no_wait() {
        let h = RateLimitHeaders::parse(&headers(&[
            ("x-rate-limit", "700"),
            ("x-rate-limit-remaining", "0"),
        ]));
        assert!(h.exhausted());
        let h = RateLimitHeaders::parse(&headers(&[
            ("ratelimit-remaining", "5"),
            ("ratelimit-reset", "12"),
        ]));
        assert!(!h.exhausted());
        assert_eq!(h.wait_hint(), None);
    }

    #[test]
    fn export_budget_header_is_read() {
        let h = RateLimitHeaders::parse(&headers(&[(
            "zendesk-ratelimit-incremental-exports",
            "total=10; remaining=0; resets=42",
        )]));
        assert!(h.export_exhausted());
        assert!(!h.exhausted());
        assert_eq!(h.export_reset, Some(Duration::from_secs(42)));
    }

    #[test]
    fn garbage_headers_are_ignored() {
        let h = RateLimitHeaders::parse(&headers(&[
            ("retry-after", "soon"),
            ("ratelimit-remaining", "-1"),
            ("ratelimit-reset", "NaN"),
        ]));
        assert_eq!(h, RateLimitHeaders::default());
    }
}
