//! `/users` (CRM users; admins create them) and `/contacts`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use zsync_core::admin;
use zsync_mapping::ContactId;

use crate::AppState;
use crate::auth::AuthedCaller;
use crate::body::{JsonBody, QueryParams};
use crate::error::{ApiError, ErrorBody};
use crate::requests::{CreateUserRequest, PageParams, parse_limit};
use crate::views::{ContactView, PageOf, UserView};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(post, path = "/users", tag = "people",
    request_body = CreateUserRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not an admin"),
              (status = 409, body = ErrorBody, description = "the e-mail is taken"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    JsonBody(body): JsonBody<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = admin::create_user(&state.ctx, &caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/users", tag = "people",
    params(PageParams),
    responses((status = 200, body = PageOf<UserView>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    QueryParams(params): QueryParams<PageParams>,
) -> ApiResult<Json<PageOf<UserView>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let page = admin::list_users(
        &state.ctx,
        params.cursor.as_deref().filter(|c| !c.is_empty()),
        limit,
    )
    .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/contacts", tag = "people",
    params(PageParams),
    responses((status = 200, body = PageOf<ContactView>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_contacts(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    QueryParams(params): QueryParams<PageParams>,
) -> ApiResult<Json<PageOf<ContactView>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let page = admin::list_contacts(
        &state.ctx,
        params.cursor.as_deref().filter(|c| !c.is_empty()),
        limit,
    )
    .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/contacts/{id}", tag = "people",
    params(("id" = String, Path, description = "contact id")),
    responses((status = 200, body = ContactView), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show_contact(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactView>> {
    let contact = admin::show_contact(&state.ctx, &ContactId::new(id)).await?;
    Ok(Json(contact.into()))
}
