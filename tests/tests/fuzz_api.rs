//! Fuzz target: the HTTP API's request bodies. Arbitrary JSON (and arbitrary bytes) into every
//! POST/PATCH route of the router, in process, as an admin and as a plain user: never a 5xx,
//! never a panic, every refusal in the `{"error": {"code", "message"}}` shape, and every status
//! one the OpenAPI document lists for the operation. Run long with `scripts/fuzz.sh`.

mod api_common;
mod fuzz_common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, header};
use proptest::prelude::*;
use serde_json::json;

const TARGET: &str = "api_body";

struct World {
    rt: tokio::runtime::Runtime,
    api: api_common::Api,
    /// (method, path, documented path) of every write route, with real ids filled in.
    routes: Vec<(Method, String, &'static str)>,
    /// The generated OpenAPI document.
    doc: serde_json::Value,
    admin: String,
    user: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let world = rt.block_on(async {
            let api = api_common::Api::start().await;
            let (admin_id, admin) = api.user("admin@crm.example.com", true).await;
            let (_, user) = api.user("agent@crm.example.com", false).await;
            let integration = api.integration(&admin, &admin_id, true, false).await;
            let case =
                api_common::new_case(&api, &admin, json!({"subject": "fuzz", "description": "d"}))
                    .await;
            let case = case["id"].as_str().unwrap().to_owned();
            let routes = vec![
                (Method::POST, "/integrations".to_owned(), "/integrations"),
                (
                    Method::PATCH,
                    format!("/integrations/{integration}"),
                    "/integrations/{id}",
                ),
                (
                    Method::POST,
                    format!("/integrations/{integration}/activate"),
                    "/integrations/{id}/activate",
                ),
                (
                    Method::POST,
                    format!("/integrations/{integration}/deactivate"),
                    "/integrations/{id}/deactivate",
                ),
                (
                    Method::POST,
                    format!("/integrations/{integration}/sync"),
                    "/integrations/{id}/sync",
                ),
                (Method::POST, "/users".to_owned(), "/users"),
                (Method::POST, "/cases".to_owned(), "/cases"),
                (Method::PATCH, format!("/cases/{case}"), "/cases/{id}"),
                (
                    Method::POST,
                    format!("/cases/{case}/comments"),
                    "/cases/{id}/comments",
                ),
                (
                    Method::POST,
                    format!("/cases/{case}/publish"),
                    "/cases/{id}/publish",
                ),
                (
                    Method::POST,
                    "/integrations/no-such-id/sync".to_owned(),
                    "/integrations/{id}/sync",
                ),
                (
                    Method::PATCH,
                    "/cases/no-such-case".to_owned(),
                    "/cases/{id}",
                ),
                (
                    Method::POST,
                    "/cases/no-such-case/comments".to_owned(),
                    "/cases/{id}/comments",
                ),
            ];
            (api, routes, admin, user)
        });
        let (api, routes, admin, user) = world;
        World {
            rt,
            api,
            routes,
            doc: serde_json::to_value(zsync_api::openapi()).unwrap(),
            admin,
            user,
        }
    })
}

fn check(route: usize, as_admin: bool, body: &[u8], content_type: Option<&str>) {
    let world = world();
    let (method, path, documented_path) = &world.routes[route % world.routes.len()];
    let mut kept = format!("{method} {path} admin={as_admin} type={content_type:?}\n").into_bytes();
    kept.extend_from_slice(body);
    fuzz_common::guard(TARGET, &kept, || {
        world.rt.block_on(async {
            let token = if as_admin { &world.admin } else { &world.user };
            let mut request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let reply = world
                .api
                .send(request.body(Body::from(body.to_vec())).unwrap())
                .await;
            assert!(
                reply.status.as_u16() < 500,
                "{method} {path}: {} {}",
                reply.status,
                reply.text
            );
            let operation = &world.doc["paths"][documented_path][method.as_str().to_lowercase()];
            assert!(
                operation["responses"].get(reply.status.as_str()).is_some(),
                "{method} {path}: {} is not in the OpenAPI document: {}",
                reply.status,
                reply.text
            );
            if !reply.status.is_success() {
                assert!(
                    reply.json["error"]["code"].is_string(),
                    "{method} {path}: {}",
                    reply.text
                );
                assert!(
                    reply.json["error"]["message"].is_string(),
                    "{method} {path}: {}",
                    reply.text
                );
            } else {
                assert!(reply.json.is_object(), "{method} {path}: {}", reply.text);
            }
        });
    });
}

proptest! {
    #![proptest_config(fuzz_common::config())]

    #[test]
    fn arbitrary_json_bodies_never_get_a_5xx(route in any::<usize>(), as_admin in any::<bool>(), body in fuzz_common::json_object()) {
        check(route, as_admin, body.to_string().as_bytes(), Some("application/json"));
    }

    #[test]
    fn arbitrary_json_values_never_get_a_5xx(route in any::<usize>(), body in fuzz_common::json_value()) {
        check(route, true, body.to_string().as_bytes(), Some("application/json"));
    }

    #[test]
    fn arbitrary_bytes_and_content_types_never_get_a_5xx(
        route in any::<usize>(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        content_type in prop::option::of(prop_oneof![Just("application/json".to_owned()), Just("text/plain".to_owned()), "[ -~]{0,32}"]),
    ) {
        check(route, true, &body, content_type.as_deref());
    }
}

#[test]
fn kept_crash_inputs_still_pass() {
    for (name, bytes) in fuzz_common::kept_inputs(TARGET) {
        eprintln!("replaying {TARGET}/{name}");
        // Kept as "<METHOD> <path> admin=<bool> type=<Option>\n<body>": replay the body on
        // every route, as admin, as JSON.
        let body = bytes.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
        for route in 0..world().routes.len() {
            check(route, true, body, Some("application/json"));
        }
    }
}

#[test]
fn every_write_route_is_covered() {
    let documented = zsync_api::openapi();
    let mut writes = Vec::new();
    for (path, item) in &documented.paths.paths {
        if item.post.is_some() || item.patch.is_some() {
            writes.push(path.clone());
        }
    }
    for path in writes.iter().filter(|p| !p.starts_with("/webhooks/")) {
        let hit = world()
            .routes
            .iter()
            .any(|(_, _, documented)| documented == path);
        assert!(hit, "write route {path} is not fuzzed");
    }
    // Each concrete path is an instance of the documented one it is checked against.
    for (_, path, documented) in &world().routes {
        let parts: Vec<&str> = path.split('/').collect();
        let pattern: Vec<&str> = documented.split('/').collect();
        assert_eq!(parts.len(), pattern.len(), "{path} vs {documented}");
        for (a, b) in parts.iter().zip(&pattern) {
            assert!(b.starts_with('{') || a == b, "{path} vs {documented}");
        }
    }
}
