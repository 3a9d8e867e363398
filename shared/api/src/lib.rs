//! The HTTP interface of zendesk-sync (docs/http-api.md): one axum Router for the API fn and the
//! local server. Handlers decode and validate the request, call the flows in `zsync_core::admin`
//! and encode the answer; errors are `{"error": {"code", "message"}}`. The OpenAPI document is
//! generated from the handlers (utoipa), so the served document and the routes cannot drift.

pub mod auth;
pub mod body;
pub mod error;
pub mod log_params;
pub mod requests;
mod routes;
pub mod schema_docs;
pub mod views;
pub mod webhook_route;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zsync_core::context::SyncContext;

pub use auth::{AUTH_SECRET_ENV, Auth, AuthConfigError, AuthedCaller};
pub use body::MAX_BODY_BYTES;
pub use error::ApiError;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub ctx: SyncContext,
    pub auth: Auth,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "zendesk-sync", description = "Zendesk ↔ CRM synchronisation: integrations, cases, publishing, sync jobs."),
    paths(routes::meta::openapi_json, routes::meta::zendesk_webhook),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

fn documented_routes() -> OpenApiRouter<AppState> {
    use routes::{cases, integrations, meta, people};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::health))
        .routes(routes!(
            integrations::create_integration,
            integrations::list_integrations
        ))
        .routes(routes!(
            integrations::show_integration,
            integrations::edit_integration,
            integrations::delete_integration
        ))
        .routes(routes!(integrations::activate_integration))
        .routes(routes!(integrations::deactivate_integration))
        .routes(routes!(integrations::schedule_sync))
        .routes(routes!(integrations::list_jobs))
        .routes(routes!(integrations::show_job))
        .routes(routes!(integrations::list_log))
        .routes(routes!(people::create_user, people::list_users))
        .routes(routes!(people::list_contacts))
        .routes(routes!(people::show_contact))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::show_case, cases::edit_case))
        .routes(routes!(cases::add_comment))
        .routes(routes!(cases::publish_case))
}

/// The OpenAPI document of every route [`api_router`] serves.
pub fn openapi() -> OpenApiDoc {
    documented_routes().into_openapi()
}

/// The whole HTTP API: every route of docs/http-api.md, the webhook route, `GET /health` and
/// `GET /openapi.json` (both without auth). Bodies over [`MAX_BODY_BYTES`] get 413.
pub fn api_router(ctx: SyncContext, auth: Auth) -> Router {
    let state = AppState {
        ctx: ctx.clone(),
        auth,
    };
    let (router, doc) = documented_routes().split_for_parts();
    let doc = Arc::new(doc);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .with_state(state)
        .merge(webhook_route::webhook_router(ctx))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_describes_the_resources_of_api_md() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in [
            "Integration",
            "User",
            "Contact",
            "Case",
            "Ticket",
            "Comment",
            "SyncJob",
        ] {
            assert!(
                schemas.contains_key(name),
                "{name} missing: {:?}",
                schemas.keys()
            );
        }
        let integration = &schemas["Integration"]["properties"];
        assert!(integration.get("api_token_set").is_some());
        assert!(
            integration.get("api_token").is_none(),
            "the token is never returned"
        );
        let create = &schemas["CreateIntegrationRequest"];
        assert_eq!(
            create["additionalProperties"], false,
            "unknown fields refused"
        );
        assert_eq!(create["properties"]["api_token"]["writeOnly"], true);
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod openapi_tests;
