//! Webhook invocation attempts (`GET /webhooks/{id}/invocations/{invocation_id}/attempts`):
//! what Zendesk sent to a webhook endpoint and what it got back. Used to diagnose deliveries.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvocationAttemptList {
    #[serde(default, deserialize_with = "super::lenient::null_as_default")]
    pub attempts: Vec<InvocationAttempt>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvocationAttempt {
    pub id: String,
    #[serde(default)]
    pub invocation_id: Option<String>,
    /// The endpoint's HTTP status.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// e.g. `terminated`, `successful`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub request: Option<AttemptMessage>,
    #[serde(default)]
    pub response: Option<AttemptMessage>,
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
}

/// A request or response of one attempt: headers and the raw body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttemptMessage {
    #[serde(default, deserialize_with = "super::lenient::null_as_default")]
    pub headers: Vec<HeaderPair>,
    #[serde(default)]
    pub payload: Option<String>,
}

impl AttemptMessage {
    /// A header's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderPair {
    pub key: String,
    pub value: String,
}
