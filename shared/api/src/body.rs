//! Request decoding with the API's error shape: JSON bodies (content type checked, size
//! limited, unknown fields refused with the field named) and query strings.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest accepted request body (docs/sync-rules.md §7).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body; the request must carry one.
pub struct JsonBody<T>(pub T);

/// A body read (size limited) but not yet checked: routes on an existing resource look the
/// resource up first, so an unknown one is a 404 whatever the body holds, then [`Self::decode`].
pub struct UncheckedJsonBody {
    bytes: Bytes,
    is_json: bool,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        UncheckedJsonBody::from_request(req, state)
            .await?
            .decode()
            .map(JsonBody)
    }
}

impl<S: Send + Sync> FromRequest<S> for UncheckedJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let is_json = content_type.as_deref().is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence == "application/json" || essence.ends_with("+json")
        });
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(format!("the request body could not be read: {rejection}"))
            }
        })?;
        Ok(UncheckedJsonBody { bytes, is_json })
    }
}

impl UncheckedJsonBody {
    /// 415 unless the request said it is JSON, else the decoded body (400 naming the problem).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON (Content-Type: application/json)",
            ));
        }
        decode(&self.bytes)
    }

    /// [`Self::decode`], but no body at all (or only whitespace, as JSON) is `T::default()`.
    pub fn decode_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        let blank = self.bytes.iter().all(u8::is_ascii_whitespace);
        if blank && (self.bytes.is_empty() || self.is_json) {
            return Ok(T::default());
        }
        self.decode()
    }
}

/// Decodes JSON, naming the offending field (`status: unknown variant ...`, or the unknown
/// field itself) in the message.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if path == "." || path.is_empty() {
            format!("invalid JSON body: {inner}")
        } else {
            format!("invalid JSON body: {path}: {inner}")
        };
        ApiError::bad_request(message)
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(value)
}

/// Query parameters, with unknown parameters refused.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| QueryParams(q.0))
            .map_err(|e| {
                ApiError::bad_request(format!("invalid query string {query:?}: {}", e.body_text()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: Option<String>,
        level: Option<u8>,
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let unknown = decode::<Probe>(br#"{"name":"a","colour":"red"}"#).unwrap_err();
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(unknown.message.contains("colour"), "{}", unknown.message);
        let bad = decode::<Probe>(br#"{"level":"high"}"#).unwrap_err();
        assert!(bad.message.contains("level:"), "{}", bad.message);
        let trailing = decode::<Probe>(br#"{} {}"#).unwrap_err();
        assert_eq!(trailing.code, "invalid_request");
        assert!(decode::<Probe>(br#"{"name":"a"}"#).is_ok());
    }
}
