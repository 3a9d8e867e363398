//! The API's error answers: `{"error": {"code": "<snake_case>", "message": "<sentence>"}}`
//! (docs/http-api.md "Values"), with the invalid fields listed for a validation error.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use zsync_core::admin::AdminError;
use zsync_core::ports::{QueueError, SecretError, StoreError, ZendeskError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldMessage>,
}

/// Error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The invalid fields of a validation error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMessage>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// One invalid field (query parameters).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "validation_failed",
            message: format!("{field}: {message}"),
            fields: vec![FieldMessage {
                field: field.to_owned(),
                message,
            }],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                fields: self.fields,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        let message = e.to_string();
        match e {
            AdminError::Invalid(errors) => Self {
                status: StatusCode::BAD_REQUEST,
                code: "validation_failed",
                message,
                fields: errors
                    .0
                    .into_iter()
                    .map(|f| FieldMessage {
                        field: f.field.to_owned(),
                        message: f.message,
                    })
                    .collect(),
            },
            AdminError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            AdminError::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            AdminError::Conflict { code, .. } => Self::new(StatusCode::CONFLICT, code, message),
            AdminError::CredentialsRejected(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "zendesk_credentials_rejected",
                message,
            ),
            AdminError::Zendesk(e) => zendesk_error(&e, message),
            AdminError::Store(e) => store_error(&e, message),
            AdminError::Secrets(SecretError::Unavailable(_)) => infrastructure(
                StatusCode::SERVICE_UNAVAILABLE,
                "secret_store_unavailable",
                &message,
            ),
            AdminError::Secrets(SecretError::InvalidName(_)) => infrastructure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                &message,
            ),
            AdminError::Queue(
                QueueError::TooLarge { .. } | QueueError::RefusedCharacter { .. },
            ) => infrastructure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                &message,
            ),
            AdminError::Queue(_) => infrastructure(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue_unavailable",
                &message,
            ),
        }
    }
}

fn zendesk_error(e: &ZendeskError, message: String) -> ApiError {
    match e {
        ZendeskError::Auth { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "zendesk_credentials_rejected",
            message,
        ),
        ZendeskError::Invalid { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "zendesk_rejected",
            message,
        ),
        ZendeskError::RateLimited { .. } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "zendesk_rate_limited",
            message,
        ),
        ZendeskError::Transient { .. } => {
            ApiError::new(StatusCode::BAD_GATEWAY, "zendesk_unavailable", message)
        }
        _ => ApiError::new(StatusCode::BAD_GATEWAY, "zendesk_error", message),
    }
}

fn store_error(e: &StoreError, message: String) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
        StoreError::AlreadyExists { .. } => {
            ApiError::new(StatusCode::CONFLICT, "already_exists", message)
        }
        StoreError::VersionConflict { .. } => {
            ApiError::new(StatusCode::CONFLICT, "concurrent_update", message)
        }
        StoreError::InvalidCursor => ApiError::field("cursor", "is not a valid page cursor"),
        StoreError::Unavailable(_) => infrastructure(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            &message,
        ),
        StoreError::Corrupt { .. } => infrastructure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            &message,
        ),
    }
}

/// A failure of the service's own storage: its text (SDK errors naming ARNs, account ids,
/// endpoints, file paths) is logged here, the caller gets a generic sentence.
fn infrastructure(status: StatusCode, code: &'static str, detail: &str) -> ApiError {
    tracing::error!(code, error = %detail, "storage failure");
    let message = if status == StatusCode::SERVICE_UNAVAILABLE {
        "the service is temporarily unavailable; try again later"
    } else {
        "internal error; the details are in the service's logs"
    };
    ApiError::new(status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDK_TEXT: &str = "DynamoDB GetItem: service error: AccessDeniedException: User: \
        arn:aws:sts::123456789012:assumed-role/zsync-api/fn is not authorized";

    #[test]
    fn storage_failures_answer_without_their_sdk_text() {
        for error in [
            AdminError::Store(StoreError::Unavailable(SDK_TEXT.into())),
            AdminError::Secrets(SecretError::Unavailable(SDK_TEXT.into())),
            AdminError::Queue(QueueError::Unavailable(SDK_TEXT.into())),
        ] {
            let answer = ApiError::from(error);
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(
                !answer.message.contains("arn:") && !answer.message.contains("123456789012"),
                "{}",
                answer.message
            );
        }
    }
}
