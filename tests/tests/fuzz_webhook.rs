//! Fuzz target: the webhook body parser, signature verification and the whole intake route.
//! Arbitrary bytes and headers never panic; refusals are typed (`WebhookBodyError`,
//! `SignatureError`, `WebhookRefusal`) and the route answers them in the JSON error shape with a
//! 4xx, never a 5xx. Run long with `scripts/fuzz.sh`.

mod api_common;
mod fault_common;
mod fuzz_common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::Value;
use zsync_core::webhook_signature::{SignatureError, sign, verify};
use zsync_mapping::zendesk::parse_webhook_body;

const TARGET_BODY: &str = "webhook_body";
const TARGET_ROUTE: &str = "webhook_route";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// What the parser promises: no panic, and an accepted body names at least one ticket.
fn check_body(bytes: &[u8]) {
    fuzz_common::guard(TARGET_BODY, bytes, || {
        if let Ok(notice) = parse_webhook_body(bytes) {
            assert!(!notice.ticket_ids.is_empty(), "accepted without a ticket");
            assert!(
                serde_json::from_slice::<Value>(bytes).is_ok(),
                "accepted non-JSON"
            );
        }
    });
}

/// Verification never panics and accepts only the genuine signature.
fn check_signature(signature: Option<&str>, timestamp: Option<&str>, body: &[u8]) {
    let secret = SecretString::from("fuzz-secret");
    let answer = verify(&secret, signature, timestamp, body, now());
    if answer.is_ok() {
        let (Some(sig), Some(ts)) = (signature, timestamp) else {
            panic!("accepted without headers");
        };
        assert_eq!(
            sig.trim(),
            sign(&secret, ts, body),
            "accepted a forged signature"
        );
    }
}

fn genuine_stamp() -> impl Strategy<Value = String> {
    (-400_i64..400).prop_map(|secs| (now() + chrono::Duration::seconds(secs)).to_rfc3339())
}

proptest! {
    #![proptest_config(fuzz_common::config())]

    #[test]
    fn arbitrary_bytes_never_crash_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_body(&bytes);
    }

    #[test]
    fn json_shaped_bodies_never_crash_the_parser(value in fuzz_common::json_object()) {
        check_body(value.to_string().as_bytes());
    }

    #[test]
    fn event_bodies_with_odd_ids_never_crash_the_parser(
        id in fuzz_common::json_value(),
        subject in prop_oneof![Just("zen:ticket:".to_owned()), "zen:ticket:\\PC{0,24}", "\\PC{0,24}"],
        kind in prop_oneof![Just("zen:event-type:ticket.status_changed".to_owned()), "\\PC{0,40}"],
    ) {
        let body = serde_json::json!({"type": kind, "subject": subject, "detail": {"id": id}, "id": "e"});
        check_body(body.to_string().as_bytes());
        let trigger = serde_json::json!({"ticket_id": id});
        check_body(trigger.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_headers_are_refused_with_a_typed_error(
        signature in prop::option::of("\\PC{0,64}"),
        timestamp in prop::option::of(prop_oneof![genuine_stamp(), "\\PC{0,40}"]),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        check_signature(signature.as_deref(), timestamp.as_deref(), &body);
    }

    #[test]
    fn any_change_to_a_signed_delivery_breaks_its_signature(
        body in prop::collection::vec(any::<u8>(), 1..256),
        stamp in genuine_stamp(),
        at in any::<usize>(),
        flip in 1_u8..=255,
    ) {
        let secret = SecretString::from("fuzz-secret");
        let sig = sign(&secret, &stamp, &body);
        let skew_ok = (now() - DateTime::parse_from_rfc3339(&stamp).unwrap().with_timezone(&Utc)).abs()
            <= zsync_core::webhook_signature::MAX_SKEW;
        let expected = if skew_ok { Ok(()) } else { Err(SignatureError::StaleTimestamp) };
        prop_assert_eq!(verify(&secret, Some(&sig), Some(&stamp), &body, now()), expected);
        let mut tampered = body.clone();
        let i = at % tampered.len();
        tampered[i] ^= flip;
        prop_assert!(verify(&secret, Some(&sig), Some(&stamp), &tampered, now()).is_err());
    }
}

/// One API (router on the embedded store) for all route cases of this binary.
struct RouteWorld {
    rt: tokio::runtime::Runtime,
    api: api_common::Api,
    integration: String,
    secret: SecretString,
}

fn route_world() -> &'static RouteWorld {
    static WORLD: OnceLock<RouteWorld> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (api, integration, secret) = rt.block_on(async {
            let api = api_common::Api::start().await;
            let (owner, owner_token) = api.user("owner@crm.example.com", false).await;
            let id = api.integration(&owner_token, &owner, false, true).await;
            let name = zsync_core::ports::secrets::webhook_secret_name(&id);
            let secret = api.ctx.secrets.get(&name).await.unwrap().unwrap();
            (api, id, secret)
        });
        RouteWorld {
            rt,
            api,
            integration,
            secret,
        }
    })
}

/// The route never answers 5xx to a bad delivery and always in the error shape.
fn check_route(body: &[u8], signature: Option<&str>, timestamp: Option<&str>, sign_it: bool) {
    let world = route_world();
    // The body is what is kept; the replay sends it unsigned and signed.
    fuzz_common::guard(TARGET_ROUTE, body, || {
        world.rt.block_on(async {
            let (signature, timestamp) = if sign_it {
                let (s, t) = fault_common::signed_now(&world.secret, body);
                (Some(s), Some(t))
            } else {
                (signature.map(str::to_owned), timestamp.map(str::to_owned))
            };
            let mut request = Request::builder()
                .method(Method::POST)
                .uri(format!("/webhooks/zendesk/{}", world.integration));
            if let Some(s) = &signature {
                request = request.header("x-zendesk-webhook-signature", s);
            }
            if let Some(t) = &timestamp {
                request = request.header("x-zendesk-webhook-signature-timestamp", t);
            }
            let reply = world
                .api
                .send(request.body(Body::from(body.to_vec())).unwrap())
                .await;
            assert!(
                reply.status.as_u16() < 500,
                "{}: {}",
                reply.status,
                reply.text
            );
            if reply.status.is_success() {
                assert!(sign_it, "accepted an unsigned delivery: {}", reply.text);
                assert!(reply.json["accepted"].is_u64(), "{}", reply.text);
            } else {
                assert!(reply.json["error"]["code"].is_string(), "{}", reply.text);
                assert!(reply.json["error"]["message"].is_string(), "{}", reply.text);
            }
        });
    });
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    // Header values must be visible ASCII (the HTTP layer refuses others before us).
    prop::option::of("[ -~]{0,48}")
}

proptest! {
    #![proptest_config(fuzz_common::config())]

    #[test]
    fn the_route_refuses_garbage_in_the_error_shape(
        body in prop::collection::vec(any::<u8>(), 0..256),
        signature in header_value(),
        timestamp in header_value(),
    ) {
        check_route(&body, signature.as_deref(), timestamp.as_deref(), false);
    }

    #[test]
    fn the_route_answers_signed_json_without_a_5xx(value in fuzz_common::json_object(), id in fuzz_common::json_value()) {
        let mut value = value;
        if let Value::Object(map) = &mut value {
            map.insert("type".into(), "zen:event-type:ticket.status_changed".into());
            map.insert("subject".into(), format!("zen:ticket:{id}").into());
        }
        check_route(value.to_string().as_bytes(), None, None, true);
    }
}

#[test]
fn kept_crash_inputs_still_pass() {
    for (name, bytes) in fuzz_common::kept_inputs(TARGET_BODY) {
        eprintln!("replaying {TARGET_BODY}/{name}");
        check_body(&bytes);
    }
    for (name, bytes) in fuzz_common::kept_inputs(TARGET_ROUTE) {
        eprintln!("replaying {TARGET_ROUTE}/{name}");
        check_route(&bytes, None, None, false);
        check_route(&bytes, None, None, true);
    }
}
