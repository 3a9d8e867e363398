//! Secrets never leak (docs/sync-rules.md §2): the Zendesk API token and the webhook signing
//! secret appear in no API response, no log line (every level, every crate, captured from a
//! full sync, an activation, failed Zendesk calls and refused webhooks) and no Debug output.

mod api_common;
mod fault_common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use api_common::{Api, ZD_EMAIL, ZD_TOKEN, token};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use secrecy::SecretString;
use serde_json::json;
use zsync_core::export::run_integration_export;
use zsync_core::ports::ZendeskAccount;
use zsync_core::ports::secrets::webhook_secret_name;
use zsync_mapping::IntegrationId;
use zsync_zendesk::ZendeskClientFactory;
use zsync_zendesk_sim::{FaultPlan, SeedSpec};

/// Everything every tracing (and `log`) event of this test binary wrote.
fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer = buffer.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || BufferWriter(writer.clone()))
                .try_init()
                .expect("the only subscriber of this test binary");
            buffer
        })
        .clone()
}

struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The forms a secret could leak in: as is, and inside a Basic auth header.
fn leak_forms(secret: &str) -> Vec<String> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{ZD_EMAIL}/token:{secret}"));
    vec![secret.to_owned(), basic]
}

fn assert_absent(haystack: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !haystack.contains(secret.as_str()),
            "{what} contains a secret ({} bytes searched)",
            haystack.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_responses_logs_or_debug_output_across_a_full_sync() {
    let logs = log_buffer();
    let api = Api::start().await;
    api.sim.seed(SeedSpec {
        tickets: 30,
        users: 10,
        agents: 2,
        comments_per_ticket: 3,
        seed: 7,
    });
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, true, true).await;

    // Every integration route, the ones that take the token included.
    let show = api.get(&format!("/integrations/{id}"), &owner_token).await;
    assert_eq!(show.status, StatusCode::OK);
    assert_eq!(show.json["api_token_set"], true);
    assert!(show.json.get("api_token").is_none(), "{}", show.text);
    let list = api.get("/integrations", &owner_token).await;
    assert_eq!(list.status, StatusCode::OK);
    let edited = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"api_token": ZD_TOKEN, "name": "Renamed"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert!(edited.json.get("api_token").is_none());
    let refused = api
        .patch(
            &format!("/integrations/{id}"),
            &owner_token,
            json!({"api_token": ZD_TOKEN, "url": "ftp://nowhere"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let integration = IntegrationId::new(id.clone());
    let webhook_secret = api
        .ctx
        .secrets
        .get(&webhook_secret_name(&id))
        .await
        .unwrap()
        .expect("activation stored the signing secret");
    let webhook_secret_text = secrecy::ExposeSecret::expose_secret(&webhook_secret).to_owned();

    // A full sync with Zendesk failing now and then (errors are logged with their context).
    api.sim.inject_faults(FaultPlan {
        error_5xx_rate: 0.2,
        seed: 3,
        ..FaultPlan::default()
    });
    let job = api
        .post(
            &format!("/integrations/{id}/sync"),
            &owner_token,
            json!({"full": true}),
        )
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.text);
    let mut exported = 0;
    for _ in 0..20 {
        let run = run_integration_export(
            &api.ctx,
            &integration,
            Instant::now() + Duration::from_secs(60),
        )
        .await;
        exported += run.tickets_enqueued;
        if exported >= 30 {
            break;
        }
    }
    let drained = fault_common::drain(&api.ctx, api.queue.as_ref(), 8, 400).await;
    assert!(drained.done >= 30, "{drained:?}");
    api.sim.clear_faults();

    // Signed and forged webhooks through the route.
    let body = fault_common::ticket_event_body(1, 1, "evt-secret-test");
    let (signature, timestamp) = fault_common::signed_now(&webhook_secret, &body);
    for signature in [signature.as_str(), "Zm9yZ2Vk"] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/webhooks/zendesk/{id}"))
            .header("x-zendesk-webhook-signature", signature)
            .header("x-zendesk-webhook-signature-timestamp", &timestamp)
            .body(Body::from(body.clone()))
            .unwrap();
        api.send(request).await;
    }

    // A failing activation: Zendesk refuses the (wrong) token.
    let wrong_token = "zd-wrong-token-0b1d2c";
    let other_account = api.other_account().await;
    let mut settings = api_common::settings_for(&other_account, &owner, false);
    settings["api_token"] = json!(wrong_token);
    let other = api.post("/integrations", &owner_token, settings).await;
    let other_id = other.json["id"].as_str().unwrap().to_owned();
    let failed = api
        .post(
            &format!("/integrations/{other_id}/activate"),
            &owner_token,
            json!({}),
        )
        .await;
    assert!(failed.status.is_client_error(), "{}", failed.text);

    // Debug output of the parts holding secrets, and of errors of failed calls.
    let factory = ZendeskClientFactory::new(zsync_zendesk::ClientConfig::default()).unwrap();
    let account = ZendeskAccount {
        integration_id: integration.clone(),
        base_url: api.sim.base_url(),
        api_email: ZD_EMAIL.into(),
        api_token: SecretString::from(wrong_token),
    };
    let client = factory.client(account.clone()).unwrap();
    let call_error = zsync_core::ports::ZendeskApi::show_ticket(&client, 1)
        .await
        .expect_err("a wrong token is refused");
    let dir = tempfile::tempdir().unwrap();
    let file_secrets = zsync_embedded::FileSecretStore::open(dir.path().join("s.json"))
        .await
        .unwrap();
    zsync_core::ports::SecretStore::put(&file_secrets, "t", &SecretString::from(ZD_TOKEN))
        .await
        .unwrap();
    let debug = format!(
        "{account:?} {client:?} {factory:?} {call_error:?} {call_error} {:?} {:?} {:?} {:?}",
        file_secrets,
        api.ctx.settings,
        zsync_api::Auth::hs256(&SecretString::from(api_common::AUTH_SECRET)).unwrap(),
        webhook_secret,
    );
    let mut secrets = leak_forms(ZD_TOKEN);
    secrets.extend(leak_forms(wrong_token));
    secrets.push(webhook_secret_text.clone());
    secrets.push(api_common::AUTH_SECRET.to_owned());
    assert_absent(&debug, &secrets, "Debug output");

    api.assert_token_never_returned();
    for body in api.bodies.lock().unwrap().iter() {
        assert_absent(body, &secrets, "an API response");
    }

    let captured = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        captured.contains("webhook accepted") && captured.contains("export run finished"),
        "the subscriber saw the flows (so an absent secret means something)"
    );
    assert_absent(&captured, &secrets, "the logs");
    assert!(!captured.contains(&token("owner@crm.example.com", &[])[..40]));
}
