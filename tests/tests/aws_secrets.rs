//! The Secrets Manager store against moto, beyond the shared conformance suite: the deployment
//! prefix, escaping names, and what errors show.

mod aws_common;

use aws_common::{fresh_secrets, sdk_config, unique};
use secrecy::{ExposeSecret, SecretString};
use zsync_aws::SecretsManagerStore;
use zsync_aws::aws_sdk_secretsmanager::Client;
use zsync_core::ports::{SecretError, SecretStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_stored_under_the_prefix_only() {
    let client = Client::new(&sdk_config().await);
    let prefix = format!("{}/", unique("zendesk-sync/stage"));
    let store = SecretsManagerStore::new(client.clone(), prefix.clone()).expect("prefix");
    store
        .put("integrations/acme/api-token", &SecretString::from("tok-1"))
        .await
        .expect("put");
    let raw = client
        .get_secret_value()
        .secret_id(format!("{prefix}integrations/acme/api-token"))
        .send()
        .await
        .expect("stored under the prefix");
    assert_eq!(raw.secret_string(), Some("tok-1"));

    // another stage's store does not see it
    let other = SecretsManagerStore::new(client, format!("{}/", unique("zendesk-sync/other")))
        .expect("prefix");
    assert!(
        other
            .get("integrations/acme/api-token")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_would_leave_the_prefix_are_refused_before_any_call() {
    let store = fresh_secrets().await;
    for bad in [
        "../prod/integrations/acme/api-token",
        "a/../../b",
        "/abs",
        "a//b",
    ] {
        let put = store.put(bad, &SecretString::from("x")).await;
        assert!(
            matches!(put, Err(SecretError::InvalidName(_))),
            "{bad}: {put:?}"
        );
        assert!(
            matches!(store.get(bad).await, Err(SecretError::InvalidName(_))),
            "{bad}"
        );
        assert!(
            matches!(store.delete(bad).await, Err(SecretError::InvalidName(_))),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_never_show_the_value() {
    // A client for an endpoint where nothing listens: every call fails.
    let config = sdk_config().await;
    let broken = zsync_aws::aws_sdk_secretsmanager::config::Builder::from(&config)
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(zsync_aws::aws_sdk_secretsmanager::config::retry::RetryConfig::disabled())
        .build();
    let store =
        SecretsManagerStore::new(Client::from_conf(broken), "zendesk-sync/x/").expect("prefix");
    let value = SecretString::from("very-secret-token-value");
    let err = store
        .put("integrations/acme/api-token", &value)
        .await
        .expect_err("unreachable");
    assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(value.expose_secret()), "{shown}");
}
