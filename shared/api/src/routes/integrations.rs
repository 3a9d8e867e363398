//! `/integrations` and its actions, jobs and log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use zsync_core::admin;
use zsync_mapping::{IntegrationId, JobId};

use crate::AppState;
use crate::auth::AuthedCaller;
use crate::body::{JsonBody, QueryParams, UncheckedJsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::log_params::LogListParams;
use crate::requests::{
    CreateIntegrationRequest, DeleteIntegrationParams, PageParams, PatchIntegrationRequest,
    SyncRequest, parse_limit,
};
use crate::views::{IntegrationView, Items, JobView, LogEntryView, PageOf, PurgeInProgressView};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(post, path = "/integrations", tag = "integrations",
    request_body = CreateIntegrationRequest,
    responses((status = 201, body = IntegrationView, description = "created, inactive"),
              (status = 400, body = ErrorBody, description = "invalid fields, or `owner_id` names no CRM user"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "a non-admin named someone else as the owner"),
              (status = 409, body = ErrorBody, description = "`account_has_integration`: the Zendesk account already has an integration, whoever owns it"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    JsonBody(body): JsonBody<CreateIntegrationRequest>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    let created = admin::create_integration(&state.ctx, &caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/integrations", tag = "integrations",
    responses((status = 200, body = Items<IntegrationView>, description = "the integrations the caller may manage"),
              (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_integrations(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
) -> ApiResult<Json<Items<IntegrationView>>> {
    let items = admin::list_integrations(&state.ctx, &caller).await?;
    Ok(Json(Items {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "integration id")),
    responses((status = 200, body = IntegrationView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<IntegrationView>> {
    let found = admin::show_integration(&state.ctx, &caller, &IntegrationId::new(id)).await?;
    Ok(Json(found.into()))
}

#[utoipa::path(patch, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "integration id")),
    request_body = PatchIntegrationRequest,
    responses((status = 200, body = IntegrationView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such integration (whatever the body)"),
              (status = 409, body = ErrorBody, description = "`url_frozen`: the url names another Zendesk account but tickets were already imported (create a new integration instead); `account_has_integration`: that account already has an integration; `operation_in_progress`, `concurrent_update`"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "the integration is active and Zendesk refused the new url, api_email or api_token (`users/me`); nothing was saved"),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    body: UncheckedJsonBody,
) -> ApiResult<Json<IntegrationView>> {
    let id = IntegrationId::new(id);
    // 404 / 403 for the integration in the path before anything in the body.
    admin::show_integration(&state.ctx, &caller, &id).await?;
    let body: PatchIntegrationRequest = body.decode()?;
    let edited = admin::edit_integration(&state.ctx, &caller, &id, body.into()).await?;
    Ok(Json(edited.into()))
}

#[utoipa::path(delete, path = "/integrations/{id}", tag = "integrations",
    params(("id" = String, Path, description = "integration id"), DeleteIntegrationParams),
    responses((status = 204, description = "deleted; its webhook and secrets are removed and its Zendesk account freed. Cases and contacts are kept; without `purge` their ticket records stay too, so a new integration for the same account re-links the cases on its first sync"),
              (status = 202, body = PurgeInProgressView, description = "`purge=true` ran out of time: the integration stays, deactivated, with part of its sync data removed; repeat the request to go on"),
              (status = 400, body = ErrorBody, description = "`purge` is not `true` or `false`, or an unknown query parameter"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "another request is changing the integration")),
    security(("bearer" = [])))]
pub async fn delete_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DeleteIntegrationParams>,
) -> ApiResult<Response> {
    let id = IntegrationId::new(id);
    let purge = params.purge.unwrap_or(false);
    Ok(
        match admin::delete_integration(&state.ctx, &caller, &id, purge).await? {
            admin::Deletion::Deleted => StatusCode::NO_CONTENT.into_response(),
            admin::Deletion::PurgeInProgress => (
                StatusCode::ACCEPTED,
                Json(PurgeInProgressView {
                    status: "purging",
                    message: format!(
                        "integration {id} is being purged; repeat the request to go on"
                    ),
                }),
            )
                .into_response(),
        },
    )
}

#[utoipa::path(post, path = "/integrations/{id}/activate", tag = "integrations",
    params(("id" = String, Path, description = "integration id")),
    responses((status = 200, body = IntegrationView, description = "credentials verified, webhook registered"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "Zendesk refused the credentials"),
              (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "Zendesk rate-limited the request")),
    security(("bearer" = [])))]
pub async fn activate_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<IntegrationView>> {
    let id = IntegrationId::new(id);
    let activated = admin::activate_integration(&state.ctx, &caller, &id).await?;
    Ok(Json(activated.into()))
}

#[utoipa::path(post, path = "/integrations/{id}/deactivate", tag = "integrations",
    params(("id" = String, Path, description = "integration id")),
    responses((status = 200, body = IntegrationView, description = "webhook removed"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deactivate_integration(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<IntegrationView>> {
    let id = IntegrationId::new(id);
    let deactivated = admin::deactivate_integration(&state.ctx, &caller, &id).await?;
    Ok(Json(deactivated.into()))
}

#[utoipa::path(post, path = "/integrations/{id}/sync", tag = "sync",
    params(("id" = String, Path, description = "integration id")),
    request_body(content = SyncRequest, description = "may be empty: {\"full\": false}"),
    responses((status = 202, body = JobView, description = "queued"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such integration (whatever the body)"),
              (status = 409, body = ErrorBody, description = "the integration is not active"),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn schedule_sync(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    body: UncheckedJsonBody,
) -> ApiResult<(StatusCode, Json<JobView>)> {
    let id = IntegrationId::new(id);
    admin::show_integration(&state.ctx, &caller, &id).await?;
    let body: SyncRequest = body.decode_or_default()?;
    let job = admin::schedule_integration_sync(&state.ctx, &caller, &id, body.full).await?;
    Ok((StatusCode::ACCEPTED, Json(job.into())))
}

#[utoipa::path(get, path = "/integrations/{id}/jobs", tag = "sync",
    params(("id" = String, Path, description = "integration id"), PageParams),
    responses((status = 200, body = PageOf<JobView>, description = "newest first"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> ApiResult<Json<PageOf<JobView>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let cursor = params.cursor.as_deref().filter(|c| !c.is_empty());
    let page =
        admin::list_jobs(&state.ctx, &caller, &IntegrationId::new(id), cursor, limit).await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/integrations/{id}/jobs/{job_id}", tag = "sync",
    params(("id" = String, Path, description = "integration id"),
           ("job_id" = String, Path, description = "sync job id")),
    responses((status = 200, body = JobView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show_job(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path((id, job_id)): Path<(String, String)>,
) -> ApiResult<Json<JobView>> {
    let job = admin::show_job(
        &state.ctx,
        &caller,
        &IntegrationId::new(id),
        &JobId::new(job_id),
    )
    .await?;
    Ok(Json(job.into()))
}

#[utoipa::path(get, path = "/integrations/{id}/log", tag = "sync",
    params(("id" = String, Path, description = "integration id"), LogListParams),
    responses((status = 200, body = PageOf<LogEntryView>, description = "per-ticket sync events, newest first"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_log(
    State(state): State<AppState>,
    AuthedCaller(caller): AuthedCaller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<LogListParams>,
) -> ApiResult<Json<PageOf<LogEntryView>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let filter = params.filter()?;
    let cursor = params.cursor.as_deref().filter(|c| !c.is_empty());
    let page = admin::list_log(
        &state.ctx,
        &caller,
        &IntegrationId::new(id),
        &filter,
        cursor,
        limit,
    )
    .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
