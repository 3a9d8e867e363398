//! Ticket comments: the per-ticket list (cursor pages) and comment events of the
//! incremental ticket-events export.

use serde::{Deserialize, Serialize};

use super::lenient;
use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub author_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub body: String,
    #[serde(default)]
    pub plain_body: Option<String>,
    /// Absent in some event payloads; Zendesk's default is public.
    #[serde(default = "default_public")]
    pub public: bool,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

fn default_public() -> bool {
    true
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CursorMeta {
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub after_cursor: Option<String>,
    #[serde(default)]
    pub before_cursor: Option<String>,
}

/// `GET /tickets/{id}/comments.json?page[size]=…`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentPage {
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub comments: Vec<Comment>,
    #[serde(default)]
    pub meta: CursorMeta,
    /// The page's comment authors, with `include=users`.
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub users: Vec<super::User>,
}
