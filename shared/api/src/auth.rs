//! Who is calling (docs/http-api.md "Authentication"). Pluggable: in AWS the HTTP API's
//! JWT authorizer has verified the token and lambda_http hands the verified claims over in the
//! request context; locally the token is verified here (HS256, secret of at least 32 bytes from
//! `ZSYNC_AUTH_SECRET`, `exp` and `nbf` checked).
//!
//! Behind API Gateway the caller's `email` names the CRM user only when the token also says
//! `email_verified: true`: an issuer that lets users edit their own e-mail attribute (Cognito
//! does unless configured otherwise) would otherwise let anyone become any CRM user
//! (`infra/identity.md` has the issuer settings). Locally the operator mints the tokens.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::request::RequestContext;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use zsync_core::admin::{Caller, Identity};

use crate::AppState;
use crate::error::ApiError;

/// The environment variable holding the local server's HS256 secret.
pub const AUTH_SECRET_ENV: &str = "ZSYNC_AUTH_SECRET";

/// How callers are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// Behind API Gateway's JWT authorizer: read its verified claims from the request context.
    ApiGatewayJwt,
    /// Verify `Authorization: Bearer <HS256 JWT>` here.
    Hs256(Arc<Hs256Verifier>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiGatewayJwt => f.write_str("Auth::ApiGatewayJwt"),
            Self::Hs256(_) => f.write_str("Auth::Hs256(<redacted>)"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("{AUTH_SECRET_ENV} is not set; the local server needs it to verify tokens")]
    MissingSecret,
    #[error("the token secret must not be empty")]
    EmptySecret,
    #[error(
        "{AUTH_SECRET_ENV} is {len} bytes; HS256 needs at least {MIN_SECRET_BYTES} random bytes \
         (e.g. `head -c 32 /dev/urandom | base64`)"
    )]
    ShortSecret { len: usize },
}

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Verifies HS256 tokens with one shared secret.
pub struct Hs256Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Auth {
    pub fn api_gateway() -> Self {
        Self::ApiGatewayJwt
    }

    pub fn hs256(secret: &SecretString) -> Result<Self, AuthConfigError> {
        let secret = secret.expose_secret();
        if secret.is_empty() {
            return Err(AuthConfigError::EmptySecret);
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AuthConfigError::ShortSecret { len: secret.len() });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Tolerate small clock skew only.
        validation.leeway = 5;
        Ok(Self::Hs256(Arc::new(Hs256Verifier {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        })))
    }

    /// HS256 with the secret in `ZSYNC_AUTH_SECRET` (the local server).
    pub fn hs256_from_env() -> Result<Self, AuthConfigError> {
        let secret = std::env::var(AUTH_SECRET_ENV).map_err(|_| AuthConfigError::MissingSecret)?;
        Self::hs256(&SecretString::from(secret))
    }

    /// The verified identity of a request, or 401.
    pub fn identify(&self, parts: &Parts) -> Result<Identity, ApiError> {
        match self {
            Self::ApiGatewayJwt => identify_from_gateway(parts),
            Self::Hs256(verifier) => verifier.identify(parts),
        }
    }
}

#[derive(Deserialize)]
struct TokenClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    roles: Option<Value>,
}

impl Hs256Verifier {
    fn identify(&self, parts: &Parts) -> Result<Identity, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("an Authorization: Bearer token is required"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be \"Bearer <token>\"")
            })?;
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.key, &self.validation)
            .map_err(|e| {
                let reason = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired",
                    jsonwebtoken::errors::ErrorKind::ImmatureSignature => {
                        "the token is not valid yet (nbf)"
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                        "the token's signature is not valid"
                    }
                    _ => "the token is not a valid HS256 JWT",
                };
                ApiError::unauthorized(reason)
            })?;
        identity(
            data.claims.email,
            data.claims.roles.as_ref().map(roles_of).unwrap_or_default(),
        )
    }
}

fn identify_from_gateway(parts: &Parts) -> Result<Identity, ApiError> {
    let claims = match parts.extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
    .ok_or_else(|| ApiError::unauthorized("the request carries no verified token claims"))?;
    // API Gateway renders every claim as text: a JSON `true` arrives as "true".
    if claims.get("email_verified").map(String::as_str) != Some("true") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "email_not_verified",
            "the token's email is not verified (email_verified must be true)",
        ));
    }
    let roles = claims
        .get("roles")
        .map(|raw| roles_of(&Value::String(raw.clone())))
        .unwrap_or_default();
    identity(claims.get("email").cloned(), roles)
}

fn identity(email: Option<String>, roles: Vec<String>) -> Result<Identity, ApiError> {
    let email = email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the token has no email claim"))?;
    Ok(Identity {
        email,
        admin_claim: roles.iter().any(|r| r == "admin"),
    })
}

/// The roles of a `roles` claim, exactly: a JSON array of strings; the text an issuer puts a
/// JSON array in (`"[\"Billing admin\"]"`); or API Gateway's rendering of an array claim,
/// its values between brackets separated by spaces (`[admin]`, `[admin agent]`). That
/// rendering cannot tell `["Billing admin"]` from `["Billing", "admin"]`, so a bracketed text
/// with a space in it grants no role at all; a plain string is one role. Anything else
/// (malformed JSON, numbers) grants none: a role is never guessed out of a larger value.
pub fn roles_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(text) => roles_of_text(text),
        _ => Vec::new(),
    }
}

fn roles_of_text(text: &str) -> Vec<String> {
    let text = text.trim();
    let Some(inner) = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    else {
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_owned()]
        };
    };
    if let Ok(parsed) = serde_json::from_str::<Vec<String>>(text) {
        return parsed;
    }
    if inner.trim().is_empty() {
        return Vec::new();
    }
    if inner.contains(['"', '[', ']']) || inner.contains(char::is_whitespace) {
        tracing::warn!(
            "the roles claim is malformed or ambiguous (API Gateway renders [\"a b\"] and \
             [\"a\", \"b\"] alike as [a b]); no role taken from it"
        );
        return Vec::new();
    }
    vec![inner.to_owned()]
}

/// The authenticated caller, mapped to a CRM user (401 without a valid token, 403 for a
/// token whose e-mail is no CRM user unless it is an admin's).
pub struct AuthedCaller(pub Caller);

impl FromRequestParts<AppState> for AuthedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let identity = state.auth.identify(parts)?;
        let caller = Caller::resolve(&state.ctx, &identity).await?;
        Ok(AuthedCaller(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_arrive_as_arrays_or_as_text() {
        assert_eq!(roles_of(&json!(["admin", "agent"])), vec!["admin", "agent"]);
        assert_eq!(roles_of(&json!("[admin]")), vec!["admin"]);
        assert_eq!(roles_of(&json!("[\"admin\"]")), vec!["admin"]);
        assert_eq!(
            roles_of(&json!("[\"admin\", \"agent\"]")),
            vec!["admin", "agent"]
        );
        assert_eq!(roles_of(&json!("admin")), vec!["admin"]);
        assert_eq!(roles_of(&json!("[]")), Vec::<String>::new());
        assert_eq!(roles_of(&json!(7)), Vec::<String>::new());
    }

    /// Every way a role that merely contains "admin" can arrive grants no admin.
    #[test]
    fn a_role_containing_admin_is_not_admin() {
        for claim in [
            json!(["Billing admin"]),
            json!("[\"Billing admin\"]"),
            json!("[Billing admin]"),
            json!("[\"Billing admin\", 3]"),
            json!("[\"Billing admin\",]"),
            json!("Billing admin"),
            json!("[admin,agent]"),
            json!("[\"admin]"),
            json!("[[admin]]"),
            json!("[admin\tagent]"),
            json!("not-admin"),
        ] {
            let roles = roles_of(&claim);
            assert!(
                !roles.iter().any(|r| r == "admin"),
                "{claim} gave {roles:?}"
            );
        }
    }

    proptest::proptest! {
        /// API Gateway's rendering of any array of role names grants admin only when it can
        /// only have been `["admin"]`.
        #[test]
        fn gateway_rendering_grants_admin_only_for_exactly_admin(
            names in proptest::collection::vec("[A-Za-z ]{0,12}", 0..4)
        ) {
            let inner = names.join(" ");
            let roles = roles_of(&Value::String(format!("[{inner}]")));
            let admin = roles.iter().any(|r| r == "admin");
            proptest::prop_assert_eq!(admin, inner == "admin", "[{}] gave {:?}", inner, roles);
        }
    }

    #[test]
    fn short_secrets_are_refused_with_their_length() {
        let short = Auth::hs256(&SecretString::from("x".repeat(31)));
        let message = short.map(|_| ()).unwrap_err().to_string();
        assert!(
            message.contains("31 bytes") && message.contains("32"),
            "{message}"
        );
        assert!(Auth::hs256(&SecretString::from("x".repeat(32))).is_ok());
        assert!(matches!(
            Auth::hs256(&SecretString::from(String::new())),
            Err(AuthConfigError::EmptySecret)
        ));
    }

    fn gateway_parts(claims: serde_json::Value) -> Parts {
        let context: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext =
            serde_json::from_value(json!({
                "routeKey": "GET /cases", "accountId": "1", "stage": "$default",
                "requestId": "r", "apiId": "a", "domainName": "d", "domainPrefix": "d",
                "time": "t", "timeEpoch": 0,
                "http": {"method": "GET", "path": "/cases", "protocol": "HTTP/1.1",
                         "sourceIp": "1.2.3.4", "userAgent": "x"},
                "authorizer": {"jwt": {"claims": claims, "scopes": null}}
            }))
            .unwrap();
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts
            .extensions
            .insert(RequestContext::ApiGatewayV2(context));
        parts
    }

    #[test]
    fn gateway_claims_give_the_identity() {
        let parts = gateway_parts(
            json!({"email": "Boss@Acme.com", "email_verified": "true", "roles": "[admin]"}),
        );
        let id = Auth::api_gateway().identify(&parts).unwrap();
        assert_eq!(id.email, "Boss@Acme.com");
        assert!(id.admin_claim);
        let agent = gateway_parts(json!({"email": "a@acme.com", "email_verified": "true"}));
        assert!(!Auth::api_gateway().identify(&agent).unwrap().admin_claim);
        let billing = gateway_parts(
            json!({"email": "a@acme.com", "email_verified": "true", "roles": "[Billing admin]"}),
        );
        assert!(!Auth::api_gateway().identify(&billing).unwrap().admin_claim);
        let no_email = gateway_parts(json!({"sub": "x", "email_verified": "true"}));
        assert_eq!(
            Auth::api_gateway().identify(&no_email).unwrap_err().status,
            axum::http::StatusCode::UNAUTHORIZED
        );
        let (bare, ()) = axum::http::Request::new(()).into_parts();
        assert!(Auth::api_gateway().identify(&bare).is_err());
    }

    #[test]
    fn an_unverified_email_names_no_one() {
        for verified in [None, Some("false"), Some("True"), Some("1"), Some("")] {
            let mut claims = json!({"email": "boss@acme.com", "roles": "[admin]"});
            if let Some(v) = verified {
                claims["email_verified"] = json!(v);
            }
            let refused = Auth::api_gateway()
                .identify(&gateway_parts(claims))
                .unwrap_err();
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{verified:?}");
            assert_eq!(refused.code, "email_not_verified");
        }
    }
}
