//! Who may call what (docs/http-api.md "Authentication", docs/sync-rules.md §2 and §7): tokens that
//! are missing, malformed, expired, signed with another secret or another algorithm are refused;
//! only the owner or an admin manages an integration; integration URLs must be Zendesk account URLs
//! unless the deployment allows insecure ones; bodies over the limit get 413.

mod api_common;

use api_common::{AUTH_SECRET, Api, Reply, token, token_expiring};
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};
use zsync_api::{Auth, api_router};

fn jwt(header: jsonwebtoken::Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims(email: &str, roles: &[&str]) -> Value {
    json!({"email": email, "roles": roles, "exp": chrono::Utc::now().timestamp() + 600})
}

fn unauthorized(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.text
    );
    assert_eq!(reply.json["error"]["code"], "unauthorized", "{what}");
}

#[tokio::test]
async fn tokens_that_are_not_ours_or_not_valid_now_are_refused() {
    let api = Api::start().await;
    api.user("agent@crm.example.com", false).await;
    let admin = claims("agent@crm.example.com", &["admin"]);
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&admin)
    );
    let hs512 = jwt(
        jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &admin,
        AUTH_SECRET.as_bytes(),
    );
    let wrong_secret = jwt(
        jsonwebtoken::Header::default(),
        &admin,
        b"another-deployments-secret",
    );
    let good = token("agent@crm.example.com", &[]);
    let truncated_signature = &good[..good.len() - 4];
    let expired = token_expiring(
        "agent@crm.example.com",
        &["admin"],
        chrono::Utc::now().timestamp() - 120,
    );
    let not_yet = jwt(
        jsonwebtoken::Header::default(),
        &json!({"email": "agent@crm.example.com", "exp": chrono::Utc::now().timestamp() + 600,
                "nbf": chrono::Utc::now().timestamp() + 600}),
        AUTH_SECRET.as_bytes(),
    );
    // Claims swapped into a validly signed token: the signature no longer matches.
    let parts: Vec<&str> = good.split('.').collect();
    let swapped = format!("{}.{}.{}", parts[0], b64(&admin), parts[2]);

    for (what, bad) in [
        ("alg none", unsigned.as_str()),
        ("HS512", hs512.as_str()),
        ("wrong secret", wrong_secret.as_str()),
        ("truncated signature", truncated_signature),
        ("expired", expired.as_str()),
        ("claims swapped", swapped.as_str()),
        ("empty", ""),
        ("garbage", "a.b.c"),
    ] {
        unauthorized(&api.get("/integrations", bad).await, what);
        unauthorized(
            &api.post("/cases", bad, json!({"subject": "x"})).await,
            what,
        );
    }
    // nbf in the future (beyond the 5 s leeway): not valid yet.
    let reply = api.get("/integrations", &not_yet).await;
    unauthorized(&reply, "nbf in the future");
    assert!(reply.text.contains("not valid yet"), "{}", reply.text);
    unauthorized(
        &api.call(Method::GET, "/users", None, None).await,
        "missing",
    );
    assert_eq!(api.get("/cases", &good).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_non_owner_can_neither_manage_nor_take_over_an_integration() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let (other, other_token) = api.user("other@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, true, false).await;

    let take_over = api
        .patch(
            &format!("/integrations/{id}"),
            &other_token,
            json!({"owner_id": other}),
        )
        .await;
    assert_eq!(
        take_over.status,
        StatusCode::FORBIDDEN,
        "{}",
        take_over.text
    );
    // Creating an integration in someone else's name is managing it for them.
    let in_their_name = api
        .post("/integrations", &other_token, api.settings(&owner, false))
        .await;
    assert_eq!(
        in_their_name.status,
        StatusCode::FORBIDDEN,
        "{}",
        in_their_name.text
    );
    // Non-admins do not create users (or make themselves admins).
    let promote = api
        .post(
            "/users",
            &other_token,
            json!({"email": "x@crm.example.com", "name": "X", "roles": ["admin"]}),
        )
        .await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN, "{}", promote.text);
    let shown = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(shown.json["owner_id"], owner.as_str(), "nothing changed");
}

#[tokio::test]
async fn integration_urls_must_be_zendesk_accounts_unless_insecure_is_allowed() {
    let api = Api::start().await;
    let mut strict_ctx = api.ctx.clone();
    strict_ctx.settings.allow_insecure_zendesk_urls = false;
    let strict = api_router(
        strict_ctx,
        Auth::hs256(&AUTH_SECRET.to_owned().into()).unwrap(),
    );
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let post = |url: &str| {
        let mut body = api.settings(&owner, false);
        body["url"] = json!(url);
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/integrations")
            .header("authorization", format!("Bearer {owner_token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let router = strict.clone();
        async move {
            use tower::ServiceExt;
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    for bad in [
        "http://acme.zendesk.com",
        "https://evil.com",
        "https://evil.com@acme.zendesk.com",
        "https://acme.zendesk.com@evil.com",
        "https://user:pass@acme.zendesk.com",
        "https://acme.zendesk.com:8443",
        "https://acme.zendesk.com.evil.com",
        "https://acmezendesk.com",
        "https://zendesk.com",
        "https://acme.zendesk.com/api/v2",
        "https://acme.zendesk.com?x=1",
        "https://acme.zendesk.com#frag",
        "https://127.0.0.1",
        "https://[::1]",
        "https://acme.zendesk.com\\@evil.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "",
    ] {
        let (status, json) = post(bad).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{bad:?} was accepted: {json}"
        );
        assert!(json["error"]["code"].is_string(), "{bad:?}: {json}");
    }
    // Spellings of the one account host are accepted and stored in canonical form.
    for same_host in [
        "  HTTPS://Acme.Zendesk.com/ ",
        "https://acme%2ezendesk.com",
        "acme.zendesk.com:443",
    ] {
        let (status, json) = post(same_host).await;
        assert_eq!(status, StatusCode::CREATED, "{same_host:?}: {json}");
        assert_eq!(json["url"], "https://acme.zendesk.com");
        // One account, one integration (docs/sync-rules.md §2): make room for the next spelling.
        let id = json["id"].as_str().expect("id");
        let deleted = api
            .call(
                Method::DELETE,
                &format!("/integrations/{id}"),
                Some(&owner_token),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    }

    // The lenient deployment (local simulator) takes loopback http with a port, but never
    // credentials in the URL.
    let mut body = api.settings(&owner, false);
    body["url"] = json!(api.sim.base_url());
    assert_eq!(
        api.post("/integrations", &owner_token, body.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    body["url"] = json!(api.sim.base_url().replace("http://", "http://evil.com@"));
    assert_eq!(
        api.post("/integrations", &owner_token, body).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn api_bodies_over_the_limit_get_413_on_every_write_route() {
    let api = Api::start().await;
    let (owner, owner_token) = api.user("owner@crm.example.com", true).await;
    let id = api.integration(&owner_token, &owner, true, false).await;
    let huge = "x".repeat(zsync_api::MAX_BODY_BYTES + 1);
    for (method, path) in [
        (Method::POST, "/integrations".to_owned()),
        (Method::PATCH, format!("/integrations/{id}")),
        (Method::POST, format!("/integrations/{id}/sync")),
        (Method::POST, "/users".to_owned()),
        (Method::POST, "/cases".to_owned()),
    ] {
        let body = json!({"name": huge});
        let reply = api
            .call(method.clone(), &path, Some(&owner_token), Some(&body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {path}"
        );
        assert_eq!(
            reply.json["error"]["code"], "payload_too_large",
            "{method} {path}"
        );
    }
}
