//! `/cases`: list, create, show, edit, comment, publish.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use zsync_core::admin;
use zsync_core::ports::CaseFilter;
use zsync_mapping::{CaseId, IntegrationId};

use crate::AppState;
use crate::auth::AuthedCaller;
use crate::body::{JsonBody, QueryParams};
use crate::error::{ApiError, ErrorBody};
use crate::requests::{
    CaseListParams, CommentRequest, CreateCaseRequest, PatchCaseRequest, PublishRequest,
    parse_limit, parse_status,
};
use crate::views::{CaseResponse, CommentView, PageOf};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(get, path = "/cases", tag = "cases",
    params(CaseListParams),
    responses((status = 200, body = PageOf<CaseResponse>, description = "newest first; `comments` left out"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_cases(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    QueryParams(params): QueryParams<CaseListParams>,
) -> ApiResult<Json<PageOf<CaseResponse>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let filter = CaseFilter {
        subject: params.subject.filter(|s| !s.is_empty()),
        status: params
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(parse_status)
            .transpose()?,
        integration_id: params
            .integration_id
            .filter(|s| !s.is_empty())
            .map(IntegrationId::new),
    };
    let page = admin::list_cases(&state.ctx, &filter, params.cursor.as_deref(), limit).await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(CaseResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/cases", tag = "cases",
    request_body = CreateCaseRequest,
    responses((status = 201, body = CaseResponse), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_case(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    JsonBody(body): JsonBody<CreateCaseRequest>,
) -> ApiResult<(StatusCode, Json<CaseResponse>)> {
    let view = admin::create_case(&state.ctx, &caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseResponse, description = "with the ticket record and the comments"),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show_case(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseResponse>> {
    let view = admin::show_case(&state.ctx, &CaseId::new(id)).await?;
    Ok(Json(view.into()))
}

#[utoipa::path(patch, path = "/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body = PatchCaseRequest,
    responses((status = 200, body = CaseResponse, description = "changes to a linked case go to Zendesk when two-way sync is on"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_case(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PatchCaseRequest>,
) -> ApiResult<Json<CaseResponse>> {
    let view = admin::edit_case(&state.ctx, &CaseId::new(id), body.into()).await?;
    Ok(Json(view.into()))
}

#[utoipa::path(post, path = "/cases/{id}/comments", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body = CommentRequest,
    responses((status = 201, body = CommentView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_comment(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CommentRequest>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let comment = admin::add_comment(&state.ctx, &caller, &CaseId::new(id), body.into()).await?;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

#[utoipa::path(post, path = "/cases/{id}/publish", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body = PublishRequest,
    responses((status = 201, body = CaseResponse, description = "published: linked to the new Zendesk ticket"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "two-way sync is off, the case is already linked, or a publish is in progress"),
              (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish_case(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PublishRequest>,
) -> ApiResult<(StatusCode, Json<CaseResponse>)> {
    let integration = body
        .integration_id()
        .ok_or_else(|| ApiError::field("integration_id", "is required"))?;
    let view = admin::publish_case(&state.ctx, &CaseId::new(id), &integration).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}
