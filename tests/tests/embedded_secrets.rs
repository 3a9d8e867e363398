//! The local secret file: owner-only permissions, atomic replacement, no secret in Debug.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use secrecy::SecretString;
use tempfile::TempDir;
use zsync_core::ports::SecretStore;
use zsync_embedded::{FileSecretStore, OpenError};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn the_file_is_created_owner_only_and_tightened_on_open() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("secrets.json");
    let secrets = FileSecretStore::open(&path).await.expect("open");
    assert_eq!(mode(&path), 0o600, "created 0600");
    secrets
        .put("a", &SecretString::from("v".to_owned()))
        .await
        .expect("put");
    assert_eq!(mode(&path), 0o600, "still 0600 after a replace");
    drop(secrets);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("loosen");
    FileSecretStore::open(&path).await.expect("reopen");
    assert_eq!(mode(&path), 0o600, "fixed on open");
}

#[tokio::test]
async fn writes_replace_the_file_atomically() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("secrets.json");
    let secrets = FileSecretStore::open(&path).await.expect("open");
    for i in 0..5 {
        let name = format!("integrations/i{i}/api-token");
        secrets
            .put(&name, &SecretString::from(format!("token-{i}")))
            .await
            .expect("put");
    }
    let entries: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        entries,
        vec![std::ffi::OsString::from("secrets.json")],
        "no temporary file left"
    );
    let content: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).expect("read")).expect("valid JSON");
    assert_eq!(content["secrets"].as_object().map(|o| o.len()), Some(5));
}

#[tokio::test]
async fn a_corrupt_file_is_an_error_not_an_empty_store() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("secrets.json");
    fs::write(&path, b"{ not json").expect("write");
    let result = FileSecretStore::open(&path).await;
    assert!(
        matches!(result, Err(OpenError::SecretFile { .. })),
        "{result:?}"
    );
    assert_eq!(
        fs::read(&path).expect("read"),
        b"{ not json",
        "the file is left for the operator"
    );
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let dir = TempDir::new().expect("temp dir");
    let secrets = FileSecretStore::open(dir.path().join("secrets.json"))
        .await
        .expect("open");
    secrets
        .put("token", &SecretString::from("hunter2-secret".to_owned()))
        .await
        .expect("put");
    let shown = format!("{secrets:?} {:?}", secrets.get("token").await.expect("get"));
    assert!(!shown.contains("hunter2"), "{shown}");
}
