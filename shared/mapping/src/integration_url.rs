//! The integration's account URL (docs/sync-rules.md §2): normalised to `https://<sub>.zendesk.com`
//! — lower-case host, no trailing slash, no path, query, fragment, credentials or port. A bare host
//! (`acme.zendesk.com`) is read as `https://acme.zendesk.com`.
//!
//! Anything carrying a path, query or fragment is refused rather than trimmed: a pasted
//! `https://acme.zendesk.com/api/v2` or agent-UI link is more likely a mistake worth showing
//! than something to silently rewrite.
//!
//! `allow_insecure` (a deployment setting for local runs and tests, never per request) also
//! accepts `http://` and any host and port, e.g. a loopback simulator at `http://127.0.0.1:8081`.

use url::Url;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("is empty")]
    Empty,
    #[error("is not a valid URL")]
    Invalid,
    #[error("must start with https://")]
    NotHttps,
    #[error("must not contain a user name or password")]
    HasCredentials,
    #[error("must be the account URL only, without a path, query or fragment")]
    HasPath,
    #[error("must be a Zendesk account URL: https://<subdomain>.zendesk.com")]
    NotZendeskHost,
}

/// Normalises an account URL; `Ok` is the canonical form (normalising it again returns it).
pub fn normalize_integration_url(raw: &str, allow_insecure: bool) -> Result<String, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError::Empty);
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| UrlError::Invalid)?;

    let scheme = url.scheme();
    let scheme_ok = scheme == "https" || (allow_insecure && scheme == "http");
    if !scheme_ok {
        return Err(UrlError::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::HasCredentials);
    }
    let has_path = !matches!(url.path(), "" | "/");
    let has_query = url.query().is_some_and(|q| !q.is_empty());
    let has_fragment = url.fragment().is_some_and(|f| !f.is_empty());
    if has_path || has_query || has_fragment {
        return Err(UrlError::HasPath);
    }
    // The url crate has already lower-cased the host and dropped a default port.
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(UrlError::Invalid)?;
    if !allow_insecure && (url.port().is_some() || !is_zendesk_account_host(host)) {
        return Err(UrlError::NotZendeskHost);
    }
    Ok(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// The Zendesk account a normalised integration URL names: its host (and port, for simulators),
/// without the scheme. An integration is identified by its account (docs/sync-rules.md §2), so
/// `https://acme.zendesk.com` and `http://acme.zendesk.com` are the same account. Stores key the
/// one-integration-per-account claim by it.
pub fn account_key(normalized_url: &str) -> String {
    let trimmed = normalized_url.trim();
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    without_scheme.trim_end_matches('/').to_ascii_lowercase()
}

/// `<sub>.zendesk.com` with one DNS label as the subdomain.
fn is_zendesk_account_host(host: &str) -> bool {
    let Some(sub) = host.strip_suffix(".zendesk.com") else {
        return false;
    };
    !sub.is_empty()
        && sub.len() <= 63
        && !sub.starts_with('-')
        && !sub.ends_with('-')
        && sub
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zendesk_urls_are_normalised() {
        for raw in [
            "https://acme.zendesk.com",
            "https://acme.zendesk.com/",
            "  https://ACME.Zendesk.COM/  ",
            "acme.zendesk.com",
            "https://acme.zendesk.com:443",
            "https://acme.zendesk.com/?",
            "HTTPS://acme.zendesk.com",
        ] {
            assert_eq!(
                normalize_integration_url(raw, false).as_deref(),
                Ok("https://acme.zendesk.com"),
                "{raw:?}"
            );
        }
        assert_eq!(
            normalize_integration_url("https://my-team2.zendesk.com", false).as_deref(),
            Ok("https://my-team2.zendesk.com")
        );
    }

    #[test]
    fn strict_policy_refuses_everything_else_with_a_reason() {
        for (raw, want) in [
            ("", UrlError::Empty),
            ("http://acme.zendesk.com", UrlError::NotHttps),
            ("ftp://acme.zendesk.com", UrlError::NotHttps),
            (
                "https://acme.zendesk.com/agent/tickets/1",
                UrlError::HasPath,
            ),
            ("https://acme.zendesk.com/api/v2", UrlError::HasPath),
            ("https://acme.zendesk.com?x=1", UrlError::HasPath),
            ("https://acme.zendesk.com#top", UrlError::HasPath),
            ("https://bob:pw@acme.zendesk.com", UrlError::HasCredentials),
            ("https://zendesk.com", UrlError::NotZendeskHost),
            ("https://a.b.zendesk.com", UrlError::NotZendeskHost),
            ("https://acme.zendesk.com.evil.io", UrlError::NotZendeskHost),
            ("https://acmezendesk.com", UrlError::NotZendeskHost),
            ("https://acme.zendesk.com:8443", UrlError::NotZendeskHost),
            ("https://127.0.0.1:8081", UrlError::NotZendeskHost),
            ("https://-acme.zendesk.com", UrlError::NotZendeskHost),
            ("https://", UrlError::Invalid),
        ] {
            assert_eq!(normalize_integration_url(raw, false), Err(want), "{raw:?}");
        }
    }

    #[test]
    fn insecure_policy_accepts_http_and_any_host() {
        for (raw, want) in [
            ("http://127.0.0.1:8081/", "http://127.0.0.1:8081"),
            ("http://LOCALHOST:9000", "http://localhost:9000"),
            (
                "https://zendesk.internal.test",
                "https://zendesk.internal.test",
            ),
            ("http://acme.zendesk.com", "http://acme.zendesk.com"),
            ("http://[::1]:8081", "http://[::1]:8081"),
        ] {
            assert_eq!(
                normalize_integration_url(raw, true).as_deref(),
                Ok(want),
                "{raw:?}"
            );
        }
        // Still only the account URL, still only http(s).
        assert_eq!(
            normalize_integration_url("http://127.0.0.1:8081/api", true),
            Err(UrlError::HasPath)
        );
        assert_eq!(
            normalize_integration_url("ftp://127.0.0.1", true),
            Err(UrlError::NotHttps)
        );
    }

    #[test]
    fn the_account_is_the_host_and_port_of_the_normalised_url() {
        assert_eq!(account_key("https://acme.zendesk.com"), "acme.zendesk.com");
        assert_eq!(account_key("http://acme.zendesk.com"), "acme.zendesk.com");
        assert_eq!(account_key("http://127.0.0.1:8081"), "127.0.0.1:8081");
        assert_ne!(
            account_key("http://127.0.0.1:8081"),
            account_key("http://127.0.0.1:8082")
        );
        assert_ne!(
            account_key("https://acme.zendesk.com"),
            account_key("https://acme2.zendesk.com")
        );
    }

    proptest! {
        #[test]
        fn spellings_of_one_url_are_one_account(
            sub in "[a-z0-9]{1,12}",
            upper in any::<bool>(),
            scheme in "(https://)?",
            slash in "/?",
        ) {
            let host = format!("{sub}.zendesk.com");
            let shown = if upper { host.to_uppercase() } else { host.clone() };
            let raw = format!("{scheme}{shown}{slash}");
            let normalised = normalize_integration_url(&raw, false);
            prop_assert_eq!(normalised.as_deref().map(account_key), Ok(host));
        }

        #[test]
        fn normalisation_is_idempotent(raw in ".{0,40}", insecure in any::<bool>()) {
            if let Ok(once) = normalize_integration_url(&raw, insecure) {
                prop_assert_eq!(normalize_integration_url(&once, insecure), Ok(once.clone()));
            }
        }

        #[test]
        fn normalisation_is_idempotent_on_url_like_input(
            scheme in "(https?://)?",
            host in "[a-zA-Z0-9.-]{1,20}(\\.zendesk\\.com)?",
            port in "(:[0-9]{1,5})?",
            tail in "/?",
            insecure in any::<bool>(),
        ) {
            let raw = format!("{scheme}{host}{port}{tail}");
            if let Ok(once) = normalize_integration_url(&raw, insecure) {
                prop_assert_eq!(normalize_integration_url(&once, insecure), Ok(once.clone()));
                prop_assert!(!once.ends_with('/'));
                prop_assert_eq!(once.to_lowercase(), once.clone());
            }
        }
    }
}
