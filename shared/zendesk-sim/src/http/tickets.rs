//! Tickets: show, show_many, list/search by external_id, create, update.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use zsync_mapping::zendesk::{Ticket, TicketPriority, TicketStatus, TicketType, UserRole};

use super::{
    App, Caller, error, id_list, includes, not_found, parse_body, path_id, raw_json,
    record_invalid, render,
};
use crate::model::NewTicket;
use crate::state::{FieldUpdate, NewComment, State as Account, UpdateError};

type Params = Query<BTreeMap<String, String>>;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct CommentInput {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_body: Option<String>,
    #[serde(default)]
    public: Option<bool>,
    #[serde(default)]
    author_id: Option<u64>,
}

#[derive(Deserialize)]
struct RequesterInput {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize, Default)]
struct TicketInput {
    subject: Option<String>,
    comment: Option<CommentInput>,
    description: Option<String>,
    requester_id: Option<u64>,
    requester: Option<RequesterInput>,
    submitter_id: Option<u64>,
    #[serde(default, deserialize_with = "nullable")]
    assignee_id: Option<Option<u64>>,
    assignee_email: Option<String>,
    status: Option<TicketStatus>,
    #[serde(default, deserialize_with = "nullable")]
    priority: Option<Option<TicketPriority>>,
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    ticket_type: Option<Option<TicketType>>,
    #[serde(default, deserialize_with = "nullable")]
    external_id: Option<Option<String>>,
    tags: Option<Vec<String>>,
    collaborator_ids: Option<Vec<u64>>,
    recipient: Option<String>,
    problem_id: Option<u64>,
    safe_update: Option<bool>,
    updated_stamp: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct TicketBody {
    ticket: TicketInput,
}

fn sideload(
    state: &Account,
    tickets: &[&Ticket],
    query: &BTreeMap<String, String>,
    body: &mut Value,
) {
    if includes(query, "users") {
        body["users"] = Value::Array(render::users(&state.users_of(tickets.iter().copied())));
    }
}

pub(crate) async fn show(
    State(app): State<App>,
    _: Caller,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    let state = app.lock();
    let Some(ticket) = path_id(&id).and_then(|id| state.live_ticket(id)) else {
        return not_found();
    };
    let mut body = json!({"ticket": render::ticket(&state, ticket)});
    sideload(&state, &[ticket], &q, &mut body);
    axum::Json(body).into_response()
}

pub(crate) async fn show_many(State(app): State<App>, _: Caller, Query(q): Params) -> Response {
    let ids = match id_list(q.get("ids")) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let state = app.lock();
    let found: Vec<&Ticket> = ids.iter().filter_map(|id| state.live_ticket(*id)).collect();
    let mut body = json!({
        "tickets": render::tickets(&state, found.iter().copied()),
        "next_page": null, "previous_page": null, "count": found.len(),
    });
    sideload(&state, &found, &q, &mut body);
    axum::Json(body).into_response()
}

/// `GET /tickets.json[?external_id=]`: offset pages of 100 (Zendesk's list shape).
pub(crate) async fn list(State(app): State<App>, _: Caller, Query(q): Params) -> Response {
    let state = app.lock();
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let wanted = q.get("external_id");
    let all: Vec<&Ticket> = state
        .tickets
        .values()
        .map(|s| &s.ticket)
        .filter(|t| !t.is_deleted())
        .filter(|t| wanted.is_none_or(|w| t.external_id.as_ref() == Some(w)))
        .collect();
    let start = (page - 1).saturating_mul(per_page);
    let slice: Vec<&Ticket> = all.iter().skip(start).take(per_page).copied().collect();
    let more = all.len() > start.saturating_add(per_page);
    let mut next = format!(
        "{}/api/v2/tickets.json?page={}&per_page={per_page}",
        state.base_url,
        page + 1
    );
    if let Some(w) = wanted {
        let encoded: String = url::form_urlencoded::byte_serialize(w.as_bytes()).collect();
        next.push_str(&format!("&external_id={encoded}"));
    }
    let mut body = json!({
        "tickets": render::tickets(&state, slice.iter().copied()),
        "next_page": if more { Value::String(next) } else { Value::Null },
        "previous_page": null,
        "count": all.len(),
    });
    sideload(&state, &slice, &q, &mut body);
    axum::Json(body).into_response()
}

fn valid_status(status: &TicketStatus) -> bool {
    !matches!(status, TicketStatus::Other(_) | TicketStatus::Deleted)
}

fn check_enums(input: &TicketInput) -> Result<(), Response> {
    if input.status.as_ref().is_some_and(|s| !valid_status(s)) {
        return Err(record_invalid("status", "Status: is invalid"));
    }
    if let Some(Some(TicketPriority::Other(_))) = &input.priority {
        return Err(record_invalid("priority", "Priority: is invalid"));
    }
    if let Some(Some(TicketType::Other(_))) = &input.ticket_type {
        return Err(record_invalid("type", "Type: is invalid"));
    }
    Ok(())
}

/// Resolves `assignee_id`/`assignee_email` to an agent or admin.
fn assignee(state: &Account, input: &TicketInput) -> Result<Option<Option<u64>>, Response> {
    let by_email = match &input.assignee_email {
        Some(email) => match state.user_by_email(email) {
            Some(u) => Some(Some(u.id)),
            None => return Err(record_invalid("assignee", "Assignee: is not an agent")),
        },
        None => None,
    };
    let wanted = by_email.or(input.assignee_id);
    if let Some(Some(id)) = wanted
        && !state.users.get(&id).is_some_and(|u| u.is_staff())
    {
        return Err(record_invalid("assignee", "Assignee: is not an agent"));
    }
    Ok(wanted)
}

fn comment_of(input: &mut TicketInput, author: Option<u64>) -> Option<NewComment> {
    let c = input.comment.take()?;
    let body = c.body.or(c.html_body).filter(|b| !b.trim().is_empty())?;
    Some(NewComment {
        body,
        public: c.public.unwrap_or(true),
        author_id: c.author_id.or(author),
    })
}

fn latest_audit(state: &Account, ticket_id: u64) -> Value {
    state
        .audits
        .values()
        .rev()
        .find(|a| a.ticket_id == ticket_id)
        .map_or(Value::Null, |a| render::audit(state, a))
}

pub(crate) async fn create(
    State(app): State<App>,
    Caller(caller): Caller,
    body: Bytes,
) -> Response {
    let TicketBody { ticket: mut input } = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_enums(&input) {
        return r;
    }
    let mut state = app.lock();
    let assignee = match assignee(&state, &input) {
        Ok(a) => a.flatten(),
        Err(r) => return r,
    };
    let requester = match (&input.requester_id, &input.requester) {
        (Some(id), _) if state.users.contains_key(id) => *id,
        (Some(_), _) => return record_invalid("requester", "Requester: is invalid"),
        (None, Some(r)) => match r
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| e.contains('@'))
        {
            Some(email) => match state.user_by_email(email) {
                Some(u) => u.id,
                None => {
                    let name = r
                        .name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| email.to_owned());
                    state.add_user(&name, Some(email), UserRole::EndUser, None)
                }
            },
            None => return record_invalid("requester", "Requester: Email is invalid"),
        },
        (None, None) => caller,
    };
    let description = comment_of(&mut input, Some(caller))
        .map(|c| c.body)
        .or(input.description.clone().filter(|d| !d.trim().is_empty()));
    let Some(description) = description else {
        return record_invalid("description", "Description: cannot be blank");
    };
    let new = NewTicket {
        subject: input.subject.unwrap_or_default(),
        description,
        requester_id: requester,
        submitter_id: Some(input.submitter_id.unwrap_or(caller)),
        assignee_id: assignee,
        status: input.status,
        priority: input.priority.flatten(),
        ticket_type: input.ticket_type.flatten(),
        external_id: input.external_id.flatten(),
        recipient: input.recipient,
        collaborator_ids: input.collaborator_ids.unwrap_or_default(),
        problem_id: input.problem_id,
        tags: input.tags.unwrap_or_default(),
    };
    let ticket = state.create_ticket(new, "api", None);
    let location = ticket.url.clone().unwrap_or_default();
    let body = json!({"ticket": render::ticket(&state, &ticket), "audit": latest_audit(&state, ticket.id)});
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response()
}

pub(crate) async fn update(
    State(app): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = path_id(&id) else {
        return not_found();
    };
    let TicketBody { ticket: mut input } = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut state = app.lock();
    let Some(current) = state.live_ticket(id) else {
        return not_found();
    };
    if current.status == Some(TicketStatus::Closed) {
        return closed_ticket();
    }
    if input.safe_update == Some(true)
        && let Some(stamp) = input.updated_stamp
        && Some(stamp) != current.updated_at
    {
        return error(
            StatusCode::CONFLICT,
            json!({"error": "UpdateConflict",
                   "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."}),
        );
    }
    if let Err(r) = check_enums(&input) {
        return r;
    }
    let assignee = match assignee(&state, &input) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if input
        .requester_id
        .is_some_and(|r| !state.users.contains_key(&r))
    {
        return record_invalid("requester", "Requester: is invalid");
    }
    let update = FieldUpdate {
        comment: comment_of(&mut input, Some(caller)),
        subject: input.subject,
        status: input.status,
        priority: input.priority,
        ticket_type: input.ticket_type,
        assignee_id: assignee,
        requester_id: input.requester_id,
        external_id: input.external_id,
        collaborator_ids: input.collaborator_ids,
        tags: input.tags,
    };
    match state.update_ticket(id, update, Some(caller), "api") {
        Ok(ticket) => {
            let body = json!({"ticket": render::ticket(&state, &ticket), "audit": latest_audit(&state, id)});
            axum::Json(body).into_response()
        }
        Err(UpdateError::NotFound) => not_found(),
        Err(UpdateError::Closed) => closed_ticket(),
    }
}

/// Byte-for-byte the recorded body of fixtures/zendesk/error_422_closed_ticket.json.
fn closed_ticket() -> Response {
    let body = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status closed prevents ticket update"}]}}"#;
    raw_json(StatusCode::UNPROCESSABLE_ENTITY, body)
}
