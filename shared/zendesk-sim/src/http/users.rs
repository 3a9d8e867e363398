//! Users: me, show, show_many, search, create_or_update.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use zsync_mapping::zendesk::{User, UserRole};

use super::{
    App, Caller, MaybeCaller, error, id_list, not_found, parse_body, path_id, record_invalid,
    render,
};
use crate::config::MeOnBadAuth;
use crate::state::ts_to_time;

type Params = Query<BTreeMap<String, String>>;

pub(crate) async fn me(State(app): State<App>, MaybeCaller(caller): MaybeCaller) -> Response {
    let state = app.lock();
    match caller.and_then(|id| state.users.get(&id)) {
        Some(user) => axum::Json(json!({"user": render::user(user)})).into_response(),
        None if app.config.me_on_bad_auth == MeOnBadAuth::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            json!({"error": "Couldn't authenticate you"}),
        ),
        None => axum::Json(json!({"user": render::anonymous_user()})).into_response(),
    }
}

pub(crate) async fn show(State(app): State<App>, _: Caller, Path(id): Path<String>) -> Response {
    let state = app.lock();
    match path_id(&id).and_then(|id| state.users.get(&id)) {
        Some(user) => axum::Json(json!({"user": render::user(user)})).into_response(),
        None => not_found(),
    }
}

fn list_body(users: &[&User]) -> Response {
    axum::Json(json!({
        "users": render::users(users.iter().copied()),
        "next_page": null, "previous_page": null, "count": users.len(),
    }))
    .into_response()
}

pub(crate) async fn show_many(State(app): State<App>, _: Caller, Query(q): Params) -> Response {
    let ids = match id_list(q.get("ids")) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let state = app.lock();
    let found: Vec<&User> = ids.iter().filter_map(|id| state.users.get(id)).collect();
    list_body(&found)
}

/// `query=email:x@y` (exact, case-insensitive), or free text matched against name and e-mail;
/// `external_id=` matches exactly.
pub(crate) async fn search(State(app): State<App>, _: Caller, Query(q): Params) -> Response {
    let state = app.lock();
    let found: Vec<&User> = if let Some(external) = q.get("external_id") {
        state
            .users
            .values()
            .filter(|u| u.external_id.as_ref() == Some(external))
            .collect()
    } else {
        let query = q
            .get("query")
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if query.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                json!({"error": "InvalidValue", "description": "query or external_id is required"}),
            );
        }
        match query.strip_prefix("email:") {
            Some(email) => {
                let email = email.trim_matches('"');
                state.user_by_email(email).into_iter().collect()
            }
            None => state
                .users
                .values()
                .filter(|u| {
                    u.name.to_ascii_lowercase().contains(&query)
                        || u.email
                            .as_deref()
                            .is_some_and(|e| e.to_ascii_lowercase().contains(&query))
                })
                .take(100)
                .collect(),
        }
    };
    list_body(&found)
}

#[derive(Deserialize)]
struct UserInput {
    name: Option<String>,
    email: Option<String>,
    role: Option<UserRole>,
    external_id: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct UserBody {
    user: UserInput,
}

/// Matches by e-mail, then external_id: 200 with the updated user, or 201 with a new one.
pub(crate) async fn create_or_update(State(app): State<App>, _: Caller, body: Bytes) -> Response {
    let UserBody { user: input } = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if input
        .role
        .as_ref()
        .is_some_and(|r| matches!(r, UserRole::Other(_)))
    {
        return record_invalid("role", "Role: is invalid");
    }
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if email.is_some_and(|e| !e.contains('@')) {
        return record_invalid("email", "Email: is invalid");
    }
    let mut state = app.lock();
    let existing = email
        .and_then(|e| state.user_by_email(e).map(|u| u.id))
        .or_else(|| {
            let external = input.external_id.as_ref()?;
            state
                .users
                .values()
                .find(|u| u.external_id.as_ref() == Some(external))
                .map(|u| u.id)
        });
    let (id, status) = match existing {
        Some(id) => (id, StatusCode::OK),
        None => {
            let Some(name) = input
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .or(email.map(str::to_owned))
            else {
                return record_invalid("name", "Name: cannot be blank");
            };
            let role = input.role.clone().unwrap_or(UserRole::EndUser);
            (
                state.add_user(&name, email, role, None),
                StatusCode::CREATED,
            )
        }
    };
    let now = state.tick(0);
    let Some(user) = state.users.get_mut(&id) else {
        return not_found();
    };
    if status == StatusCode::OK {
        if let Some(name) = input.name.filter(|n| !n.trim().is_empty()) {
            user.name = name;
        }
        if let Some(role) = input.role {
            user.role = Some(role);
        }
        user.updated_at = Some(ts_to_time(now));
    }
    if let Some(external) = input.external_id {
        user.external_id = Some(external);
    }
    if let Some(phone) = input.phone {
        user.phone = Some(phone);
    }
    (status, axum::Json(json!({"user": render::user(user)}))).into_response()
}
