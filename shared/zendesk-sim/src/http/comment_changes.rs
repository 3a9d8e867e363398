//! Changing an existing comment: `PUT /tickets/{id}/comments/{id}/redact` (`{"text": "…"}`,
//! answered with the comment) and `PUT /tickets/{id}/comments/{id}/make_private` (answered
//! 200 without a body), Zendesk's Ticket Comments API.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{App, Caller, bad_request, not_found, parse_body, path_id, record_invalid, render};
use crate::state::CommentChangeError;

#[derive(Deserialize)]
struct RedactBody {
    text: Option<String>,
}

fn refusal(e: CommentChangeError) -> Response {
    match e {
        CommentChangeError::NotFound => not_found(),
        CommentChangeError::Closed => {
            record_invalid("status", "Status closed prevents comment update")
        }
    }
}

pub(crate) async fn redact(
    State(app): State<App>,
    _: Caller,
    Path((ticket, comment)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (Some(ticket), Some(comment)) = (path_id(&ticket), path_id(&comment)) else {
        return not_found();
    };
    let input: RedactBody = match parse_body(&body) {
        Ok(input) => input,
        Err(refused) => return refused,
    };
    let Some(text) = input.text.filter(|t| !t.is_empty()) else {
        return bad_request("text is required");
    };
    match app.lock().redact_comment(ticket, comment, &text) {
        Ok(changed) => axum::Json(json!({"comment": render::comment(&changed)})).into_response(),
        Err(e) => refusal(e),
    }
}

pub(crate) async fn make_private(
    State(app): State<App>,
    _: Caller,
    Path((ticket, comment)): Path<(String, String)>,
) -> Response {
    let (Some(ticket), Some(comment)) = (path_id(&ticket), path_id(&comment)) else {
        return not_found();
    };
    match app.lock().make_comment_private(ticket, comment) {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => refusal(e),
    }
}
