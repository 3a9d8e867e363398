//! `zendesk-sync demo` as a function with a small account: the first sync brings a case for
//! every ticket that is not deleted, the summary says so, and the printed token and curl
//! commands work against the running server.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use zendesk_sync::{DemoOptions, run_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_summary_has_a_case_for_every_ticket_not_deleted() {
    let options = DemoOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        tickets: 30,
        seed: 3,
        progress: false,
        sync_timeout: Duration::from_secs(90),
        ..DemoOptions::default()
    };
    let demo = run_demo(options).await.expect("demo");
    let account = &demo.account;
    let summary = &demo.summary;

    let deleted = account.deleted_ticket.expect("the demo deletes a ticket");
    let expected: BTreeSet<u64> = account
        .ticket_ids
        .iter()
        .copied()
        .filter(|&t| t != deleted)
        .collect();
    assert!(account.ticket_ids.len() > 30, "the phone ticket is added");
    assert_eq!(
        summary.ticket_numbers,
        expected.iter().copied().collect::<Vec<_>>(),
        "exactly one case per ticket that is not deleted"
    );
    assert_eq!(summary.cases, expected.len());
    assert_eq!(
        summary.cases_by_status.values().sum::<usize>(),
        summary.cases
    );
    // Every Zendesk status is in the account, so every CRM status the mapping yields is shown.
    for status in ["open", "in_progress", "closed"] {
        assert!(summary.cases_by_status.contains_key(status), "{status}");
    }
    assert_eq!(summary.job["state"], "succeeded");
    assert!(summary.contacts > 0);

    // The sample case is the phone ticket: requester without e-mail, a private note.
    let sample = summary.sample_case.as_ref().expect("sample case");
    assert_eq!(sample["ticket"]["priority"], "urgent");
    assert!(
        sample["ticket"]["requester"].is_null(),
        "no contact without e-mail"
    );
    let comments = sample["comments"].as_array().expect("comments");
    assert!(comments.iter().any(|c| c["public"] == false));

    // The printed curl commands carry a token the running server accepts.
    let base = demo.server.base_url();
    let text = summary.render(account, &base, &demo.admin_token);
    assert!(text.contains(&format!("export TOKEN='{}'", demo.admin_token)));
    assert!(text.contains(&format!(
        "{base}/cases/{}",
        sample["id"].as_str().expect("id")
    )));
    let listed = reqwest::Client::new()
        .get(format!("{base}/cases?limit=5"))
        .bearer_auth(&demo.admin_token)
        .send()
        .await
        .expect("GET /cases");
    assert_eq!(listed.status(), 200);
    let listed: serde_json::Value = listed.json().await.expect("JSON list");
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    for case in items {
        // Every demo case came from Zendesk, so the list shows its ticket record
        // (docs/http-api.md).
        assert!(
            case["ticket"]["ticket_number"].as_u64().is_some(),
            "linked case listed without its ticket: {case}"
        );
    }

    let data_dir = demo.data_dir.clone();
    assert!(demo.temporary);
    let report = demo.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
    assert!(
        !data_dir.exists(),
        "the temporary data directory is removed"
    );
}
