//! Who is calling (docs/http-api.md "Authentication"). Pluggable: in AWS the HTTP API's JWT
//! authorizer has verified the token and lambda_http hands the verified claims over in the request
//! context; locally the token is verified here (HS256, secret from `ZSYNC_AUTH_SECRET`, expiry
//! checked).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
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
}

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
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
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

/// Roles as a JSON array, or as the text API Gateway makes of an array claim: a JSON array in
/// a string (`"[\"admin\"]"`) or its bracketed form (`"[admin user]"`, `"[admin, user]"`).
pub fn roles_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(text) => {
            if let Ok(parsed) = serde_json::from_str::<Vec<String>>(text) {
                return parsed;
            }
            text.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(|c: char| c == ',' || c.is_whitespace())
                .map(|r| r.trim().trim_matches('"').to_owned())
                .filter(|r| !r.is_empty())
                .collect()
        }
        _ => Vec::new(),
    }
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
        assert_eq!(roles_of(&json!("[admin agent]")), vec!["admin", "agent"]);
        assert_eq!(roles_of(&json!("[admin, agent]")), vec!["admin", "agent"]);
        assert_eq!(roles_of(&json!("[\"admin\"]")), vec!["admin"]);
        assert_eq!(roles_of(&json!("[]")), Vec::<String>::new());
        assert_eq!(roles_of(&json!(7)), Vec::<String>::new());
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
        let parts = gateway_parts(json!({"email": "Boss@Acme.com", "roles": "[admin]"}));
        let id = Auth::api_gateway().identify(&parts).unwrap();
        assert_eq!(id.email, "Boss@Acme.com");
        assert!(id.admin_claim);
        let agent = gateway_parts(json!({"email": "a@acme.com"}));
        assert!(!Auth::api_gateway().identify(&agent).unwrap().admin_claim);
        let no_email = gateway_parts(json!({"sub": "x"}));
        assert_eq!(
            Auth::api_gateway().identify(&no_email).unwrap_err().status,
            axum::http::StatusCode::UNAUTHORIZED
        );
        let (bare, ()) = axum::http::Request::new(()).into_parts();
        assert!(Auth::api_gateway().identify(&bare).is_err());
    }
}
