//! The HTTP face of the simulator: routes under `/api/v2`, a guard that counts requests,
//! enforces rate limits and injects faults, Basic-token auth, and Zendesk's error bodies.

// Helpers return a ready error `Response` as `Err` so handlers can return early with it;
// boxing them would only add noise on this cold path.
#![allow(clippy::result_large_err)]

mod comment_changes;
mod comments;
mod export;
pub(crate) mod render;
mod tickets;
mod users;
mod webhooks;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use serde_json::{Value, json};

use crate::Shared;
use crate::limits::{Fault, RateVerdict};

pub(crate) type App = Arc<Shared>;

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route(
            "/api/v2/incremental/tickets/cursor.json",
            get(export::tickets_cursor),
        )
        .route(
            "/api/v2/incremental/tickets.json",
            get(export::tickets_time_based),
        )
        .route(
            "/api/v2/incremental/ticket_events.json",
            get(export::ticket_events),
        )
        .route("/api/v2/tickets/show_many.json", get(tickets::show_many))
        .route("/api/v2/tickets/show_many", get(tickets::show_many))
        .route(
            "/api/v2/tickets.json",
            get(tickets::list).post(tickets::create),
        )
        .route("/api/v2/tickets", get(tickets::list).post(tickets::create))
        .route(
            "/api/v2/tickets/{id}",
            get(tickets::show).put(tickets::update),
        )
        .route("/api/v2/tickets/{id}/comments.json", get(comments::list))
        .route("/api/v2/tickets/{id}/comments", get(comments::list))
        .route(
            "/api/v2/tickets/{id}/comments/{comment}/redact",
            put(comment_changes::redact),
        )
        .route(
            "/api/v2/tickets/{id}/comments/{comment}/redact.json",
            put(comment_changes::redact),
        )
        .route(
            "/api/v2/tickets/{id}/comments/{comment}/make_private",
            put(comment_changes::make_private),
        )
        .route(
            "/api/v2/tickets/{id}/comments/{comment}/make_private.json",
            put(comment_changes::make_private),
        )
        .route("/api/v2/users/me.json", get(users::me))
        .route("/api/v2/users/me", get(users::me))
        .route("/api/v2/users/show_many.json", get(users::show_many))
        .route("/api/v2/users/show_many", get(users::show_many))
        .route("/api/v2/users/search.json", get(users::search))
        .route("/api/v2/users/search", get(users::search))
        .route(
            "/api/v2/users/create_or_update.json",
            axum::routing::post(users::create_or_update),
        )
        .route(
            "/api/v2/users/create_or_update",
            axum::routing::post(users::create_or_update),
        )
        .route("/api/v2/users/{id}", get(users::show))
        .route(
            "/api/v2/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v2/webhooks/{id}",
            get(webhooks::show).delete(webhooks::delete),
        )
        .route(
            "/api/v2/webhooks/{id}/signing_secret",
            get(webhooks::signing_secret).post(webhooks::reset_signing_secret),
        )
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

async fn not_found_route() -> Response {
    error(
        StatusCode::NOT_FOUND,
        json!({"error": "InvalidEndpoint", "description": "Not found"}),
    )
}

/// The name `request_counts` files a request under.
pub(crate) fn endpoint_name(method: &Method, path: &str) -> &'static str {
    let rest = path.strip_prefix("/api/v2/").unwrap_or(path);
    let parts: Vec<&str> = rest
        .split('/')
        .map(|p| p.strip_suffix(".json").unwrap_or(p))
        .collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["incremental", "tickets", "cursor"]) => "incremental_tickets",
        ("GET", ["incremental", "tickets"]) => "incremental_tickets_time",
        ("GET", ["incremental", "ticket_events"]) => "ticket_events",
        ("GET", ["tickets", "show_many"]) => "tickets_show_many",
        ("GET", ["tickets"]) => "tickets_list",
        ("POST", ["tickets"]) => "tickets_create",
        ("GET", ["tickets", _, "comments"]) => "comments",
        ("PUT", ["tickets", _, "comments", _, "redact"]) => "comment_redact",
        ("PUT", ["tickets", _, "comments", _, "make_private"]) => "comment_make_private",
        ("GET", ["tickets", _]) => "tickets_show",
        ("PUT", ["tickets", _]) => "tickets_update",
        ("GET", ["users", "me"]) => "users_me",
        ("GET", ["users", "show_many"]) => "users_show_many",
        ("GET", ["users", "search"]) => "users_search",
        ("POST", ["users", "create_or_update"]) => "users_create_or_update",
        ("GET", ["users", _]) => "users_show",
        (_, ["webhooks", ..]) => "webhooks",
        _ => "unknown",
    }
}

fn is_export(endpoint: &str) -> bool {
    matches!(
        endpoint,
        "incremental_tickets" | "incremental_tickets_time" | "ticket_events"
    )
}

/// Counts, rate-limits and fault-injects every request, and stamps rate-limit headers.
async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let endpoint = endpoint_name(req.method(), req.uri().path());
    let (verdict, fault) = {
        let mut state = app.lock();
        state.count_request(endpoint);
        let verdict = state.rate.check(is_export(endpoint), Instant::now());
        let fault = if verdict.allowed {
            state.faults.as_mut().and_then(|f| f.draw(endpoint))
        } else {
            None
        };
        (verdict, fault)
    };
    let mut response = if !verdict.allowed {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "APIRateLimitExceeded",
                   "description": "Number of allowed API requests per minute exceeded"}),
        );
        insert_header(
            r.headers_mut(),
            "retry-after",
            &verdict.reset_secs.to_string(),
        );
        r
    } else {
        match fault {
            Some(Fault::ServiceUnavailable) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "ServiceUnavailable",
                       "description": "Simulated outage, please retry"}),
            ),
            Some(Fault::Timeout {
                delay,
                after_processing: false,
            }) => {
                tokio::time::sleep(delay).await;
                next.run(req).await
            }
            Some(Fault::Timeout {
                delay,
                after_processing: true,
            }) => {
                let response = next.run(req).await;
                tokio::time::sleep(delay).await;
                response
            }
            None => next.run(req).await,
        }
    };
    if verdict.enforced {
        rate_headers(response.headers_mut(), &verdict);
    } else {
        insert_header(response.headers_mut(), "x-zendesk-api-version", "v2");
    }
    response
}

fn insert_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn rate_headers(headers: &mut HeaderMap, v: &RateVerdict) {
    let (limit, remaining, reset) = (
        v.limit.to_string(),
        v.remaining.to_string(),
        v.reset_secs.to_string(),
    );
    insert_header(headers, "ratelimit-limit", &limit);
    insert_header(headers, "ratelimit-remaining", &remaining);
    insert_header(headers, "ratelimit-reset", &reset);
    insert_header(headers, "x-rate-limit", &limit);
    insert_header(headers, "x-rate-limit-remaining", &remaining);
    insert_header(headers, "x-zendesk-api-version", "v2");
    if let Some((total, left)) = v.export {
        let value = format!("total={total}; remaining={left}; resets={reset}");
        insert_header(headers, "zendesk-ratelimit-incremental-exports", &value);
    }
}

pub(crate) fn error(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Byte-for-byte Zendesk's recorded 404 (fixtures/zendesk/error_404_record_not_found.json).
pub(crate) fn not_found() -> Response {
    let body = r#"{"error":"RecordNotFound","description":"Not found"}"#;
    raw_json(StatusCode::NOT_FOUND, body)
}

pub(crate) fn raw_json(status: StatusCode, body: &'static str) -> Response {
    let content_type = [(
        axum::http::header::CONTENT_TYPE,
        "application/json; charset=utf-8",
    )];
    (status, content_type, body).into_response()
}

pub(crate) fn bad_request(description: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({"error": "InvalidValue", "description": description}),
    )
}

/// `422 RecordInvalid` with one detail, like Zendesk's validation errors.
pub(crate) fn record_invalid(field: &str, description: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"error": "RecordInvalid", "description": "Record validation errors",
               "details": {field: [{"description": description}]}}),
    )
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            json!({"error": "InvalidJSON", "description": format!("Unprocessable JSON: {e}")}),
        )
    })
}

/// `123` or `123.json` from a path segment.
pub(crate) fn path_id(raw: &str) -> Option<u64> {
    raw.strip_suffix(".json").unwrap_or(raw).parse().ok()
}

/// `ids=1,2,3` (at most 100, like Zendesk's show_many endpoints).
pub(crate) fn id_list(raw: Option<&String>) -> Result<Vec<u64>, Response> {
    let raw = raw.map(String::as_str).unwrap_or("");
    let ids: Result<Vec<u64>, _> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let ids = ids.map_err(|_| bad_request("ids must be a comma-separated list of ids"))?;
    if ids.len() > 100 {
        return Err(bad_request("at most 100 ids per request"));
    }
    Ok(ids)
}

pub(crate) fn includes(query: &std::collections::BTreeMap<String, String>, what: &str) -> bool {
    query
        .get("include")
        .is_some_and(|v| v.split(',').any(|i| i.trim() == what))
}

/// The authenticated API user (Basic `email/token:TOKEN`).
pub(crate) struct Caller(pub u64);

/// Like [`Caller`] but absent instead of refused (for `users/me`).
pub(crate) struct MaybeCaller(pub Option<u64>);

fn caller_id(parts: &Parts, app: &App) -> Option<u64> {
    let header = parts.headers.get("authorization")?.to_str().ok()?;
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, token) = decoded.split_once(':')?;
    let email = user.strip_suffix("/token")?;
    app.lock().authenticate(email, token)
}

impl FromRequestParts<App> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        caller_id(parts, app).map(Caller).ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                json!({"error": "Couldn't authenticate you"}),
            )
        })
    }
}

impl FromRequestParts<App> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(caller_id(parts, app)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_cover_the_api() {
        let get = Method::GET;
        assert_eq!(
            endpoint_name(&get, "/api/v2/incremental/tickets/cursor.json"),
            "incremental_tickets"
        );
        assert_eq!(
            endpoint_name(&get, "/api/v2/incremental/ticket_events.json"),
            "ticket_events"
        );
        assert_eq!(
            endpoint_name(&get, "/api/v2/tickets/12.json"),
            "tickets_show"
        );
        assert_eq!(
            endpoint_name(&Method::PUT, "/api/v2/tickets/12.json"),
            "tickets_update"
        );
        assert_eq!(
            endpoint_name(&get, "/api/v2/tickets/12/comments.json"),
            "comments"
        );
        assert_eq!(
            endpoint_name(&Method::POST, "/api/v2/tickets.json"),
            "tickets_create"
        );
        assert_eq!(
            endpoint_name(&Method::PUT, "/api/v2/tickets/12/comments/7/redact.json"),
            "comment_redact"
        );
        assert_eq!(
            endpoint_name(&Method::PUT, "/api/v2/tickets/12/comments/7/make_private"),
            "comment_make_private"
        );
        assert_eq!(endpoint_name(&get, "/api/v2/users/me.json"), "users_me");
        assert_eq!(
            endpoint_name(&Method::DELETE, "/api/v2/webhooks/01H"),
            "webhooks"
        );
        assert_eq!(endpoint_name(&get, "/nope"), "unknown");
    }

    #[test]
    fn id_lists_are_bounded() {
        assert_eq!(
            id_list(Some(&"1, 2,3".to_owned())).ok(),
            Some(vec![1, 2, 3])
        );
        let many = (1..=101)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(id_list(Some(&many)).is_err());
        assert!(id_list(Some(&"1,x".to_owned())).is_err());
    }
}
