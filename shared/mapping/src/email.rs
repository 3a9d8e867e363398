//! E-mail addresses: one normalisation (trim + lower-case) and one validity rule, used for every
//! match between Zendesk people and CRM users/contacts (docs/sync-rules.md §3.2: "case-insensitive
//! on trimmed addresses") and for every address the admin types in (docs/sync-rules.md §2).
//!
//! Validity is deliberately pragmatic, not full RFC 5321: one `@`, a non-empty local part without
//! spaces, a domain of at least two dot-separated labels made of letters, digits and hyphens.
//! That refuses typos ("bob@", "bob@acme", "bob acme.com") without refusing real addresses.

/// Trimmed and lower-cased. The form every stored and compared e-mail has.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Both addresses are the same person's (case-insensitive, trimmed).
pub fn emails_match(a: &str, b: &str) -> bool {
    normalize_email(a) == normalize_email(b)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("is longer than 254 characters")]
    TooLong,
    #[error("must contain exactly one @")]
    NotOneAt,
    #[error("has nothing before the @")]
    EmptyLocalPart,
    #[error("must not contain spaces")]
    Whitespace,
    #[error("has an invalid domain (expected e.g. name@example.com)")]
    BadDomain,
}

/// Validates and normalises an address; `Ok` holds the normalised form.
pub fn parse_email(raw: &str) -> Result<String, EmailError> {
    let email = normalize_email(raw);
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if email.chars().count() > 254 {
        return Err(EmailError::TooLong);
    }
    if email.chars().any(char::is_whitespace) {
        return Err(EmailError::Whitespace);
    }
    let mut halves = email.split('@');
    let (Some(local), Some(domain), None) = (halves.next(), halves.next(), halves.next()) else {
        return Err(EmailError::NotOneAt);
    };
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if !is_valid_domain(domain) {
        return Err(EmailError::BadDomain);
    }
    Ok(email)
}

/// `parse_email` succeeds.
pub fn is_valid_email(raw: &str) -> bool {
    parse_email(raw).is_ok()
}

/// The normalised address if it is valid; blank or invalid addresses count as "no e-mail"
/// (Zendesk sends `null`, `""` and sometimes junk for people without an address).
pub fn usable_email(raw: Option<&str>) -> Option<String> {
    raw.and_then(|r| parse_email(r).ok())
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_trims_and_lowercases() {
        assert_eq!(
            normalize_email("  Bob.Miller@ACME.com \n"),
            "bob.miller@acme.com"
        );
        assert!(emails_match("BOB@acme.com", " bob@Acme.COM"));
        assert!(!emails_match("bob@acme.com", "bob@acme.org"));
    }

    #[test]
    fn valid_addresses_are_accepted_and_normalised() {
        for (raw, want) in [
            ("admin@acme.com", "admin@acme.com"),
            (" Admin@Acme.Com ", "admin@acme.com"),
            (
                "first.last+tag@mail.example.co.uk",
                "first.last+tag@mail.example.co.uk",
            ),
            ("o'brien@x-y.io", "o'brien@x-y.io"),
            ("jürgen@bücher.de", "jürgen@bücher.de"),
        ] {
            assert_eq!(parse_email(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn invalid_addresses_are_refused_with_a_reason() {
        for (raw, want) in [
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("bob", EmailError::NotOneAt),
            ("bob@a@b.com", EmailError::NotOneAt),
            ("@acme.com", EmailError::EmptyLocalPart),
            ("bob@acme", EmailError::BadDomain),
            ("bob@", EmailError::BadDomain),
            ("bob@acme..com", EmailError::BadDomain),
            ("bob@-acme.com", EmailError::BadDomain),
            ("bob@acme_corp.com", EmailError::BadDomain),
            ("bob smith@acme.com", EmailError::Whitespace),
        ] {
            assert_eq!(parse_email(raw), Err(want), "{raw:?}");
        }
        let long = format!("{}@acme.com", "a".repeat(250));
        assert_eq!(parse_email(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn usable_email_treats_blank_and_junk_as_none() {
        assert_eq!(usable_email(None), None);
        assert_eq!(usable_email(Some("")), None);
        assert_eq!(usable_email(Some("not an address")), None);
        assert_eq!(usable_email(Some(" X@Y.com")), Some("x@y.com".into()));
    }
}
