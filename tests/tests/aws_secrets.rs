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

/// The cache the Lambdas are wired with, over Secrets Manager: what AWS bills is one
/// GetSecretValue per name per TTL, and one more once a refused secret may be re-read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_cost_one_get_secret_value_per_name_per_ttl() {
    use std::sync::Arc;
    use zsync_aws::RequestCounter;
    use zsync_aws::aws_sdk_secretsmanager::config::Builder;
    use zsync_core::context::SystemClock;
    use zsync_core::secret_cache::{CachedSecretStore, DEFAULT_SECRET_TTL};

    let counter = RequestCounter::default();
    let client = Client::from_conf(
        Builder::from(&sdk_config().await)
            .interceptor(counter.clone())
            .build(),
    );
    let prefix = format!("{}/", unique("zendesk-sync/cache"));
    let store = SecretsManagerStore::new(client, prefix).expect("prefix");
    store
        .put(
            "integrations/acme/webhook-secret",
            &SecretString::from("s1"),
        )
        .await
        .expect("put");
    let cached = CachedSecretStore::new(Arc::new(store), Arc::new(SystemClock), DEFAULT_SECRET_TTL);
    counter.reset();
    for _ in 0..50 {
        let value = cached
            .get("integrations/acme/webhook-secret")
            .await
            .expect("get")
            .expect("stored");
        assert_eq!(value.expose_secret(), "s1");
    }
    assert_eq!(counter.requests("GetSecretValue"), 1);
    // Refused moments after the read: not read again yet (forged signatures cost nothing).
    assert!(!cached.invalidate("integrations/acme/webhook-secret"));
    cached
        .get("integrations/acme/webhook-secret")
        .await
        .expect("get");
    assert_eq!(counter.requests("GetSecretValue"), 1);
}
