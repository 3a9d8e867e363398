use reqwest::Method;
use serde_json::{Value, json};
use zsync_mapping::zendesk::{UserEnvelope, UserList, UserRole};

use crate::{EMAIL, Harness, TOKEN};

#[tokio::test]
async fn me_with_bad_token_is_anonymous_other_endpoints_401() {
    let h = Harness::start().await;
    let me: UserEnvelope = h.get("/api/v2/users/me.json").await.json().await.unwrap();
    assert_eq!(me.user.id, h.api_user);
    assert_eq!(me.user.role, Some(UserRole::Admin));

    let bad = h
        .http
        .get(h.url("/api/v2/users/me.json"))
        .basic_auth(format!("{EMAIL}/token"), Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 200);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["user"]["name"], "Anonymous user");
    assert_eq!(body["user"]["role"], "end-user");
    assert!(body["user"]["id"].is_null());

    let no_auth = h
        .http
        .get(h.url("/api/v2/tickets/1.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);
    let wrong = h
        .http
        .get(h.url("/api/v2/tickets/1.json"))
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.status(),
        401,
        "password-style auth without /token is refused"
    );
}

#[tokio::test]
async fn users_show_many_search_and_create_or_update() {
    let h = Harness::start().await;
    let no_email = h.sim.add_user("Phone Only", None, UserRole::EndUser);
    let jo = h.end_user("Jo Doe", "jo@example.com");

    let many: UserList = h
        .get(&format!("/api/v2/users/show_many.json?ids={no_email},{jo}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(many.users.len(), 2);
    assert!(
        many.users
            .iter()
            .any(|u| u.id == no_email && u.email.is_none())
    );

    let found: UserList = h
        .get("/api/v2/users/search.json?query=email:JO@example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![jo]
    );

    let updated = h
        .send_json(
            Method::POST,
            "/api/v2/users/create_or_update.json",
            json!({"user": {"name": "Jo D.", "email": "jo@example.com"}}),
        )
        .await;
    assert_eq!(updated.status(), 200);
    let user: UserEnvelope = updated.json().await.unwrap();
    assert_eq!((user.user.id, user.user.name.as_str()), (jo, "Jo D."));

    let created = h
        .send_json(
            Method::POST,
            "/api/v2/users/create_or_update.json",
            json!({"user": {"name": "New Person", "email": "new@example.com"}}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user: UserEnvelope = created.json().await.unwrap();
    assert_eq!(user.user.role, Some(UserRole::EndUser));
    assert_eq!(
        h.sim.user_by_email("new@example.com").map(|u| u.id),
        Some(user.user.id)
    );

    let too_many = (1..=101)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        h.get(&format!("/api/v2/users/show_many.json?ids={too_many}"))
            .await
            .status(),
        400
    );
}
