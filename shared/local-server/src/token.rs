//! HS256 tokens for the local server: the secret `serve` verifies with (`ZSYNC_AUTH_SECRET`),
//! a fresh one for a demo session, and tokens minted with it (`zendesk-sync token`, the demo's
//! ready-made curl commands).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("could not sign the token: {0}")]
pub struct TokenError(String);

/// A random secret for one demo session (two v4 UUIDs: 244 random bits).
pub fn generate_secret() -> SecretString {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    SecretString::from(format!("demo-{a}{b}"))
}

/// An HS256 JWT with the claims the API reads (`email`, `roles`) and an expiry.
pub fn mint_token(
    secret: &SecretString,
    email: &str,
    roles: &[&str],
    valid_for: Duration,
) -> Result<String, TokenError> {
    let now = chrono::Utc::now().timestamp();
    let valid_for = i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX / 2);
    let claims = json!({
        "sub": email,
        "email": email,
        "roles": roles,
        "iat": now,
        "exp": now.saturating_add(valid_for),
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
    .map_err(|e| TokenError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_differ_and_are_long() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(a.expose_secret().len() >= 64);
    }
}
