//! Zendesk answers are read with a size limit: a body larger than
//! `ClientConfig::max_response_bytes` is refused without being buffered whole, whether the
//! server announces its length or streams it chunked.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use secrecy::SecretString;
use zsync_core::ports::{ZendeskAccount, ZendeskApi, ZendeskError};
use zsync_mapping::IntegrationId;
use zsync_zendesk::{ClientConfig, ZendeskClient, ZendeskClientFactory};

const MIB: usize = 1024 * 1024;

/// `users/me` whose user has a 2 MiB name: valid JSON, just large.
fn large_user() -> String {
    format!(
        r#"{{"user": {{"id": 7, "name": "{}", "email": "api@acme.test", "role": "admin"}}}}"#,
        "n".repeat(2 * MIB)
    )
}

async fn serve(chunked: bool) -> String {
    let app = Router::new().route(
        "/api/v2/users/me.json",
        get(move || async move {
            let body = large_user();
            if chunked {
                let chunks: Vec<Result<String, std::io::Error>> = body
                    .as_bytes()
                    .chunks(64 * 1024)
                    .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
                    .collect();
                Body::from_stream(futures::stream::iter(chunks))
            } else {
                Body::from(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn client(base_url: &str, max_response_bytes: usize) -> ZendeskClient {
    ZendeskClientFactory::new(ClientConfig {
        max_response_bytes,
        ..ClientConfig::default()
    })
    .expect("factory")
    .client(ZendeskAccount {
        integration_id: IntegrationId::new("limits"),
        base_url: base_url.to_owned(),
        api_email: "api@acme.test".into(),
        api_token: SecretString::from("token"),
    })
    .expect("client")
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_in_either_transfer_form() {
    for chunked in [false, true] {
        let url = serve(chunked).await;
        let refused = client(&url, MIB).current_user().await;
        assert!(
            matches!(&refused, Err(ZendeskError::Decode { reason, .. }) if reason.contains("larger than")),
            "chunked {chunked}: {refused:?}"
        );
        // The same answer under a larger limit is read: the limit refused it, nothing else.
        let user = client(&url, 4 * MIB).current_user().await.expect("read");
        assert_eq!(user.id, 7);
    }
}
