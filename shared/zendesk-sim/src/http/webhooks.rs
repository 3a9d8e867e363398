//! Webhook management: create (event subscriptions), list, show, delete, signing secret.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{App, Caller, error, parse_body};
use crate::state::WebhookReg;

#[derive(Deserialize)]
struct WebhookInput {
    name: Option<String>,
    endpoint: Option<String>,
    http_method: Option<String>,
    request_format: Option<String>,
    status: Option<String>,
    #[serde(default)]
    subscriptions: Vec<String>,
}

#[derive(Deserialize)]
struct WebhookBody {
    webhook: WebhookInput,
}

fn errors(status: StatusCode, code: &str, detail: &str) -> Response {
    error(
        status,
        json!({"errors": [{"code": code, "title": code, "detail": detail}]}),
    )
}

fn webhook_not_found() -> Response {
    errors(
        StatusCode::NOT_FOUND,
        "WebhookNotFound",
        "Webhook not found",
    )
}

fn render(w: &WebhookReg, caller: Option<u64>) -> Value {
    json!({
        "id": w.id, "name": w.name, "status": w.status, "subscriptions": w.subscriptions,
        "endpoint": w.endpoint, "http_method": "POST", "request_format": "json",
        "created_at": w.created_at, "created_by": caller.map(|c| c.to_string()),
        "updated_at": w.created_at,
    })
}

/// 32 random bytes, base64 — the shape of Zendesk's secrets (fixtures/webhook_signing_secret.json).
fn new_secret() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn endpoint_allowed(endpoint: &str, allow_remote: bool) -> Result<(), &'static str> {
    let url = url::Url::parse(endpoint).map_err(|_| "endpoint is not a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("endpoint must be an http(s) URL");
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback || allow_remote {
        Ok(())
    } else {
        Err("the simulator delivers webhooks to loopback endpoints only")
    }
}

pub(crate) async fn create(
    State(app): State<App>,
    Caller(caller): Caller,
    body: Bytes,
) -> Response {
    let WebhookBody { webhook: input } = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(endpoint) = input.endpoint.filter(|e| !e.trim().is_empty()) else {
        return errors(
            StatusCode::BAD_REQUEST,
            "InvalidValue",
            "endpoint is required",
        );
    };
    if let Err(why) = endpoint_allowed(&endpoint, app.config.allow_remote_webhooks) {
        return errors(StatusCode::BAD_REQUEST, "InvalidValue", why);
    }
    if input
        .http_method
        .is_some_and(|m| !m.eq_ignore_ascii_case("POST"))
        || input.request_format.is_some_and(|f| f != "json")
    {
        return errors(
            StatusCode::BAD_REQUEST,
            "InvalidValue",
            "the simulator supports POST json webhooks",
        );
    }
    if input.subscriptions.is_empty() {
        return errors(
            StatusCode::BAD_REQUEST,
            "InvalidValue",
            "subscriptions must not be empty",
        );
    }
    let mut state = app.lock();
    let n = state.next_webhook;
    state.next_webhook += 1;
    let hook = WebhookReg {
        id: format!("01HZSIM{n:019}"),
        name: input.name.unwrap_or_else(|| format!("Webhook {n}")),
        endpoint,
        status: input.status.unwrap_or_else(|| "active".to_owned()),
        subscriptions: input.subscriptions,
        secret: new_secret(),
        created_at: chrono::Utc::now(),
    };
    let body = json!({"webhook": render(&hook, Some(caller))});
    state.webhooks.insert(hook.id.clone(), hook);
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

pub(crate) async fn list(State(app): State<App>, _: Caller) -> Response {
    let state = app.lock();
    let hooks: Vec<Value> = state.webhooks.values().map(|w| render(w, None)).collect();
    axum::Json(json!({"webhooks": hooks, "meta": {"has_more": false}, "links": {}})).into_response()
}

pub(crate) async fn show(State(app): State<App>, _: Caller, Path(id): Path<String>) -> Response {
    let state = app.lock();
    match state.webhooks.get(&id) {
        Some(w) => axum::Json(json!({"webhook": render(w, None)})).into_response(),
        None => webhook_not_found(),
    }
}

pub(crate) async fn delete(State(app): State<App>, _: Caller, Path(id): Path<String>) -> Response {
    match app.lock().webhooks.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => webhook_not_found(),
    }
}

pub(crate) async fn signing_secret(
    State(app): State<App>,
    _: Caller,
    Path(id): Path<String>,
) -> Response {
    let state = app.lock();
    match state.webhooks.get(&id) {
        Some(w) => {
            axum::Json(json!({"signing_secret": {"secret": w.secret, "algorithm": "SHA256"}}))
                .into_response()
        }
        None => webhook_not_found(),
    }
}

pub(crate) async fn reset_signing_secret(
    State(app): State<App>,
    _: Caller,
    Path(id): Path<String>,
) -> Response {
    let mut state = app.lock();
    match state.webhooks.get_mut(&id) {
        Some(w) => {
            w.secret = new_secret();
            let body = json!({"signing_secret": {"secret": w.secret, "algorithm": "SHA256"}});
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        None => webhook_not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_endpoints_unless_allowed() {
        assert!(endpoint_allowed("http://127.0.0.1:3000/webhooks/zendesk/1", false).is_ok());
        assert!(endpoint_allowed("http://localhost:3000/x", false).is_ok());
        assert!(endpoint_allowed("http://[::1]:3000/x", false).is_ok());
        assert!(endpoint_allowed("https://example.com/x", false).is_err());
        assert!(endpoint_allowed("https://example.com/x", true).is_ok());
        assert!(endpoint_allowed("ftp://127.0.0.1/x", true).is_err());
        assert!(endpoint_allowed("not a url", true).is_err());
    }
}
