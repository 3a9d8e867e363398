//! Zendesk webhook signatures (docs/sync-rules.md §6): `X-Zendesk-Webhook-Signature` is
//! base64(HMAC-SHA256(secret, timestamp + raw body)), with the timestamp from
//! `X-Zendesk-Webhook-Signature-Timestamp` (RFC 3339). Checked in constant time; a timestamp
//! more than [`MAX_SKEW`] away from now is refused so a captured delivery cannot be replayed later.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
pub const TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
pub const MAX_SKEW: Duration = Duration::minutes(5);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("signature timestamp is not RFC 3339")]
    BadTimestamp,
    #[error("signature timestamp is more than 5 minutes away from now")]
    StaleTimestamp,
    #[error("signature is not valid base64")]
    BadEncoding,
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &SecretString, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable_key_length(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

#[cold]
fn unreachable_key_length() -> ! {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

/// The signature Zendesk would send for `body` at `timestamp` (used by the simulator and tests).
pub fn sign(secret: &SecretString, timestamp: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// Verifies a delivery. `signature` and `timestamp` are the raw header values (if present).
pub fn verify(
    secret: &SecretString,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::MissingHeader(SIGNATURE_HEADER))?;
    let timestamp = timestamp.ok_or(SignatureError::MissingHeader(TIMESTAMP_HEADER))?;
    let at = DateTime::parse_from_rfc3339(timestamp.trim())
        .map_err(|_| SignatureError::BadTimestamp)?
        .with_timezone(&Utc);
    if (now - at).abs() > MAX_SKEW {
        return Err(SignatureError::StaleTimestamp);
    }
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::BadEncoding)?;
    // verify_slice compares in constant time.
    mac(secret, timestamp, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("wMZJU7Dlw7pdGPBAs7fz3lVSjF5Hef8mqD7avv5n7zs=")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const TS: &str = "2023-09-18T23:38:13Z";
    const BODY: &[u8] =
        br#"{"type":"zen:event-type:ticket.status_changed","subject":"zen:ticket:7"}"#;

    #[test]
    fn accepts_its_own_signature_within_the_window() {
        let sig = sign(&secret(), TS, BODY);
        for now in [
            "2023-09-18T23:38:13Z",
            "2023-09-18T23:43:13Z",
            "2023-09-18T23:33:13Z",
        ] {
            assert_eq!(
                verify(&secret(), Some(&sig), Some(TS), BODY, at(now)),
                Ok(())
            );
        }
    }

    #[test]
    fn refuses_tampering_wrong_secret_and_stale_or_future_timestamps() {
        let sig = sign(&secret(), TS, BODY);
        let now = at(TS);
        let mut body = BODY.to_vec();
        body[3] ^= 1;
        assert_eq!(
            verify(&secret(), Some(&sig), Some(TS), &body, now),
            Err(SignatureError::Mismatch)
        );
        let other = SecretString::from("other");
        assert_eq!(
            verify(&other, Some(&sig), Some(TS), BODY, now),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed too: moving it breaks the signature.
        let moved = "2023-09-18T23:38:14Z";
        assert_eq!(
            verify(&secret(), Some(&sig), Some(moved), BODY, now),
            Err(SignatureError::Mismatch)
        );
        for now in ["2023-09-18T23:43:14Z", "2023-09-18T23:33:12Z"] {
            assert_eq!(
                verify(&secret(), Some(&sig), Some(TS), BODY, at(now)),
                Err(SignatureError::StaleTimestamp)
            );
        }
    }

    #[test]
    fn names_what_is_missing_or_malformed() {
        let now = at(TS);
        let sig = sign(&secret(), TS, BODY);
        assert_eq!(
            verify(&secret(), None, Some(TS), BODY, now),
            Err(SignatureError::MissingHeader(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(&secret(), Some(&sig), None, BODY, now),
            Err(SignatureError::MissingHeader(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(&secret(), Some(&sig), Some("yesterday"), BODY, now),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verify(&secret(), Some("%%%"), Some(TS), BODY, now),
            Err(SignatureError::BadEncoding)
        );
    }
}
