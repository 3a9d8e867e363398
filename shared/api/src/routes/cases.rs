//! `/cases`: list, create, show, edit, comment, publish.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use zsync_core::admin::{self, AdminError};
use zsync_core::ports::CaseFilter;
use zsync_mapping::{CaseId, IntegrationId};

use crate::AppState;
use crate::auth::AuthedCaller;
use crate::body::{JsonBody, QueryParams, UncheckedJsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::requests::{
    CaseListParams, CommentRequest, CreateCaseRequest, PatchCaseRequest, PublishRequest,
    parse_limit, parse_status, parse_subject_query,
};
use crate::views::{CaseResponse, CommentView, PageOf};

type ApiResult<T> = Result<T, ApiError>;

/// 404 for an unknown case, checked before anything in the body: the path names the resource.
async fn require_case(state: &AppState, id: &CaseId) -> ApiResult<()> {
    match state
        .ctx
        .store
        .get_case(id)
        .await
        .map_err(AdminError::from)?
    {
        Some(_) => Ok(()),
        None => Err(AdminError::not_found("case", id).into()),
    }
}

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
        subject: parse_subject_query(params.subject)?,
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
    let page = admin::list_cases(
        &state.ctx,
        &filter,
        params.cursor.as_deref().filter(|c| !c.is_empty()),
        limit,
    )
    .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(CaseResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/cases", tag = "cases",
    request_body = CreateCaseRequest,
    responses((status = 201, body = CaseResponse),
              (status = 400, body = ErrorBody, description = "invalid fields, or `assigned_to` / `contact_id` names no one"),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody)),
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
              (status = 400, body = ErrorBody, description = "invalid fields, or `assigned_to` / `contact_id` names no one"),
              (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such case (whatever the body)"),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_case(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
    body: UncheckedJsonBody,
) -> ApiResult<Json<CaseResponse>> {
    let id = CaseId::new(id);
    require_case(&state, &id).await?;
    let body: PatchCaseRequest = body.decode()?;
    let view = admin::edit_case(&state.ctx, &id, body.into()).await?;
    Ok(Json(view.into()))
}

#[utoipa::path(post, path = "/cases/{id}/comments", tag = "cases",
    params(("id" = String, Path, description = "case id"),
           ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 255 visible ASCII characters: a retried request with the same key creates no second comment and answers with the first")),
    request_body = CommentRequest,
    responses((status = 201, body = CommentView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such case (whatever the body)"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_comment(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: UncheckedJsonBody,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let id = CaseId::new(id);
    require_case(&state, &id).await?;
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?
                .to_owned(),
        ),
        None => None,
    };
    let body: CommentRequest = body.decode()?;
    let mut input: admin::NewCaseComment = body.into();
    input.idempotency_key = key;
    let comment = admin::add_comment(&state.ctx, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

#[utoipa::path(post, path = "/cases/{id}/publish", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body = PublishRequest,
    responses((status = 201, body = CaseResponse, description = "published: linked to the new Zendesk ticket"),
              (status = 400, body = ErrorBody, description = "`integration_id` missing or naming no integration"),
              (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such case (whatever the body)"),
              (status = 409, body = ErrorBody, description = "two-way sync is off, the integration is inactive, the case is already linked, or a publish is in progress"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "Zendesk refused the ticket or the credentials"),
              (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "Zendesk rate-limited the request")),
    security(("bearer" = [])))]
pub async fn publish_case(
    State(state): State<AppState>,
    AuthedCaller(_caller): AuthedCaller,
    Path(id): Path<String>,
    body: UncheckedJsonBody,
) -> ApiResult<(StatusCode, Json<CaseResponse>)> {
    let id = CaseId::new(id);
    require_case(&state, &id).await?;
    let body: PublishRequest = body.decode()?;
    let integration = body
        .integration_id()
        .ok_or_else(|| ApiError::field("integration_id", "is required"))?;
    // A reference in the body that resolves to nothing is an invalid field, like an unknown
    // `contact_id`; 404 is kept for the case named by the path.
    let view = admin::publish_case(&state.ctx, &id, &integration)
        .await
        .map_err(|e| match e {
            AdminError::NotFound {
                entity: "integration",
                ..
            } => ApiError::field(
                "integration_id",
                format!("no integration with id {integration}"),
            ),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(view.into())))
}
