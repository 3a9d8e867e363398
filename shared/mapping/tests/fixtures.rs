//! Every recorded Zendesk response in the repository's `tests/fixtures/zendesk` parses into its
//! wire type and says what we rely on. A missing directory, a fixture without an expectation here
//! or one that differs from its recorded bytes (the sha256 in its `.source.txt`) fails the run:
//! never skipped silently.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use zsync_mapping::case_mapping::{TicketDisposition, disposition, inbound_status, new_case};
use zsync_mapping::comment_mapping::description_comment;
use zsync_mapping::people::{KnownPeople, PersonResolution, TicketPeople, resolve_person};
use zsync_mapping::record_mapping::new_ticket_record;
use zsync_mapping::zendesk::{
    CommentPage, ErrorBody, InvocationAttemptList, SigningSecretEnvelope, TicketEnvelope,
    TicketExportPage, TicketPriority, TicketStatus, TicketType, UserList, UserRole,
    WebhookBodyError, parse_webhook_body,
};
use zsync_mapping::{CasePriority, CaseStatus, UserId};

/// The recorded Zendesk responses, kept in the repository (`tests/fixtures/zendesk`).
const ZENDESK_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zendesk");

fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(ZENDESK_FIXTURES);
    assert!(
        dir.join("ticket_show.json").is_file(),
        "Zendesk fixtures not found at {}",
        dir.display()
    );
    dir
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_slice(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fixtures this file checks, one test each below.
const CHECKED: &[&str] = &[
    "error_404_record_not_found.json",
    "error_422_closed_ticket.json",
    "incremental_tickets_cursor_final_page.json",
    "incremental_tickets_cursor_page.json",
    "incremental_tickets_time_based_page.json",
    "ticket_comments_page.json",
    "ticket_create_201.json",
    "ticket_show.json",
    "users_show_many.json",
    "webhook_event_user_deleted_raw_body.json",
    "webhook_invocation_attempts.json",
    "webhook_signing_secret.json",
];

#[test]
fn every_fixture_has_an_expectation() {
    let present: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory lists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let checked: BTreeSet<String> = CHECKED.iter().map(|s| s.to_string()).collect();
    assert_eq!(present, checked, "fixtures and this test's list differ");
}

/// Each fixture is the recorded body byte for byte: its `.source.txt` says where it was recorded
/// and gives the sha256 of the saved file.
#[test]
fn every_fixture_matches_its_recorded_source() {
    for name in CHECKED {
        let source_name = name.replace(".json", ".source.txt");
        let source = String::from_utf8(read(&source_name))
            .unwrap_or_else(|e| panic!("{source_name} is not UTF-8: {e}"));
        let recorded = source
            .lines()
            .find_map(|line| line.strip_prefix("sha256 of saved file: "))
            .unwrap_or_else(|| panic!("{source_name} gives no sha256 of the saved file"));
        let actual: String = Sha256::digest(read(name))
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(actual, recorded.trim(), "{name} differs from its recording");
    }
}

#[test]
fn error_404() {
    let body: ErrorBody = parse("error_404_record_not_found.json");
    assert_eq!(body.code(), Some("RecordNotFound"));
    assert_eq!(body.summary(), "RecordNotFound: Not found");
    assert!(!body.is_closed_ticket());
}

#[test]
fn error_422_closed_ticket() {
    let body: ErrorBody = parse("error_422_closed_ticket.json");
    assert_eq!(body.code(), Some("RecordInvalid"));
    assert!(body.is_closed_ticket());
}

fn map_every_ticket(page: &TicketExportPage) {
    let people = KnownPeople::new(page.users.clone(), [], []);
    let owner = UserId::new("owner");
    for ticket in &page.tickets {
        let resolved = zsync_mapping::people::resolve_ticket_people(ticket, &[], &people, &owner)
            .unwrap_or_default();
        let case = new_case(
            ticket,
            "c".into(),
            "i".into(),
            &resolved,
            chrono::Utc::now(),
        );
        assert!(!case.subject.is_empty());
        new_ticket_record(ticket, "i".into(), "c".into(), &resolved);
    }
}

#[test]
fn cursor_export_final_page_with_a_deleted_ticket() {
    let page: TicketExportPage = parse("incremental_tickets_cursor_final_page.json");
    assert_eq!(page.tickets.len(), 87);
    assert!(page.end_of_stream);
    assert_eq!(
        page.after_cursor.as_deref(),
        Some("MTcwNzI3MTc0MS4wfHw0MDQ1fA==")
    );
    let deleted: Vec<_> = page.tickets.iter().filter(|t| t.is_deleted()).collect();
    assert_eq!(deleted.len(), 1);
    let gone = deleted[0];
    assert_eq!(gone.id, 4034);
    assert_eq!(gone.subject.as_deref(), Some("SCRUBBED"));
    // never seen before: nothing to create; linked: mark the record deleted, keep the case
    assert_eq!(disposition(gone, None), TicketDisposition::IgnoreDeleted);
    let record = new_ticket_record(
        &page.tickets[0],
        "i".into(),
        "c".into(),
        &TicketPeople::default(),
    );
    assert_eq!(
        disposition(gone, Some(&record)),
        TicketDisposition::MarkDeleted
    );
    // every other status in the page maps to a case status
    for ticket in page.tickets.iter().filter(|t| !t.is_deleted()) {
        assert!(matches!(
            inbound_status(ticket.status.as_ref()),
            zsync_mapping::case_mapping::InboundStatus::Case(_)
        ));
    }
    map_every_ticket(&page);
}

#[test]
fn cursor_export_page() {
    let page: TicketExportPage = parse("incremental_tickets_cursor_page.json");
    assert_eq!(page.tickets.len(), 1);
    assert!(!page.end_of_stream);
    assert_eq!(
        page.after_cursor.as_deref(),
        Some("MTY5NTA1MjY2My4wfHwyOHw=")
    );
    let ticket = &page.tickets[0];
    assert_eq!(ticket.id, 28);
    assert_eq!(ticket.status, Some(TicketStatus::New));
    assert_eq!(ticket.priority, None);
    assert_eq!(ticket.generated_timestamp, Some(1_695_052_663));
    map_every_ticket(&page);
}

#[test]
fn time_based_export_page() {
    let page: TicketExportPage = parse("incremental_tickets_time_based_page.json");
    assert_eq!(page.tickets.len(), 7);
    assert_eq!(page.count, Some(7));
    assert!(!page.end_of_stream);
    assert_eq!(page.end_time, Some(1_695_052_664));
    assert!(
        page.next_page
            .as_deref()
            .is_some_and(|u| u.contains("start_time=1695052664"))
    );
    map_every_ticket(&page);
}

#[test]
fn ticket_comments_page() {
    let page: CommentPage = parse("ticket_comments_page.json");
    assert_eq!(page.comments.len(), 1);
    let comment = &page.comments[0];
    assert_eq!(comment.id, 33_144_692_244_499);
    assert_eq!(comment.author_id, Some(26_155_588_908_179));
    assert_eq!(comment.body, "Some comment");
    assert!(comment.public);
    assert!(!page.meta.has_more);
    assert!(page.meta.after_cursor.is_some());
    assert_eq!(
        description_comment(&page.comments).map(|c| c.id),
        Some(comment.id)
    );
}

#[test]
fn ticket_create_201() {
    let created: TicketEnvelope = parse("ticket_create_201.json");
    assert_eq!(created.ticket.id, 4014);
    assert_eq!(created.ticket.status, Some(TicketStatus::New));
    assert_eq!(created.ticket.description.as_deref(), Some("test"));
    assert!(created.users.is_empty());
}

#[test]
fn ticket_show_maps_to_a_case() {
    let shown: TicketEnvelope = parse("ticket_show.json");
    let ticket = &shown.ticket;
    assert_eq!(ticket.id, 1);
    assert_eq!(ticket.ticket_type, Some(TicketType::Incident));
    assert_eq!(ticket.priority, Some(TicketPriority::Normal));
    assert_eq!(ticket.assignee_id, Some(6_130_907_993_114));
    assert_eq!(ticket.tags, vec!["sample", "support", "zendesk"]);
    let case = new_case(
        ticket,
        "c".into(),
        "i".into(),
        &TicketPeople::default(),
        chrono::Utc::now(),
    );
    assert_eq!(case.subject, "Sample ticket: Meet the ticket");
    assert_eq!(case.status, CaseStatus::Open);
    assert_eq!(case.priority, CasePriority::Normal);
    assert!(case.description.starts_with("Hi there,"));
}

#[test]
fn users_show_many() {
    let list: UserList = parse("users_show_many.json");
    assert_eq!(list.users.len(), 1);
    let user = &list.users[0];
    assert_eq!(user.id, 6_164_069_176_474);
    assert_eq!(user.role, Some(UserRole::EndUser));
    assert_eq!(user.email, None);
    // an end-user without e-mail gets no contact
    let people = KnownPeople::new(list.users.clone(), [], []);
    assert_eq!(
        resolve_person(Some(user.id), &people, &UserId::new("owner")),
        PersonResolution::NoReference
    );
}

#[test]
fn webhook_body_of_a_user_event_is_not_a_ticket_event() {
    let body = read("webhook_event_user_deleted_raw_body.json");
    assert_eq!(
        parse_webhook_body(&body),
        Err(WebhookBodyError::NotATicketEvent(
            "zen:event-type:user.deleted".into()
        ))
    );
}

#[test]
fn webhook_invocation_attempts_carry_the_raw_body_and_signature_headers() {
    let list: InvocationAttemptList = parse("webhook_invocation_attempts.json");
    assert_eq!(list.attempts.len(), 2);
    // a throttled attempt records neither request nor response
    let throttled = &list.attempts[1];
    assert_eq!(throttled.status.as_deref(), Some("throttled"));
    assert_eq!((throttled.status_code, &throttled.request), (None, &None));
    let attempt = &list.attempts[0];
    assert_eq!(attempt.status_code, Some(403));
    assert_eq!(attempt.status.as_deref(), Some("terminated"));
    let request = attempt.request.as_ref().expect("request recorded");
    assert_eq!(
        request.header("x-zendesk-webhook-signature"),
        Some("TmnyajSgXX2+tMqZ98RmknPqglKM+XJsgum1GkwFsW0=")
    );
    assert_eq!(
        request.header("X-Zendesk-Webhook-Signature-Timestamp"),
        Some("2023-09-18T23:38:13Z")
    );
    // the payload is byte-for-byte the raw webhook body fixture
    let raw = read("webhook_event_user_deleted_raw_body.json");
    assert_eq!(
        request.payload.as_deref().map(str::as_bytes),
        Some(raw.as_slice())
    );
}

#[test]
fn webhook_signing_secret_is_redacted_in_debug() {
    let envelope: SigningSecretEnvelope = parse("webhook_signing_secret.json");
    let secret = &envelope.signing_secret;
    assert_eq!(secret.algorithm.as_deref(), Some("SHA256"));
    assert_eq!(
        secret.secret,
        "wMZJU7Dlw7pdGPBAs7fz3lVSjF5Hef8mqD7avv5n7zs="
    );
    assert!(!format!("{envelope:?}").contains(&secret.secret));
}
