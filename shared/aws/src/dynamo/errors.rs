//! SDK errors → [`StoreError`]. Conditional-check failures are handled where they happen (they
//! mean different things per call); everything else that reaches here is the backend failing.

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use zsync_core::ports::StoreError;

/// Throttling, 5xx, timeouts and network errors all may heal: `Unavailable` (retryable). So do
/// the rest (missing table, access denied): they are deployment faults an operator fixes, and
/// the message names the operation and the service's error code.
pub fn unavailable<E, R>(operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(format!(
        "DynamoDB {operation}: {}",
        DisplayErrorContext(&err)
    ))
}
