//! What one ticket's first sync costs in DynamoDB requests and capacity units, measured with
//! the request counter on moto. Run with `--nocapture` to print the table.

mod aws_common;

use aws_common::fresh_counted_store;
use chrono::{Duration, Utc};
use zsync_conformance::fixtures::{case, comment, contact, job, log_entry, ticket_record};
use zsync_core::ports::CrmStore;
use zsync_mapping::{CaseStatus, IntegrationId, JobCounters};

/// The requests (and, by AWS's published rules applied to the real item sizes, the capacity
/// units) of the store calls one ticket's first sync makes. Printed for the issue note; run with
/// `--nocapture` to see the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_of_one_ticket_request_budget() {
    let (store, counter) = fresh_counted_store().await;
    let acme = IntegrationId::new("acme");
    store
        .create_job(&job("acme", "job-1", 0))
        .await
        .expect("job");
    let mut steps: Vec<(&str, zsync_aws::OperationStats)> = Vec::new();
    let mut step = |name, counter: &zsync_aws::RequestCounter| {
        steps.push((name, counter.total()));
        counter.reset();
    };
    counter.reset();

    assert!(
        store
            .get_ticket_record(&acme, 35436)
            .await
            .expect("get")
            .is_none()
    );
    step("get_ticket_record (miss)", &counter);
    for (i, email) in ["requester@example.com", "cc@example.com"]
        .iter()
        .enumerate()
    {
        let made = store
            .get_or_create_contact(&contact(&format!("c{i}"), email))
            .await
            .expect("contact");
        assert!(made.created);
        step("get_or_create_contact (new)", &counter);
    }
    store
        .get_or_create_contact(&contact("c9", "requester@example.com"))
        .await
        .expect("contact");
    step("get_or_create_contact (existing)", &counter);
    let mut c = case(
        "case-1",
        "Help, my printer is on fire!",
        CaseStatus::Open,
        Some("acme"),
        0,
    );
    c.description = "The printer is on fire. ".repeat(20);
    store
        .create_linked_case(&c, &ticket_record("acme", "case-1", 35436))
        .await
        .expect("linked");
    step("create_linked_case", &counter);
    for i in 0..3 {
        let body = format!("Comment {i}: ").repeat(30);
        store
            .put_comment(&comment(&format!("zd-{i}"), "case-1", &body, i))
            .await
            .expect("comment");
        step("put_comment", &counter);
    }
    let delta = JobCounters {
        tickets_seen: 1,
        cases_created: 1,
        ..Default::default()
    };
    store
        .add_job_counters(&acme, &"job-1".into(), &delta)
        .await
        .expect("counters");
    step("add_job_counters", &counter);
    store
        .append_log(
            &log_entry("acme", 35436, Utc::now(), "created case-1"),
            Duration::days(30),
        )
        .await
        .expect("log");
    step("append_log", &counter);

    println!(
        "\n{:<34} {:>4} {:>6} {:>6} {:>7} {:>7}",
        "call", "reqs", "WCU", "RCU", "B out", "B in"
    );
    let mut total = zsync_aws::OperationStats::default();
    for (name, s) in &steps {
        println!(
            "{name:<34} {:>4} {:>6.1} {:>6.1} {:>7} {:>7}",
            s.requests, s.write_units, s.read_units, s.bytes_written, s.bytes_read
        );
        total.requests += s.requests;
        total.write_units += s.write_units;
        total.read_units += s.read_units;
    }
    println!(
        "{:<34} {:>4} {:>6.1} {:>6.1}",
        "first sync, 2 new contacts", total.requests, total.write_units, total.read_units
    );

    let requests: Vec<u64> = steps.iter().map(|(_, s)| s.requests).collect();
    // miss: 1 GetItem; new contact: GetItem + TransactWriteItems; existing: GetItem;
    // linked case: 1 transaction; each comment, the counters, the log: 1 write each.
    assert_eq!(requests, [1, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(total.requests, 12);
}
