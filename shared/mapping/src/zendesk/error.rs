//! Zendesk error bodies. Zendesk uses several shapes:
//! `{"error":"RecordNotFound","description":"Not found"}`,
//! `{"error":{"title":"…","message":"…"}}` and
//! `{"error":"RecordInvalid","description":"…","details":{"status":[{"description":"…"}]}}`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorCode {
    Code(String),
    Titled {
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<ErrorCode>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}

impl ErrorBody {
    /// `RecordNotFound`, `RecordInvalid`, or the title of a titled error.
    pub fn code(&self) -> Option<&str> {
        match self.error.as_ref()? {
            ErrorCode::Code(c) => Some(c),
            ErrorCode::Titled { title, .. } => title.as_deref(),
        }
    }

    /// A one-line human summary (never contains request data).
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if let Some(code) = self.code() {
            parts.push(code);
        }
        if let Some(ErrorCode::Titled {
            message: Some(m), ..
        }) = &self.error
        {
            parts.push(m);
        }
        if let Some(d) = &self.description {
            parts.push(d);
        }
        parts.join(": ")
    }

    /// 422 on an update of a closed ticket. Zendesk words it "Status closed prevents ticket
    /// update" or "Status: closed prevents …"; some stubs use `details.status[].error =
    /// "ClosedTicket"`. Match the substring and the details, not an exact sentence.
    pub fn is_closed_ticket(&self) -> bool {
        const NEEDLE: &str = "closed prevents ticket update";
        let in_text = |s: &str| s.to_ascii_lowercase().contains(NEEDLE);
        if self.description.as_deref().is_some_and(in_text) {
            return true;
        }
        let Some(statuses) = self
            .details
            .as_ref()
            .and_then(|d| d.get("status"))
            .and_then(|s| s.as_array())
        else {
            return false;
        };
        statuses.iter().any(|s| {
            s.get("description")
                .and_then(|d| d.as_str())
                .is_some_and(in_text)
                || s.get("error").and_then(|e| e.as_str()) == Some("ClosedTicket")
        })
    }
}
