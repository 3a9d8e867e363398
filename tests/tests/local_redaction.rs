//! docs/sync-rules.md §3.3 through `zendesk-sync serve` (the HTTP API, the queue workers and the
//! scheduler on the embedded store) against the simulator: text redacted in Zendesk disappears
//! from the case, a comment made private in Zendesk turns private on the case — by webhook, and
//! by the scheduled export when the webhook never arrives.

mod local_common;

use std::time::{Duration, Instant};

use local_common::{Http, auth, client_config, options, seeded_sim, start_sync, wait_for_sync};
use serde_json::{Value, json};
use zendesk_sync::LocalServer;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{NewTicket, Simulator};

const CARD: &str = "4111 1111 1111 1111";
const REDACTED_EVENT: &str = "zen:event-type:ticket.comment_redacted";
const PRIVATE_EVENT: &str = "zen:event-type:ticket.comment_made_private";

/// A ticket whose description holds a card number, and a public reply.
struct CardTicket {
    ticket: u64,
    description: u64,
    reply: u64,
}

fn card_ticket(sim: &Simulator) -> CardTicket {
    let bob = sim.add_user(
        "Bob Card",
        Some("bob@customer.example.com"),
        UserRole::EndUser,
    );
    let ticket = sim.add_ticket(NewTicket {
        subject: "Payment".into(),
        description: format!("My card is {CARD}, please charge it"),
        requester_id: bob,
        ..NewTicket::default()
    });
    let reply = sim
        .add_comment(ticket, bob, "Call me on 555-0100", true)
        .expect("reply");
    CardTicket {
        ticket,
        description: sim.comments(ticket)[0].id,
        reply,
    }
}

/// The case of `ticket` as `GET /cases/{id}` shows it.
async fn case_of(
    http: &Http,
    server: &LocalServer,
    integration: &IntegrationId,
    ticket: u64,
) -> Value {
    let record = server
        .context()
        .store
        .get_ticket_record(integration, ticket)
        .await
        .expect("record")
        .expect("the ticket is synced");
    let (status, case) = http
        .call(
            reqwest::Method::GET,
            &format!("/cases/{}", record.value.case_id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{case}");
    case
}

fn comment(case: &Value, zendesk_id: u64) -> Value {
    case["comments"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["zendesk_comment_id"] == zendesk_id))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The card number is gone from the case (description and comment) and the reply is private.
fn redacted_and_private(case: &Value, t: &CardTicket) -> bool {
    let description = comment(case, t.description);
    let body = description["body"].as_str().unwrap_or(CARD);
    let case_description = case["description"].as_str().unwrap_or(CARD);
    !body.contains("4111")
        && body.contains('▇')
        && !case_description.contains("4111")
        && comment(case, t.reply)["public"] == false
}

/// Redacts the card number and makes the reply private in Zendesk.
fn redact_and_hide(sim: &Simulator, t: &CardTicket) {
    sim.redact_comment(t.ticket, t.description, CARD)
        .expect("redact");
    sim.make_comment_private(t.ticket, t.reply)
        .expect("make private");
}

/// The case as first synced: the card number readable, the reply public, nothing duplicated.
async fn assert_synced_as_written(
    http: &Http,
    server: &LocalServer,
    integration: &IntegrationId,
    t: &CardTicket,
) {
    let case = case_of(http, server, integration, t.ticket).await;
    assert!(
        comment(&case, t.description)["body"]
            .as_str()
            .is_some_and(|b| b.contains(CARD)),
        "{case}"
    );
    assert_eq!(comment(&case, t.reply)["public"], true);
}

/// Waits (bounded) until the case shows the redaction and the privacy change.
async fn wait_for_redaction(
    http: &Http,
    server: &LocalServer,
    integration: &IntegrationId,
    t: &CardTicket,
    sim: &Simulator,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let case = case_of(http, server, integration, t.ticket).await;
        if redacted_and_private(&case, t) {
            return case;
        }
        assert!(
            Instant::now() < deadline,
            "the redaction never reached the case: {case}\ndeliveries: {:?}",
            sim.webhook_deliveries()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_one_case_comment_per_zendesk_comment(case: &Value, sim: &Simulator, ticket: u64) {
    let comments = case["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), sim.comments(ticket).len(), "{case}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redaction_and_a_privacy_change_arrive_by_webhook() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, _) = seeded_sim(5).await;
    let card = card_ticket(&sim);
    let server = LocalServer::start(options(dir.path(), client_config(100, 100)), auth())
        .await
        .expect("start");
    let http = Http::new(&server);
    let (integration, job) = start_sync(&http, &sim).await;
    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    assert_synced_as_written(&http, &server, &integration, &card).await;

    sim.reset_request_counts();
    redact_and_hide(&sim, &card);
    let case = wait_for_redaction(&http, &server, &integration, &card, &sim).await;
    assert_one_case_comment_per_zendesk_comment(&case, &sim, card.ticket);
    // The webhook brought it: the scheduler (every 5 minutes) did not run meanwhile.
    assert_eq!(sim.request_count("ticket_events"), 0);
    let deliveries = sim.webhook_deliveries();
    for kind in [REDACTED_EVENT, PRIVATE_EVENT] {
        assert!(
            deliveries.iter().any(|d| d.event_type == kind
                && d.ticket_id == card.ticket
                && d.status == Some(200)),
            "{kind} delivered: {deliveries:?}"
        );
    }
    let report = server.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redaction_and_a_privacy_change_no_webhook_reported_arrive_with_the_next_export() {
    let dir = tempfile::tempdir().expect("dir");
    let (sim, _) = seeded_sim(5).await;
    let card = card_ticket(&sim);
    let mut lost_webhooks = options(dir.path(), client_config(100, 100));
    // Zendesk delivers the webhooks where nothing listens: every one is lost.
    lost_webhooks.public_url = Some("http://127.0.0.1:9".into());
    let server = LocalServer::start(lost_webhooks, auth())
        .await
        .expect("start");
    let http = Http::new(&server);
    let (integration, job) = start_sync(&http, &sim).await;
    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    assert_synced_as_written(&http, &server, &integration, &card).await;

    redact_and_hide(&sim, &card);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sim
        .webhook_deliveries()
        .iter()
        .any(|d| d.event_type == PRIVATE_EVENT)
    {
        assert!(Instant::now() < deadline, "Zendesk never tried the webhook");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        sim.webhook_deliveries().iter().all(|d| d.status.is_none()),
        "no webhook reached the server"
    );
    let case = case_of(&http, &server, &integration, card.ticket).await;
    assert!(!redacted_and_private(&case, &card), "nothing applied yet");

    sim.reset_request_counts();
    let sync = http
        .post(
            &format!("/integrations/{integration}/sync"),
            json!({"full": false}),
        )
        .await;
    let job = sync["id"].as_str().expect("job").to_owned();
    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    let case = case_of(&http, &server, &integration, card.ticket).await;
    assert!(redacted_and_private(&case, &card), "{case}");
    assert_one_case_comment_per_zendesk_comment(&case, &sim, card.ticket);
    // Two comment changes on one ticket: its comments were read once.
    assert_eq!(sim.request_count("comments"), 1);

    // The next export finds nothing more to read again.
    sim.reset_request_counts();
    let again = http
        .post(
            &format!("/integrations/{integration}/sync"),
            json!({"full": false}),
        )
        .await;
    let job = again["id"].as_str().expect("job").to_owned();
    wait_for_sync(&server, &integration, &job, Duration::from_secs(60)).await;
    assert_eq!(sim.request_count("comments"), 0);
    let report = server.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
}
