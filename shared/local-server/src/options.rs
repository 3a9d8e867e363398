//! What `serve` is started with (docs/http-api.md "Local server"), and the humane durations its
//! `--poll-interval` takes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use zsync_zendesk::ClientConfig;

/// The defaults of docs/http-api.md "Local server".
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "./.zendesk-sync";
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// The export lease's default TTL (`zsync_core::export::LEASE_TTL`, 45 s).
pub const DEFAULT_EXPORT_LEASE_TTL: Duration = Duration::from_secs(45);

/// Everything [`crate::LocalServer::start`] needs besides the auth.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// HTTP address of the API and the webhook route (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Holds the store, the queue and the secret file; created if missing.
    pub data_dir: PathBuf,
    /// Base URL given to Zendesk when registering the webhook; `http://<bound addr>` if unset.
    pub public_url: Option<String>,
    /// Accept `http://` and non-zendesk.com integration URLs (simulators).
    pub allow_insecure_zendesk_urls: bool,
    /// How often the scheduler exports every active integration.
    pub poll_interval: Duration,
    /// How long an export's lease lasts unrenewed: after a crash (`kill -9`), the next start
    /// continues the export this long after the last renewal at the latest.
    pub export_lease_ttl: Duration,
    /// Queue workers (each handles up to 10 messages, 4 at a time).
    pub workers: usize,
    /// How long a shutdown waits for in-flight work before it gives up on it (that work is
    /// redone after the restart: the queue and the export cursor are persistent).
    pub shutdown_grace: Duration,
    /// The Zendesk client's timeouts, retries and request budgets.
    pub zendesk: ClientConfig,
}

impl ServeOptions {
    /// The defaults of docs/http-api.md "Local server", but for the address and the data
    /// directory.
    pub fn new(addr: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            addr,
            data_dir: data_dir.into(),
            public_url: None,
            allow_insecure_zendesk_urls: false,
            poll_interval: DEFAULT_POLL_INTERVAL,
            export_lease_ttl: DEFAULT_EXPORT_LEASE_TTL,
            workers: 2,
            shutdown_grace: Duration::from_secs(30),
            zendesk: ClientConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{input:?} is not a duration; use e.g. 30s, 5m, 1h or 1h30m")]
pub struct DurationError {
    input: String,
}

/// Parses `30s`, `5m`, `1h`, `1h30m`, `90s`, `250ms` (a bare number is seconds). Zero is
/// refused: a poll interval of nothing would spin.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let error = || DurationError {
        input: input.to_owned(),
    };
    let text = input.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return (seconds > 0)
            .then(|| Duration::from_secs(seconds))
            .ok_or_else(error);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(error)?;
        let amount: u64 = rest[..digits].parse().map_err(|_| error())?;
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let unit = &rest[digits..digits + unit_len];
        let part = match unit {
            "ms" => Duration::from_millis(amount),
            "s" | "sec" | "secs" => Duration::from_secs(amount),
            "m" | "min" | "mins" => Duration::from_secs(amount.checked_mul(60).ok_or_else(error)?),
            "h" | "hr" | "hrs" => Duration::from_secs(amount.checked_mul(3600).ok_or_else(error)?),
            _ => return Err(error()),
        };
        total = total.checked_add(part).ok_or_else(error)?;
        rest = &rest[digits + unit_len..];
    }
    if total.is_zero() {
        return Err(error());
    }
    Ok(total)
}

/// `5m`, `1h30m`, `45s`: how a duration is shown back to people.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_export_lease_is_the_cores_and_frees_a_crashed_export_within_a_minute() {
        assert_eq!(
            chrono::Duration::from_std(DEFAULT_EXPORT_LEASE_TTL).ok(),
            Some(zsync_core::export::LEASE_TTL)
        );
        assert!(DEFAULT_EXPORT_LEASE_TTL <= Duration::from_secs(60));
    }

    #[test]
    fn humane_durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration(" 90 "), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn nonsense_and_zero_are_refused() {
        for bad in ["", "0", "0s", "m", "5x", "five minutes", "-5m", "5m3"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(
            parse_duration("99999999999999999999h").is_err(),
            "overflow accepted"
        );
    }

    #[test]
    fn durations_are_shown_the_way_they_are_written() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }
}
