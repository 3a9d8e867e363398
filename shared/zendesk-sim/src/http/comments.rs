//! `GET /tickets/{id}/comments.json`: cursor pagination (`page[size]`, `page[after]`) with
//! `meta` and `links`, or offset pages (`page`, `per_page`) when no cursor parameter is given.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{App, Caller, bad_request, not_found, path_id, render};

const MAX_PAGE: usize = 100;

fn encode_cursor(comment_id: u64) -> String {
    STANDARD.encode(format!(
        "{{\"o\":\"created_at,id\",\"v\":\"{comment_id}\"}}"
    ))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let raw = String::from_utf8(STANDARD.decode(cursor.trim()).ok()?).ok()?;
    let value: Value = serde_json::from_str(&raw).ok()?;
    value.get("v")?.as_str()?.parse().ok()
}

fn link(base: &str, ticket: u64, key: &str, cursor: &str, size: usize) -> String {
    let cursor: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
    format!(
        "{base}/api/v2/tickets/{ticket}/comments.json?page%5B{key}%5D={cursor}&page%5Bsize%5D={size}"
    )
}

pub(crate) async fn list(
    State(app): State<App>,
    _: Caller,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let state = app.lock();
    let Some(ticket) = path_id(&id).and_then(|id| state.live_ticket(id)) else {
        return not_found();
    };
    let all = state
        .comments
        .get(&ticket.id)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let cursor_mode = q.keys().any(|k| k.starts_with("page["));
    if !cursor_mode {
        let per_page = q
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(MAX_PAGE)
            .clamp(1, MAX_PAGE);
        let page = q
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let start = (page - 1).saturating_mul(per_page);
        let slice: Vec<Value> = all
            .iter()
            .skip(start)
            .take(per_page)
            .map(render::comment)
            .collect();
        let next = (all.len() > start.saturating_add(per_page)).then(|| {
            format!(
                "{}/api/v2/tickets/{}/comments.json?page={}&per_page={per_page}",
                state.base_url,
                ticket.id,
                page + 1
            )
        });
        let body = json!({"comments": slice, "next_page": next, "previous_page": null, "count": all.len()});
        return axum::Json(body).into_response();
    }
    let size = match q.get("page[size]").map(|s| s.parse::<usize>()) {
        None => MAX_PAGE,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return bad_request("page[size] must be between 1 and 100"),
    };
    let start = match q.get("page[after]").filter(|c| !c.is_empty()) {
        None => 0,
        Some(cursor) => match decode_cursor(cursor) {
            Some(after) => all.iter().position(|c| c.id > after).unwrap_or(all.len()),
            None => return bad_request("page[after] is not a valid cursor"),
        },
    };
    let page: Vec<_> = all.iter().skip(start).take(size).collect();
    let has_more = all.len() > start + page.len();
    let after = page.last().map(|c| encode_cursor(c.id));
    let before = page.first().map(|c| encode_cursor(c.id.saturating_sub(1)));
    let mut body = json!({
        "comments": page.iter().map(|c| render::comment(c)).collect::<Vec<_>>(),
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
        "links": {
            "prev": before.as_deref().map(|c| link(&state.base_url, ticket.id, "before", c, size)),
            "next": after.as_deref().map(|c| link(&state.base_url, ticket.id, "after", c, size)),
        },
    });
    if super::includes(&q, "users") {
        // Zendesk sideloads the page's comment authors.
        let authors: std::collections::BTreeSet<u64> =
            page.iter().filter_map(|c| c.author_id).collect();
        body["users"] = Value::Array(render::users(
            authors.iter().filter_map(|id| state.users.get(id)),
        ));
    }
    axum::Json(body).into_response()
}
