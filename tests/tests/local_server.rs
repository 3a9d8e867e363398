//! `zendesk-sync serve`'s wiring in-process (`LocalServer`) against the simulator: the API with
//! HS256 tokens, a full sync through the scheduler and the queue workers into the embedded
//! store, a Zendesk change arriving by webhook, and a shutdown in the middle of a sync
//! followed by a restart on the same data directory that loses and duplicates nothing.

mod local_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use local_common::{
    Http, auth, client_config, options, seeded_sim, start_sync, tickets_with_cases, wait_for_sync,
};
use zendesk_sync::LocalServer;
use zsync_mapping::zendesk::TicketStatus;
use zsync_zendesk_sim::TicketChange;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_sync_through_serve_reaches_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, tickets) = seeded_sim(40).await;
    let server = LocalServer::start(options(dir.path(), client_config(1000, 100)), auth())
        .await
        .expect("start");
    let http = Http::new(&server);

    // Health and the OpenAPI document need no token; everything else does.
    let anonymous = reqwest::get(format!("{}/health", http.base))
        .await
        .expect("health");
    assert_eq!(anonymous.status(), 200);
    let refused = reqwest::get(format!("{}/cases", http.base))
        .await
        .expect("cases");
    assert_eq!(refused.status(), 401);

    // The default poll interval is 5 minutes: the sync starts because "Schedule Sync" kicks
    // the scheduler.
    let (integration, job) = start_sync(&http, &sim).await;
    // The webhook Zendesk got points at this server's webhook route.
    let hooks = sim.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].endpoint,
        format!("{}/webhooks/zendesk/{integration}", server.public_url())
    );

    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    let synced = tickets_with_cases(server.context(), &integration).await;
    let expected: BTreeMap<u64, usize> = tickets.iter().map(|&t| (t, 1)).collect();
    assert_eq!(synced, expected, "one case per ticket");

    // A case as the API shows it: the ticket's subject and every comment, description first.
    let number = tickets
        .iter()
        .copied()
        .find(|&t| {
            sim.ticket(t)
                .and_then(|t| t.status)
                .is_some_and(|s| s == TicketStatus::Open)
        })
        .expect("an open ticket");
    let case_id = server
        .context()
        .store
        .get_ticket_record(&integration, number)
        .await
        .expect("record")
        .expect("synced")
        .value
        .case_id
        .to_string();
    let (status, case) = http
        .call(reqwest::Method::GET, &format!("/cases/{case_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(case["ticket"]["ticket_number"], number);
    let ticket = sim.ticket(number).expect("ticket");
    assert_eq!(case["subject"].as_str(), ticket.subject.as_deref());
    let comments = case["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), sim.comments(number).len());

    // A change in Zendesk arrives through the signed webhook on this server's webhook route.
    let change = TicketChange {
        status: Some(TicketStatus::Solved),
        comment: Some(("Fixed on our side.".to_owned(), true)),
        ..TicketChange::default()
    };
    sim.agent_update_ticket(number, change).expect("update");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, case) = http
            .call(reqwest::Method::GET, &format!("/cases/{case_id}"), None)
            .await;
        let bodies: Vec<&str> = case["comments"]
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["body"].as_str()).collect())
            .unwrap_or_default();
        if case["ticket"]["status"] == "solved" && bodies.contains(&"Fixed on our side.") {
            assert_eq!(case["status"], "closed", "solved maps to closed");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the webhook's change never arrived: {:?}",
            sim.webhook_deliveries()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        sim.webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(200))
    );

    let report = server.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
    assert!(report.worker.done >= tickets.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_in_the_middle_of_a_sync_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, tickets) = seeded_sim(300).await;
    // 25 tickets a page, 3 export requests a second: the backfill takes several seconds.
    let config = client_config(25, 3);
    let server = LocalServer::start(options(dir.path(), config.clone()), auth())
        .await
        .expect("start");
    let http = Http::new(&server);
    let (integration, job) = start_sync(&http, &sim).await;

    // Stop once some pages are exported and some cases written, well before the end.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cursor = server
            .context()
            .store
            .get_export_cursor(&integration)
            .await
            .expect("cursor");
        let paged = cursor.is_some_and(|c| c.value.cursor.is_some());
        if paged
            && !tickets_with_cases(server.context(), &integration)
                .await
                .is_empty()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the export never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ctx = server.context().clone();
    drop(http);
    let stopping = Instant::now();
    let report = server.shutdown().await;
    let stop_took = stopping.elapsed();
    assert!(report.abandoned.is_empty(), "a clean stop: {report:?}");
    let before = tickets_with_cases(&ctx, &integration).await;
    eprintln!(
        "stopped in {stop_took:?} with {} of {} tickets as cases, {} messages settled",
        before.len(),
        tickets.len(),
        report.worker.done
    );
    let cursor = ctx
        .store
        .get_export_cursor(&integration)
        .await
        .expect("cursor")
        .expect("stored");
    assert!(
        !cursor.value.end_of_stream && before.len() < tickets.len(),
        "the stop came mid-sync: {} of {} cases, end of stream {}",
        before.len(),
        tickets.len(),
        cursor.value.end_of_stream
    );
    // The data directory is opened again below; nothing of the first process may hold it.
    drop(ctx);

    let server = LocalServer::start(options(dir.path(), config), auth())
        .await
        .expect("restart on the same data directory");
    wait_for_sync(&server, &integration, &job, Duration::from_secs(90)).await;
    let after = tickets_with_cases(server.context(), &integration).await;
    let expected: BTreeMap<u64, usize> = tickets.iter().map(|&t| (t, 1)).collect();
    assert_eq!(after, expected, "every ticket exactly one case");
    // Nothing was given up on either.
    assert!(server.queue().dead_letters().await.expect("dlq").is_empty());
    server.shutdown().await;
}
