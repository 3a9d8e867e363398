//! Fuzz target: everything decoded from outside that is not HTTP request bodies — Zendesk
//! responses (every wire type, arbitrary JSON-ish values and byte/structure mutations of the
//! recorded fixtures), queue messages, and the pure helpers that read their strings (contact
//! names, e-mails, integration URLs). Nothing panics; a decoded ticket goes through the
//! mapping without panicking either. Run long with `scripts/fuzz.sh`.

mod fuzz_common;

use proptest::prelude::*;
use serde_json::Value;
use zsync_core::SyncMessage;
use zsync_mapping::case_mapping::disposition;
use zsync_mapping::contact_name::parse_contact_name;
use zsync_mapping::email::{normalize_email, usable_email};
use zsync_mapping::integration_url::normalize_integration_url;
use zsync_mapping::zendesk::{
    CommentPage, ErrorBody, InvocationAttemptList, SigningSecretEnvelope, TicketEnvelope,
    TicketEventPage, TicketExportPage, TicketList, UserEnvelope, UserList, WebhookEnvelope,
};

const TARGET: &str = "zendesk_payload";
const TARGET_MESSAGE: &str = "queue_message";

/// Every decoder Zendesk bytes meet; what decodes goes through the mapping.
fn check_payload(bytes: &[u8]) {
    fuzz_common::guard(TARGET, bytes, || {
        if let Ok(page) = serde_json::from_slice::<TicketExportPage>(bytes) {
            for ticket in &page.tickets {
                let _ = disposition(ticket, None);
            }
            for user in &page.users {
                let _ = parse_contact_name(&user.name);
                let _ = usable_email(user.email.as_deref());
            }
        }
        let _ = zsync_zendesk::parse_export_page(bytes);
        let _ = serde_json::from_slice::<TicketEventPage>(bytes).ok();
        if let Ok(envelope) = serde_json::from_slice::<TicketEnvelope>(bytes) {
            let _ = disposition(&envelope.ticket, None);
        }
        let _ = serde_json::from_slice::<TicketList>(bytes).ok();
        let _ = serde_json::from_slice::<CommentPage>(bytes).ok();
        let _ = serde_json::from_slice::<UserList>(bytes).ok();
        let _ = serde_json::from_slice::<UserEnvelope>(bytes).ok();
        let _ = serde_json::from_slice::<ErrorBody>(bytes).ok();
        let _ = serde_json::from_slice::<WebhookEnvelope>(bytes).ok();
        let _ = serde_json::from_slice::<SigningSecretEnvelope>(bytes).ok();
        let _ = serde_json::from_slice::<InvocationAttemptList>(bytes).ok();
    });
}

fn check_message(raw: &str) {
    fuzz_common::guard(TARGET_MESSAGE, raw.as_bytes(), || {
        if let Ok(message) = SyncMessage::decode(raw) {
            // What decodes re-encodes to something that decodes to the same message.
            let again = SyncMessage::decode(&message.encode()).expect("re-encoded message decodes");
            assert_eq!(again, message);
        }
    });
}

fn fixture() -> impl Strategy<Value = (String, Vec<u8>)> {
    proptest::sample::select(fuzz_common::fixtures())
}

proptest! {
    #![proptest_config(fuzz_common::config())]

    #[test]
    fn arbitrary_json_never_crashes_a_decoder(value in fuzz_common::json_object()) {
        check_payload(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_fixture_bytes_never_crash_a_decoder(
        (_, bytes) in fixture(),
        ops in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        check_payload(&fuzz_common::mutate_bytes(bytes, &ops));
    }

    #[test]
    fn fixtures_with_a_subtree_replaced_never_crash_a_decoder(
        (_, bytes) in fixture(),
        at in any::<usize>(),
        with in fuzz_common::json_value(),
    ) {
        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        let mut n = at % 400;
        fuzz_common::replace_nth(&mut value, &mut n, &with);
        check_payload(value.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_queue_messages_never_crash_the_decoder(
        kind in prop_oneof![
            proptest::sample::select(vec!["ticket_snapshot", "ticket_comments", "ticket_comments_changed",
                                          "ticket_changed", "case_changed", "case_comment_added"]).prop_map(str::to_owned),
            "[a-z_]{0,16}",
        ],
        v in prop_oneof![Just(Value::from(1)), fuzz_common::json_value()],
        body in fuzz_common::json_value(),
    ) {
        check_message(&serde_json::json!({"v": v, "kind": kind, "body": body}).to_string());
    }

    #[test]
    fn arbitrary_strings_never_crash_the_string_readers(raw in "\\PC{0,80}", bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let _ = parse_contact_name(&raw);
        let _ = normalize_email(&raw);
        let _ = usable_email(Some(&raw));
        for insecure in [false, true] {
            if let Ok(url) = normalize_integration_url(&raw, insecure) {
                // Normalising is idempotent.
                prop_assert_eq!(normalize_integration_url(&url, insecure), Ok(url.clone()));
            }
        }
        check_message(&raw);
        check_message(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn every_fixture_decodes_as_recorded() {
    for (name, bytes) in fuzz_common::fixtures() {
        check_payload(&bytes);
        assert!(serde_json::from_slice::<Value>(&bytes).is_ok(), "{name}");
    }
    let page: TicketExportPage = serde_json::from_slice(
        &std::fs::read(fixture_path("incremental_tickets_cursor_page.json")).unwrap(),
    )
    .expect("the recorded export page decodes");
    assert!(!page.tickets.is_empty());
}

fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(fuzz_common::ZENDESK_FIXTURES).join(name)
}

#[test]
fn kept_crash_inputs_still_pass() {
    for (name, bytes) in fuzz_common::kept_inputs(TARGET) {
        eprintln!("replaying {TARGET}/{name}");
        check_payload(&bytes);
    }
    for (name, bytes) in fuzz_common::kept_inputs(TARGET_MESSAGE) {
        eprintln!("replaying {TARGET_MESSAGE}/{name}");
        check_message(&String::from_utf8_lossy(&bytes));
    }
}
