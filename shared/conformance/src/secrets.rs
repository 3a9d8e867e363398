//! The `SecretStore` conformance suite (the contract in `zsync_core::ports::secrets`).

use secrecy::{ExposeSecret, SecretString};
use zsync_core::ports::secrets::{api_token_name, webhook_secret_name};
use zsync_core::ports::{SecretError, SecretStore};

/// Expands to one `#[tokio::test]` per secrets case, in a module `secrets_conformance`.
/// `$make` is an async factory `() -> Fresh<dyn SecretStore>` called once per test.
#[macro_export]
macro_rules! secrets_conformance_tests {
    ($make:expr) => {
        $crate::__conformance_tests!(
            secrets_conformance,
            secrets,
            $make,
            [
                put_get_overwrite,
                delete_is_idempotent,
                names_are_validated,
                values_round_trip_and_stay_redacted,
            ]
        );
    };
}

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

async fn read(store: &dyn SecretStore, name: &str) -> Option<String> {
    store
        .get(name)
        .await
        .expect("get")
        .map(|s| s.expose_secret().to_owned())
}

pub async fn put_get_overwrite(store: &dyn SecretStore) {
    let token = api_token_name("acme");
    assert_eq!(read(store, &token).await, None);
    store.put(&token, &secret("token-1")).await.expect("put");
    store
        .put(&webhook_secret_name("acme"), &secret("hook-1"))
        .await
        .expect("put");
    assert_eq!(read(store, &token).await.as_deref(), Some("token-1"));
    store
        .put(&token, &secret("token-2"))
        .await
        .expect("overwrite");
    assert_eq!(read(store, &token).await.as_deref(), Some("token-2"));
    assert_eq!(
        read(store, &webhook_secret_name("acme")).await.as_deref(),
        Some("hook-1")
    );
    assert_eq!(read(store, &api_token_name("globex")).await, None);
}

pub async fn delete_is_idempotent(store: &dyn SecretStore) {
    let token = api_token_name("acme");
    store.put(&token, &secret("token-1")).await.expect("put");
    store.delete(&token).await.expect("delete");
    assert_eq!(read(store, &token).await, None);
    store.delete(&token).await.expect("delete again");
    store
        .delete(&api_token_name("never-existed"))
        .await
        .expect("delete unknown");
    store
        .put(&token, &secret("token-3"))
        .await
        .expect("put after delete");
    assert_eq!(read(store, &token).await.as_deref(), Some("token-3"));
}

/// Names outside Secrets Manager's alphabet (letters, digits, `/_+=.@-`) are refused.
pub async fn names_are_validated(store: &dyn SecretStore) {
    for bad in ["", "has space", "line\nbreak", "semi;colon", "ümlaut"] {
        let result = store.put(bad, &secret("x")).await;
        assert!(
            matches!(result, Err(SecretError::InvalidName(_))),
            "{bad:?}: {result:?}"
        );
    }
    store
        .put("a-Z_0.9/+=@x", &secret("fine"))
        .await
        .expect("allowed characters");
}

pub async fn values_round_trip_and_stay_redacted(store: &dyn SecretStore) {
    let value = "s3cr3t-ünïcödé \"quoted\" {json} \n multi-line";
    let name = webhook_secret_name("acme");
    store.put(&name, &secret(value)).await.expect("put");
    let got = store.get(&name).await.expect("get");
    assert_eq!(got.as_ref().map(|s| s.expose_secret()), Some(value));
    let shown = format!("{got:?}");
    assert!(!shown.contains("s3cr3t"), "Debug shows the secret: {shown}");
}
