//! Credentials, users and webhooks against the Zendesk simulator, with their error paths.

mod common;

use common::{client, client_with_token, simulator, test_config};
use secrecy::ExposeSecret;
use zsync_core::ports::{
    NewEndUser, NewWebhook, TICKET_EVENT_SUBSCRIPTIONS, ZendeskApi, ZendeskError,
};
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{MeOnBadAuth, SeedSpec, SimConfig};

#[tokio::test]
async fn credential_check_accepts_the_api_user_and_refuses_a_bad_token() {
    let s = simulator(SimConfig::default()).await;
    let me = client(&s.sim, test_config()).current_user().await.unwrap();
    assert_eq!(me.id, s.api_user);
    assert_eq!(me.email.as_deref(), Some(common::EMAIL));

    // Zendesk answers a bad token with 200 and the anonymous user.
    let bad = client_with_token(&s.sim, test_config(), "wrong-token");
    let err = bad.current_user().await.unwrap_err();
    assert!(matches!(err, ZendeskError::Auth { .. }), "{err:?}");
    assert!(!err.to_string().contains("wrong-token"));

    // Accounts that answer 401 instead.
    let strict = simulator(SimConfig {
        me_on_bad_auth: MeOnBadAuth::Unauthorized,
        ..SimConfig::default()
    })
    .await;
    let err = client_with_token(&strict.sim, test_config(), "wrong-token")
        .current_user()
        .await
        .unwrap_err();
    assert!(matches!(err, ZendeskError::Auth { .. }), "{err:?}");
    // Other endpoints refuse a bad token with 401 → Auth, asked once.
    let err = bad.show_ticket(1).await.unwrap_err();
    assert!(matches!(err, ZendeskError::Auth { .. }), "{err:?}");
    assert_eq!(s.sim.request_count("tickets_show"), 1);
}

#[tokio::test]
async fn users_show_many_search_and_create_or_update() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 1,
        users: 240,
        agents: 2,
        comments_per_ticket: 1,
        seed: 9,
    });
    let zd = client(&s.sim, test_config());

    let users = zd.show_users(&seeded.end_user_ids).await.unwrap();
    assert_eq!(users.len(), 240);
    assert_eq!(s.sim.request_count("users_show_many"), 3);

    let with_email = s
        .sim
        .users()
        .into_iter()
        .find(|u| u.email.is_some() && u.id != s.api_user)
        .unwrap();
    let shouted = with_email.email.clone().unwrap().to_uppercase();
    let found = zd
        .find_user_by_email(&format!("  {shouted} "))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(with_email.id));
    assert_eq!(
        zd.find_user_by_email("nobody@example.com").await.unwrap(),
        None
    );

    let new = NewEndUser {
        name: "Mr. Bob Miller Jr.".into(),
        email: "bob@example.com".into(),
    };
    let bob = zd.create_or_update_end_user(&new).await.unwrap();
    assert_eq!(bob.role, Some(UserRole::EndUser));
    let again = zd.create_or_update_end_user(&new).await.unwrap();
    assert_eq!(again.id, bob.id, "matched by e-mail, not duplicated");

    let bad = NewEndUser {
        name: "X".into(),
        email: "not-an-email".into(),
    };
    match zd.create_or_update_end_user(&bad).await.unwrap_err() {
        ZendeskError::Invalid {
            status: 422,
            summary,
            ..
        } => assert!(summary.contains("Email"), "{summary}"),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn webhooks_create_read_secret_and_delete() {
    let s = simulator(SimConfig::default()).await;
    let zd = client(&s.sim, test_config());
    let spec = NewWebhook {
        name: "zendesk-sync int-sim".into(),
        endpoint: "http://127.0.0.1:9/webhooks/zendesk/int-sim".into(),
        subscriptions: TICKET_EVENT_SUBSCRIPTIONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    let hook = zd.create_webhook(&spec).await.unwrap();
    let registered = s.sim.webhooks();
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].id, hook.id);
    assert_eq!(registered[0].endpoint, spec.endpoint);
    assert_eq!(registered[0].subscriptions, spec.subscriptions);

    let secret = zd.webhook_signing_secret(&hook.id).await.unwrap();
    assert_eq!(secret.expose_secret(), registered[0].signing_secret);

    zd.delete_webhook(&hook.id).await.unwrap();
    assert!(s.sim.webhooks().is_empty());
    zd.delete_webhook(&hook.id).await.unwrap(); // already gone: fine
    let err = zd.webhook_signing_secret(&hook.id).await.unwrap_err();
    assert!(matches!(err, ZendeskError::NotFound { .. }), "{err:?}");

    let nowhere = NewWebhook {
        endpoint: String::new(),
        ..spec
    };
    match zd.create_webhook(&nowhere).await.unwrap_err() {
        ZendeskError::Invalid {
            status: 400,
            summary,
            ..
        } => assert!(summary.contains("endpoint"), "{summary}"),
        e => panic!("{e:?}"),
    }
}
