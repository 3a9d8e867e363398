//! Time to decode one full (1,000-ticket) page of the cursor ticket export with 100
//! sideloaded users, the client's per-page CPU cost during a backfill. The page is built from
//! a real recorded ticket (`tests/fixtures/zendesk`), replicated with distinct ids.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// The recorded Zendesk responses, kept in the repository (`tests/fixtures/zendesk`).
const ZENDESK_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zendesk");

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(ZENDESK_FIXTURES).join(name);
    let text = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("Zendesk fixture {} missing ({e})", path.display()));
    serde_json::from_slice(&text).expect("fixture is JSON")
}

fn thousand_ticket_page() -> Vec<u8> {
    let show = fixture("ticket_show.json");
    let user = fixture("users_show_many.json")["users"][0].clone();
    let tickets: Vec<Value> = (1..=1000u64)
        .map(|i| {
            let mut t = show["ticket"].clone();
            t["id"] = json!(i);
            t["url"] = json!(format!("https://acme.zendesk.com/api/v2/tickets/{i}.json"));
            t["requester_id"] = json!(10_000 + i % 100);
            t["generated_timestamp"] = json!(1_695_052_663 + i as i64);
            t
        })
        .collect();
    let users: Vec<Value> = (0..100u64)
        .map(|i| {
            let mut u = user.clone();
            u["id"] = json!(10_000 + i);
            u["email"] = json!(format!("customer{i}@example.com"));
            u
        })
        .collect();
    serde_json::to_vec(&json!({
        "tickets": tickets,
        "users": users,
        "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTY5NTA1MjY2My4wfHwyOHw%3D",
        "after_cursor": "MTY5NTA1MjY2My4wfHwyOHw=",
        "before_url": null,
        "before_cursor": null,
        "end_of_stream": false,
    }))
    .expect("serialisable")
}

fn parse_export(c: &mut Criterion) {
    let body = thousand_ticket_page();
    let mut group = c.benchmark_group("ticket_export_page");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("parse_1000_tickets_100_users", |b| {
        b.iter(|| {
            let page = zsync_zendesk::parse_export_page(std::hint::black_box(&body))
                .expect("page decodes");
            assert_eq!(page.tickets.len(), 1000);
            page
        })
    });
    group.finish();
}

criterion_group!(benches, parse_export);
criterion_main!(benches);
