//! The API answers what its OpenAPI document says: an empty body is refused naming exactly the
//! documented required fields, a body that is not JSON gets the documented 415, a route naming
//! an unknown resource is 404 whatever the body, and empty `limit` / `cursor` mean the defaults.

mod api_common;

use std::collections::BTreeSet;

use api_common::{Api, new_case, token};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

fn document() -> Value {
    serde_json::to_value(zsync_api::openapi()).unwrap()
}

/// (method, path template) of every route taking a JSON body (the webhook takes Zendesk's).
fn json_body_routes(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() && !path.starts_with("/webhooks/") {
                routes.push((method.clone(), path.clone()));
            }
        }
    }
    routes
}

fn required_fields(doc: &Value, method: &str, path: &str) -> BTreeSet<String> {
    let op = &doc["paths"][path][method];
    let reference = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let schema = &doc["components"]["schemas"][reference.rsplit('/').next().unwrap()];
    schema["required"]
        .as_array()
        .map(|r| r.iter().map(|f| f.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn documented(doc: &Value, method: &str, path: &str, status: StatusCode) -> bool {
    doc["paths"][path][method]["responses"]
        .get(status.as_str())
        .is_some()
}

/// An admin, an integration and a case to fill the path templates with.
struct World {
    api: Api,
    admin: String,
    integration: String,
    case: String,
}

impl World {
    async fn new() -> World {
        let api = Api::start().await;
        let (admin_id, _) = api.user("admin@crm.example.com", true).await;
        let admin = token("admin@crm.example.com", &["admin"]);
        let integration = api.integration(&admin, &admin_id, true, false).await;
        let case = new_case(&api, &admin, json!({"subject": "Contract"})).await;
        let case = case["id"].as_str().unwrap().to_owned();
        World {
            api,
            admin,
            integration,
            case,
        }
    }

    fn concrete(&self, path: &str) -> String {
        path.replace(
            "/integrations/{id}",
            &format!("/integrations/{}", self.integration),
        )
        .replace("/cases/{id}", &format!("/cases/{}", self.case))
    }

    async fn send(&self, method: &str, path: &str, content_type: &str, body: &str) -> Value {
        let request = Request::builder()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.admin))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let reply = self.api.send(request).await;
        json!({"status": reply.status.as_u16(), "body": reply.json})
    }
}

#[tokio::test]
async fn an_empty_body_is_refused_naming_exactly_the_documented_required_fields() {
    let world = World::new().await;
    let doc = document();
    let routes = json_body_routes(&doc);
    assert_eq!(routes.len(), 8, "{routes:?}");
    for (method, path) in &routes {
        let required = required_fields(&doc, method, path);
        let reply = world
            .send(method, &world.concrete(path), "application/json", "{}")
            .await;
        let status = StatusCode::from_u16(reply["status"].as_u64().unwrap() as u16).unwrap();
        assert!(
            documented(&doc, method, path, status),
            "{method} {path}: {reply}"
        );
        let missing: BTreeSet<String> = reply["body"]["error"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter(|f| f["message"] == "is required")
                    .map(|f| f["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(missing, required, "{method} {path}: {reply}");
        if !required.is_empty() {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
            assert_eq!(reply["body"]["error"]["code"], "validation_failed");
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_documented_415() {
    let world = World::new().await;
    let doc = document();
    for (method, path) in json_body_routes(&doc) {
        let reply = world
            .send(&method, &world.concrete(&path), "text/plain", "subject=x")
            .await;
        assert_eq!(reply["status"], 415, "{method} {path}: {reply}");
        assert_eq!(reply["body"]["error"]["code"], "unsupported_media_type");
        assert!(documented(
            &doc,
            &method,
            &path,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        ));
    }
}

#[tokio::test]
async fn an_unknown_case_or_integration_is_404_whatever_the_body() {
    let world = World::new().await;
    let bodies = [
        ("application/json", r#"{"contact_id": "nobody"}"#),
        ("application/json", r#"{"subject": 42, "colour": "red"}"#),
        ("application/json", "{\"subject\": "),
        ("application/json", "{}"),
        ("text/plain", "hello"),
    ];
    for (method, path) in [
        ("patch", "/cases/no-such-case"),
        ("post", "/cases/no-such-case/comments"),
        ("post", "/cases/no-such-case/publish"),
        ("patch", "/integrations/no-such-integration"),
        ("post", "/integrations/no-such-integration/sync"),
    ] {
        for (content_type, body) in bodies {
            let reply = world.send(method, path, content_type, body).await;
            assert_eq!(reply["status"], 404, "{method} {path} {body}: {reply}");
            assert_eq!(reply["body"]["error"]["code"], "not_found");
        }
    }
    // A known case with an unknown contact: the field is named, as documented.
    let known = world.concrete("/cases/{id}");
    let reply = world
        .send(
            "patch",
            &known,
            "application/json",
            r#"{"contact_id": "nobody"}"#,
        )
        .await;
    assert_eq!(reply["status"], 400, "{reply}");
    assert_eq!(reply["body"]["error"]["fields"][0]["field"], "contact_id");
    // Publishing to an integration that does not exist names the field too; 404 is the case's.
    let reply = world
        .send(
            "post",
            &world.concrete("/cases/{id}/publish"),
            "application/json",
            r#"{"integration_id": "no-such-integration"}"#,
        )
        .await;
    assert_eq!(reply["status"], 400, "{reply}");
    assert_eq!(
        reply["body"]["error"]["fields"][0]["field"],
        "integration_id"
    );
}

#[tokio::test]
async fn empty_limit_cursor_and_status_are_the_defaults() {
    let world = World::new().await;
    let api = &world.api;
    for path in [
        "/cases?subject=&status=&integration_id=&cursor=&limit=".to_owned(),
        "/users?cursor=&limit=".to_owned(),
        "/contacts?limit=&cursor=".to_owned(),
        world.concrete("/integrations/{id}/jobs?limit="),
        world.concrete("/integrations/{id}/log?limit="),
    ] {
        let reply = api.get(&path, &world.admin).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert!(reply.json["items"].is_array(), "{path}");
    }
    let cases = api.get("/cases?limit=", &world.admin).await;
    assert_eq!(cases.json["items"].as_array().unwrap().len(), 1);
    for bad in ["0", "201", "ten"] {
        let reply = api.get(&format!("/users?limit={bad}"), &world.admin).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json["error"]["fields"][0]["field"], "limit");
    }
}

#[tokio::test]
async fn a_webhook_for_an_unknown_integration_gets_the_documented_404() {
    let world = World::new().await;
    let doc = document();
    let path = "/webhooks/zendesk/{integration_id}";
    let reply = world
        .api
        .call(
            Method::POST,
            "/webhooks/zendesk/no-such-integration",
            None,
            Some(&json!({})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], "integration_not_found");
    assert!(documented(&doc, "post", path, reply.status));
}
