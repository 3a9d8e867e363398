//! Shared parts of the proptest fuzz targets (`fuzz_*.rs`), which stand in for cargo-fuzz on
//! stable Rust: a JSON-ish value generator biased towards Zendesk's field names, the case count
//! (small in CI, large from `scripts/fuzz.sh` via `PROPTEST_CASES`), and the kept crash inputs
//! under `tests/regressions/<target>/` that every run replays.

#![allow(dead_code)]

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value};

/// Cases per property: `PROPTEST_CASES`, else a CI-sized default.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        // Crash inputs are kept as files under tests/regressions (see `guard`), not in
        // proptest's per-source files.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Field names Zendesk payloads and our API bodies use, so generated objects reach the
/// decoders' interesting paths instead of failing at the first unknown key.
const KEYS: &[&str] = &[
    "id",
    "ticket",
    "tickets",
    "users",
    "user",
    "comments",
    "comment",
    "ticket_events",
    "child_events",
    "after_cursor",
    "before_cursor",
    "after_url",
    "end_of_stream",
    "end_time",
    "next_page",
    "count",
    "meta",
    "has_more",
    "links",
    "status",
    "priority",
    "subject",
    "type",
    "detail",
    "event",
    "time",
    "ticket_id",
    "created_at",
    "updated_at",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "collaborator_ids",
    "problem_id",
    "author_id",
    "body",
    "plain_body",
    "public",
    "email",
    "name",
    "role",
    "active",
    "event_type",
    "previous_value",
    "value",
    "generated_timestamp",
    "description",
    "recipient",
    "external_id",
    "url",
    "error",
    "webhook",
    "signing_secret",
    "secret",
    "algorithm",
    "full",
    "api_token",
    "owner_id",
    "two_way_sync",
    "sync_priority",
    "roles",
    "integration_id",
    "assigned_to",
    "contact_id",
    "api_email",
    "default_zendesk_user_email",
];

fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("zen:ticket:12".to_owned()),
        Just("zen:event-type:ticket.status_changed".to_owned()),
        Just("2024-01-01T00:00:00Z".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-1".to_owned()),
        Just("OPEN".to_owned()),
        Just("urgent".to_owned()),
        Just("end-user".to_owned()),
        Just("https://acme.zendesk.com".to_owned()),
        Just("x".repeat(5_000)),
        "\\PC{0,24}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        interesting_string().prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,12}",
    ]
}

/// Arbitrary JSON, up to 4 levels deep.
pub fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..10)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Arbitrary JSON objects (request and payload bodies are objects).
pub fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json_value()), 0..10)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>()))
}

/// Replaces the subtree at a random position of `value` by `with` (structure-aware mutation of
/// recorded fixtures).
pub fn replace_nth(value: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *value = with.clone();
        return true;
    }
    *n -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, n, with)),
        Value::Object(map) => map.values_mut().any(|v| replace_nth(v, n, with)),
        _ => false,
    }
}

/// Byte-level mutations: flip, delete a range, insert, duplicate a range.
pub fn mutate_bytes(mut bytes: Vec<u8>, ops: &[(u8, usize, usize, u8)]) -> Vec<u8> {
    for &(op, a, b, byte) in ops {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let a = a % bytes.len();
        let b = (a + b % 64).min(bytes.len());
        match op % 4 {
            0 => bytes[a] ^= byte | 1,
            1 => {
                bytes.drain(a..b);
            }
            2 => bytes.insert(a, byte),
            _ => {
                let copy = bytes[a..b].to_vec();
                bytes.splice(a..a, copy);
            }
        }
    }
    bytes
}

fn regressions_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target)
}

/// Runs `check` on `input`; if it panics and `ZSYNC_FUZZ_KEEP` is set (scripts/fuzz.sh sets it),
/// the input is written to `tests/regressions/<target>/pending-<pid>.bin` first. Proptest's
/// last failing input is its shrunk minimum, so the file ends as the smallest crash found;
/// scripts/fuzz.sh renames it after its content hash.
pub fn guard(target: &str, input: &[u8], check: impl FnOnce()) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    if let Err(panic) = outcome {
        if std::env::var_os("ZSYNC_FUZZ_KEEP").is_some() {
            let dir = regressions_dir(target);
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(
                dir.join(format!("pending-{}.bin", std::process::id())),
                input,
            );
        }
        std::panic::resume_unwind(panic);
    }
}

/// Every kept input of `target` (file name, bytes).
pub fn kept_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(regressions_dir(target)) else {
        return Vec::new();
    };
    let mut inputs: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    inputs.sort();
    inputs
}

/// The recorded Zendesk responses, kept in the repository (`tests/fixtures/zendesk`).
pub const ZENDESK_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/zendesk");

/// The recorded Zendesk responses (name, bytes); none found fails the run.
pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(ZENDESK_FIXTURES);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    assert!(!out.is_empty(), "no Zendesk fixtures in {}", dir.display());
    out.sort();
    out
}
