//! Webhook deliveries (docs/sync-rules.md §6) through the route: forged, tampered, stale, replayed
//! and oversized deliveries are refused (or taken as duplicates) and enqueue nothing.

mod api_common;
mod fault_common;

use api_common::{Api, Reply};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration, SecondsFormat, Utc};
use secrecy::SecretString;
use zsync_core::ports::SyncQueue;
use zsync_core::ports::secrets::webhook_secret_name;
use zsync_core::webhook_signature::sign;

async fn deliver(
    api: &Api,
    id: &str,
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("/webhooks/zendesk/{id}"))
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("x-zendesk-webhook-signature", signature);
    }
    if let Some(timestamp) = timestamp {
        request = request.header("x-zendesk-webhook-signature-timestamp", timestamp);
    }
    api.send(request.body(Body::from(body.to_vec())).unwrap())
        .await
}

async fn active_integration(api: &Api) -> (String, SecretString) {
    let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
    let id = api.integration(&owner_token, &owner, false, true).await;
    let secret = api
        .ctx
        .secrets
        .get(&webhook_secret_name(&id))
        .await
        .unwrap()
        .expect("signing secret");
    (id, secret)
}

fn refused(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], code, "{}", reply.text);
}

#[tokio::test]
async fn forged_tampered_stale_and_unsigned_deliveries_are_refused() {
    let api = Api::start().await;
    let (id, secret) = active_integration(&api).await;
    let body = fault_common::ticket_event_body(1, 5, "evt-1");
    let (good_sig, ts) = fault_common::signed_now(&secret, &body);

    let forged = sign(&SecretString::from("guessed-secret"), &ts, &body);
    refused(
        &deliver(&api, &id, &body, Some(&forged), Some(&ts)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 0x01;
    refused(
        &deliver(&api, &id, &tampered, Some(&good_sig), Some(&ts)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    refused(
        &deliver(&api, &id, &body, None, Some(&ts)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );
    refused(
        &deliver(&api, &id, &body, Some(&good_sig), None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );
    refused(
        &deliver(&api, &id, &body, Some("not base64!"), Some(&ts)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    // Correctly signed, but captured long ago (or stamped in the future): a replay.
    for skew in [
        Duration::minutes(-6),
        Duration::minutes(6),
        Duration::days(-400),
    ] {
        let stamp = (Utc::now() + skew).to_rfc3339_opts(SecondsFormat::Secs, true);
        let sig = sign(&secret, &stamp, &body);
        refused(
            &deliver(&api, &id, &body, Some(&sig), Some(&stamp)).await,
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        );
    }

    // Signed for another integration: its secret does not open this one.
    let other_owner = api.user("other@crm.example.com", false).await;
    let other_account = api.other_account().await;
    let other = api
        .integration_on(&other_account, &other_owner.1, &other_owner.0, false, true)
        .await;
    let other_secret = api
        .ctx
        .secrets
        .get(&webhook_secret_name(&other))
        .await
        .unwrap()
        .unwrap();
    let (sig, ts2) = fault_common::signed_now(&other_secret, &body);
    refused(
        &deliver(&api, &id, &body, Some(&sig), Some(&ts2)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    );

    refused(
        &deliver(
            &api,
            "no-such-integration",
            &body,
            Some(&good_sig),
            Some(&ts),
        )
        .await,
        StatusCode::NOT_FOUND,
        "integration_not_found",
    );
    assert_eq!(
        api.queue.depth().await.unwrap(),
        0,
        "nothing refused was enqueued"
    );

    let ok = deliver(&api, &id, &body, Some(&good_sig), Some(&ts)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json["accepted"], 1);
}

#[tokio::test]
async fn a_replayed_event_is_a_harmless_duplicate_even_when_signed_again() {
    let api = Api::start().await;
    let (id, secret) = active_integration(&api).await;
    let body = fault_common::ticket_event_body(1, 9, "evt-replayed");
    let (sig, ts) = fault_common::signed_now(&secret, &body);
    let first = deliver(&api, &id, &body, Some(&sig), Some(&ts)).await;
    assert_eq!(first.json["accepted"], 1, "{}", first.text);
    let again = deliver(&api, &id, &body, Some(&sig), Some(&ts)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json["duplicate"], true);
    // Zendesk's own retry carries the same event id with a fresh timestamp and signature.
    let later = (Utc::now() + Duration::seconds(30)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let resigned = sign(&secret, &later, &body);
    let retry = deliver(&api, &id, &body, Some(&resigned), Some(&later)).await;
    assert_eq!(retry.json["duplicate"], true, "{}", retry.text);
    assert_eq!(
        api.queue.depth().await.unwrap(),
        1,
        "one event, one message"
    );

    // A trigger body has no event id: the same signed delivery twice is one message.
    let trigger = br#"{"ticket_id": "12"}"#;
    let (sig, ts) = fault_common::signed_now(&secret, trigger);
    assert_eq!(
        deliver(&api, &id, trigger, Some(&sig), Some(&ts))
            .await
            .json["accepted"],
        1
    );
    assert_eq!(
        deliver(&api, &id, trigger, Some(&sig), Some(&ts))
            .await
            .json["duplicate"],
        true
    );
    assert_eq!(api.queue.depth().await.unwrap(), 2);
}

#[tokio::test]
async fn oversized_deliveries_get_413_before_anything_else_and_inactive_ones_410() {
    let api = Api::start().await;
    let (id, secret) = active_integration(&api).await;
    let mut big = br#"{"ticket_id": "12", "pad": ""#.to_vec();
    big.extend(std::iter::repeat_n(
        b'x',
        zsync_core::intake::MAX_WEBHOOK_BODY_BYTES,
    ));
    big.extend(br#""}"#);
    let (sig, ts) = fault_common::signed_now(&secret, &big);
    refused(
        &deliver(&api, &id, &big, Some(&sig), Some(&ts)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Unsigned and oversized: still 413, the body is never read past the limit.
    refused(
        &deliver(&api, &id, &big, None, None).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );

    let (_, owner_token) = (0, api_common::token("owner@crm.example.com", &[]));
    let off = api
        .post(
            &format!("/integrations/{id}/deactivate"),
            &owner_token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let body = fault_common::ticket_event_body(1, 5, "evt-late");
    // Deactivation removes the secret or marks the integration inactive; either way nothing
    // is enqueued and Zendesk is not asked to retry with a 5xx.
    let (sig, ts) = fault_common::signed_now(&secret, &body);
    let late = deliver(&api, &id, &body, Some(&sig), Some(&ts)).await;
    assert!(matches!(late.status.as_u16(), 401 | 410), "{}", late.text);
    assert_eq!(api.queue.depth().await.unwrap(), 0);
}
