//! The API's HTTP contract: authentication, error shape, size limit, routing fallbacks, and the
//! OpenAPI document listing exactly the routes of docs/http-api.md — each of which is served.

mod api_common;

use std::collections::BTreeSet;

use api_common::{AUTH_SECRET, Api, token_expiring};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

/// docs/http-api.md "Routes", method and path.
const API_MD_ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("post", "/integrations"),
    ("get", "/integrations"),
    ("get", "/integrations/{id}"),
    ("patch", "/integrations/{id}"),
    ("delete", "/integrations/{id}"),
    ("post", "/integrations/{id}/activate"),
    ("post", "/integrations/{id}/deactivate"),
    ("post", "/integrations/{id}/sync"),
    ("get", "/integrations/{id}/jobs"),
    ("get", "/integrations/{id}/jobs/{job_id}"),
    ("get", "/integrations/{id}/log"),
    ("post", "/users"),
    ("get", "/users"),
    ("get", "/contacts"),
    ("get", "/contacts/{id}"),
    ("get", "/cases"),
    ("post", "/cases"),
    ("get", "/cases/{id}"),
    ("patch", "/cases/{id}"),
    ("post", "/cases/{id}/comments"),
    ("post", "/cases/{id}/publish"),
    ("post", "/webhooks/zendesk/{integration_id}"),
    ("get", "/openapi.json"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn health_and_openapi_need_no_token() {
    let api = Api::start().await;
    let health = api.call(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json["status"], "ok");
    let doc = api.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_of_api_md() {
    let api = Api::start().await;
    let doc = api
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .json;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(*method).is_some() {
                documented.insert((method.to_string(), path.clone()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = API_MD_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);
    assert_eq!(
        zsync_api::openapi().paths.paths.len(),
        doc["paths"].as_object().unwrap().len(),
        "the served document is the generated one"
    );

    // Every documented route is served: without a token it answers 401 (or its own answer),
    // never the router's "no such route" or "method not allowed".
    for (method, path) in &documented {
        let concrete = path
            .replace("{integration_id}", "i-1")
            .replace("{job_id}", "j-1")
            .replace("{id}", "x-1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method == Method::POST || method == Method::PATCH).then(|| json!({}));
        let reply = api
            .call(method.clone(), &concrete, None, body.as_ref())
            .await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_ne!(
            reply.json["error"]["message"], "no such route",
            "{method} {path}"
        );
        let public =
            ["/health", "/openapi.json"].contains(&path.as_str()) || path.starts_with("/webhooks/");
        if !public {
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} needs a token"
            );
        }
    }
    // Each protected operation says it needs the bearer token.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        let public =
            ["/health", "/openapi.json"].contains(&path.as_str()) || path.starts_with("/webhooks/");
        assert_eq!(op.get("security").is_some(), !public, "{method} {path}");
    }
}

#[tokio::test]
async fn missing_invalid_and_expired_tokens_are_refused_with_401() {
    let api = Api::start().await;
    let (_id, good) = api.user("agent@crm.example.com", false).await;
    assert_eq!(api.get("/cases", &good).await.status, StatusCode::OK);

    let missing = api.call(Method::GET, "/cases", None, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json["error"]["code"], "unauthorized");

    let expired = token_expiring(
        "agent@crm.example.com",
        &[],
        chrono::Utc::now().timestamp() - 600,
    );
    let reply = api.get("/cases", &expired).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"email": "agent@crm.example.com", "roles": ["admin"], "exp": chrono::Utc::now().timestamp() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"not-the-secret"),
    )
    .unwrap();
    assert_eq!(
        api.get("/cases", &forged).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.get("/cases", "not.a.jwt").await.status,
        StatusCode::UNAUTHORIZED
    );

    let no_exp = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"email": "agent@crm.example.com"}),
        &jsonwebtoken::EncodingKey::from_secret(AUTH_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        api.get("/cases", &no_exp).await.status,
        StatusCode::UNAUTHORIZED
    );

    let basic = Request::builder()
        .uri("/cases")
        .header(header::AUTHORIZATION, "Basic YWdlbnQ6cGFzcw==")
        .body(Body::empty())
        .unwrap();
    let reply = api.send(basic).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn bodies_over_one_mebibyte_get_413_in_the_error_shape() {
    let api = Api::start().await;
    let (_id, good) = api.user("agent@crm.example.com", false).await;
    let big = json!({"subject": "big", "description": "x".repeat(1024 * 1024)});
    let reply = api.post("/cases", &good, big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json["error"]["code"], "payload_too_large");
    let just_under = json!({"subject": "fits", "description": "x".repeat(1000 * 1000)});
    assert_eq!(
        api.post("/cases", &good, just_under).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let api = Api::start().await;
    let (_id, good) = api.user("agent@crm.example.com", false).await;
    let broken = Request::builder()
        .method(Method::POST)
        .uri("/cases")
        .header(header::AUTHORIZATION, format!("Bearer {good}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"subject\": "))
        .unwrap();
    let reply = api.send(broken).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"]["code"], "invalid_request");

    let not_json = Request::builder()
        .method(Method::POST)
        .uri("/cases")
        .header(header::AUTHORIZATION, format!("Bearer {good}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("subject=x"))
        .unwrap();
    let reply = api.send(not_json).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(reply.json["error"]["code"], "unsupported_media_type");

    let wrong_type = api.post("/cases", &good, json!({"subject": 42})).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong_type.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("subject")
    );

    let nowhere = api.get("/nowhere", &good).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(nowhere.json["error"]["code"], "not_found");
    let wrong_method = api.call(Method::PUT, "/cases", Some(&good), None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json["error"]["code"], "method_not_allowed");
}

/// The AWS set-up: API Gateway's JWT authorizer verified the token; the Router reads the claims
/// lambda_http puts into the request context (roles arrive as text there).
#[tokio::test]
async fn behind_api_gateway_the_verified_claims_identify_the_caller() {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use tower::ServiceExt;

    let api = Api::start().await;
    let router = zsync_api::api_router(api.ctx.clone(), zsync_api::Auth::api_gateway());
    let request = |claims: serde_json::Value, method: Method, body: Option<serde_json::Value>| {
        let context: ApiGatewayV2httpRequestContext = serde_json::from_value(json!({
            "routeKey": "ANY /{proxy+}", "accountId": "1", "stage": "$default",
            "requestId": "r", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "time": "t", "timeEpoch": 0,
            "http": {"method": method.as_str(), "path": "/users", "protocol": "HTTP/1.1",
                     "sourceIp": "10.0.0.1", "userAgent": "t"},
            "authorizer": {"jwt": {"claims": claims, "scopes": null}}
        }))
        .expect("request context");
        let mut builder = Request::builder().method(method).uri("/users");
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let mut request = builder
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        request
            .extensions_mut()
            .insert(RequestContext::ApiGatewayV2(context));
        request
    };
    // Same e-mail and roles, but the issuer has not verified the e-mail: names no one.
    let unverified =
        json!({"email": "boss@crm.example.com", "email_verified": "false", "roles": "[admin]"});
    let refused = router
        .clone()
        .oneshot(request(unverified, Method::GET, None))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A role that merely contains "admin", as API Gateway renders ["Billing admin"].
    let billing = json!({"email": "boss@crm.example.com", "email_verified": "true", "roles": "[Billing admin]"});
    let refused = router
        .clone()
        .oneshot(request(billing, Method::GET, None))
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "not a CRM user and not an admin"
    );
    let admin_claims =
        json!({"email": "boss@crm.example.com", "email_verified": "true", "roles": "[admin]"});
    let created = router
        .clone()
        .oneshot(request(
            admin_claims,
            Method::POST,
            Some(json!({"email": "agent@crm.example.com", "name": "Agent"})),
        ))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let agent_claims =
        json!({"email": "agent@crm.example.com", "email_verified": "true", "roles": "[]"});
    let refused = router
        .clone()
        .oneshot(request(
            agent_claims.clone(),
            Method::POST,
            Some(json!({"email": "x@crm.example.com", "name": "X"})),
        ))
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "the agent is no admin"
    );
    let listed = router
        .clone()
        .oneshot(request(agent_claims, Method::GET, None))
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    // No request context (a request that did not come through the authorizer): 401.
    let bare = Request::builder()
        .uri("/users")
        .body(Body::empty())
        .unwrap();
    let reply = router.oneshot(bare).await.unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
}
