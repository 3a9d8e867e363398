//! Incremental exports: the cursor-based ticket export and the time-based ticket-events
//! export (with comment events).

use std::collections::BTreeMap;
use std::ops::Bound;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use zsync_mapping::zendesk::Ticket;

use super::{App, Caller, bad_request, includes, render};

const MAX_TICKETS_PER_PAGE: usize = 1000;
const EVENTS_PER_PAGE: usize = 1000;

/// Zendesk's cursors look like base64("1695052663.0||28|"); ours also carry the export
/// sequence so a ticket changed within the same second still sorts after the cursor.
fn encode_cursor(ts: i64, seq: u64, ticket_id: u64) -> String {
    STANDARD.encode(format!("{ts}.0||{ticket_id}|{seq}"))
}

fn decode_cursor(cursor: &str) -> Option<(i64, u64)> {
    let raw = String::from_utf8(STANDARD.decode(cursor.trim()).ok()?).ok()?;
    let (ts, rest) = raw.split_once("||")?;
    let ts = ts.strip_suffix(".0").unwrap_or(ts).parse().ok()?;
    let (_, seq) = rest.split_once('|')?;
    Some((ts, seq.parse().ok()?))
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub(crate) async fn tickets_cursor(
    State(app): State<App>,
    _: Caller,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let per_page = match q.get("per_page").map(|p| p.parse::<usize>()) {
        None => MAX_TICKETS_PER_PAGE,
        Some(Ok(n)) if n >= 1 => n.min(MAX_TICKETS_PER_PAGE),
        Some(_) => return bad_request("per_page must be a positive number"),
    };
    let given_cursor = q.get("cursor").filter(|c| !c.is_empty());
    let from = match (given_cursor, q.get("start_time")) {
        (Some(cursor), _) => match decode_cursor(cursor) {
            Some(key) => Bound::Excluded(key),
            None => return bad_request("cursor is invalid"),
        },
        (None, Some(start)) => match start.parse::<i64>() {
            Ok(start) if start >= 0 => Bound::Included((start, 0)),
            _ => return bad_request("start_time must be a unix timestamp"),
        },
        (None, None) => return bad_request("start_time or cursor is required"),
    };
    let state = app.lock();
    let mut keys = state.export_index.range((from, Bound::Unbounded));
    let page: Vec<((i64, u64), u64)> = keys
        .by_ref()
        .take(per_page)
        .map(|(k, id)| (*k, *id))
        .collect();
    let end_of_stream = keys.next().is_none();
    let tickets: Vec<&Ticket> = page
        .iter()
        .filter_map(|(_, id)| state.tickets.get(id).map(|s| &s.ticket))
        .collect();
    let after_cursor = match (page.last(), from) {
        (Some(((ts, seq), id)), _) => encode_cursor(*ts, *seq, *id),
        // Nothing new: hand the same cursor back, to poll again later.
        (None, _) if given_cursor.is_some() => given_cursor.cloned().unwrap_or_default(),
        (None, Bound::Excluded((ts, seq)) | Bound::Included((ts, seq))) => {
            encode_cursor(ts, seq, 0)
        }
        (None, Bound::Unbounded) => encode_cursor(0, 0, 0),
    };
    let mut after_url = format!(
        "{}/api/v2/incremental/tickets/cursor.json?cursor={}&per_page={per_page}",
        state.base_url,
        encode(&after_cursor)
    );
    if let Some(include) = q.get("include") {
        after_url.push_str(&format!("&include={}", encode(include)));
    }
    let mut body = json!({
        "tickets": render::tickets(&state, tickets.iter().copied()),
        "after_url": after_url,
        "before_url": null,
        "after_cursor": after_cursor,
        "before_cursor": null,
        "end_of_stream": end_of_stream,
    });
    if includes(&q, "users") {
        body["users"] = Value::Array(render::users(&state.users_of(tickets.iter().copied())));
    }
    axum::Json(body).into_response()
}

/// The older time-based ticket export (`incremental/tickets.json`): tickets changed at or
/// after `start_time`, whole seconds per page, `end_time`/`next_page` to continue.
pub(crate) async fn tickets_time_based(
    State(app): State<App>,
    _: Caller,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(start) = q
        .get("start_time")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|s| *s >= 0)
    else {
        return bad_request("start_time must be a unix timestamp");
    };
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(MAX_TICKETS_PER_PAGE)
        .clamp(1, MAX_TICKETS_PER_PAGE);
    let state = app.lock();
    let mut keys = state.export_index.range((start, 0)..).peekable();
    let mut page: Vec<(i64, u64)> = Vec::new();
    while let Some(((ts, _), id)) = keys.next_if(|_| page.len() < per_page) {
        page.push((*ts, *id));
    }
    if let Some(last_ts) = page.last().map(|(ts, _)| *ts) {
        while let Some(((ts, _), id)) = keys.next_if(|((ts, _), _)| *ts == last_ts) {
            page.push((*ts, *id));
        }
    }
    let end_of_stream = keys.peek().is_none();
    let end_time = match page.last() {
        Some((ts, _)) if end_of_stream => *ts,
        Some((ts, _)) => ts + 1,
        None => start,
    };
    let tickets: Vec<&Ticket> = page
        .iter()
        .filter_map(|(_, id)| state.tickets.get(id).map(|s| &s.ticket))
        .collect();
    let mut next_page = format!(
        "{}/api/v2/incremental/tickets.json?per_page={per_page}&start_time={end_time}",
        state.base_url
    );
    if let Some(include) = q.get("include") {
        next_page.push_str(&format!("&include={}", encode(include)));
    }
    let mut body = json!({
        "tickets": render::tickets(&state, tickets.iter().copied()),
        "next_page": next_page,
        "count": tickets.len(),
        "end_of_stream": end_of_stream,
        "end_time": end_time,
    });
    if includes(&q, "users") {
        body["users"] = Value::Array(render::users(&state.users_of(tickets.iter().copied())));
    }
    axum::Json(body).into_response()
}

pub(crate) async fn ticket_events(
    State(app): State<App>,
    _: Caller,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(start) = q
        .get("start_time")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|s| *s >= 0)
    else {
        return bad_request("start_time must be a unix timestamp");
    };
    let with_comments = includes(&q, "comment_events");
    let state = app.lock();
    let mut audits = state.audits.range((start, 0)..).map(|(_, a)| a).peekable();
    let mut page = Vec::new();
    while let Some(audit) = audits.next_if(|_| page.len() < EVENTS_PER_PAGE) {
        page.push(audit);
    }
    // Like Zendesk, never split one second across pages: the next page starts at end_time.
    if let Some(last_ts) = page.last().map(|a| a.timestamp) {
        while let Some(audit) = audits.next_if(|a| a.timestamp == last_ts) {
            page.push(audit);
        }
    }
    let end_of_stream = audits.peek().is_none();
    let end_time = match page.last() {
        // At the end, a later change may still land in the last second: poll from it again.
        Some(last) if end_of_stream => last.timestamp,
        Some(last) => last.timestamp + 1,
        None => start,
    };
    let mut next_page = format!(
        "{}/api/v2/incremental/ticket_events.json?start_time={end_time}",
        state.base_url
    );
    if let Some(include) = q.get("include") {
        next_page.push_str(&format!("&include={}", encode(include)));
    }
    let events: Vec<Value> = page
        .iter()
        .map(|a| render::ticket_event(&state, a, with_comments))
        .collect();
    let body = json!({
        "ticket_events": events,
        "next_page": next_page,
        "count": page.len(),
        "end_of_stream": end_of_stream,
        "end_time": end_time,
    });
    axum::Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_roundtrip_and_zendesk_like_shape() {
        let c = encode_cursor(1_695_052_663, 42, 28);
        assert_eq!(decode_cursor(&c), Some((1_695_052_663, 42)));
        let raw = String::from_utf8(STANDARD.decode(&c).unwrap()).unwrap();
        assert!(raw.starts_with("1695052663.0||28|"));
        assert_eq!(decode_cursor("not base64!"), None);
        assert_eq!(decode_cursor(&STANDARD.encode("garbage")), None);
    }
}
