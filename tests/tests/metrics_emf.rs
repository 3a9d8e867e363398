//! The metrics the Lambdas emit, as CloudWatch reads them: the recorder the functions install
//! (`zsync_lambda::install_metrics`) collects what real flows record — an export and mapper run
//! against the Zendesk simulator, rate limits, a poison message, a two-way conflict, refused
//! webhooks — and its flush must be valid Embedded Metric Format documents with the names,
//! dimensions and values those flows produced.
//!
//! A process has one global recorder, so the tests of this file take turns (`recording`).

mod export_common;
mod mapper_common;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::SecondsFormat;
use export_common::{Harness, WEBHOOK_SECRET, deadline};
use metrics_cloudwatch_embedded::Collector;
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;
use zsync_api::webhook_route::webhook_router;
use zsync_core::context::Clock;
use zsync_core::export::{RunEnd, run_exports};
use zsync_core::ports::{ExportFrom, ZendeskAccount, ZendeskConnector};
use zsync_core::sync::{ReceivedMessage, apply_ticket_changed, process_batch};
use zsync_core::telemetry;
use zsync_core::telemetry::dimension;
use zsync_core::webhook_signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use zsync_mapping::zendesk::{TicketPriority, TicketStatus, UserRole};
use zsync_mapping::{IntegrationId, SyncPriority};
use zsync_zendesk::ZendeskClientFactory;
use zsync_zendesk_sim::{NewTicket, RateLimit, SimConfig, TicketChange};

const FUNCTION: &str = "zendesk-sync-test-mapper";
const UNITS: [&str; 3] = ["Count", "Seconds", "Milliseconds"];

fn collector() -> &'static Collector {
    static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| zsync_lambda::install_metrics(FUNCTION).expect("recorder"))
}

/// Serialises the tests of this binary around the one recorder and starts from an empty one.
async fn recording() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let turn = TURN.lock().await;
    collector().flush(std::io::sink()).expect("flush");
    turn
}

/// One metric value as CloudWatch would extract it.
#[derive(Debug)]
struct Datum {
    name: String,
    unit: Option<String>,
    /// Every dimension of the document but `Function` (checked for each document).
    dimensions: BTreeMap<String, String>,
    values: Vec<f64>,
}

/// Flushes the recorder as the Lambda does after an invocation and checks each line against
/// the EMF specification's rules: `_aws.Timestamp` in milliseconds, one namespace, dimension
/// sets naming top-level string members, each metric named by a top-level number (or list of
/// numbers, at most 100) and a CloudWatch unit.
fn flush() -> Vec<Datum> {
    let mut out = Vec::new();
    collector().flush(&mut out).expect("flush");
    let text = String::from_utf8(out).expect("UTF-8");
    let mut data = Vec::new();
    for line in text.lines() {
        let doc: Value = serde_json::from_str(line).expect("each line one JSON document");
        let aws = &doc["_aws"];
        let timestamp = aws["Timestamp"].as_u64().expect("Timestamp in ms");
        assert!(timestamp > 1_600_000_000_000, "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
        assert_eq!(directives.len(), 1, "{line}");
        let directive = &directives[0];
        assert_eq!(directive["Namespace"], telemetry::NAMESPACE, "{line}");
        let sets = directive["Dimensions"].as_array().expect("dimension sets");
        assert_eq!(sets.len(), 1, "{line}");
        let keys: Vec<&str> = sets[0]
            .as_array()
            .expect("a dimension set")
            .iter()
            .map(|k| k.as_str().expect("dimension name"))
            .collect();
        assert!(!keys.is_empty() && keys.len() <= 30, "{line}");
        assert_eq!(doc["Function"], FUNCTION, "every document: {line}");
        let dimensions: BTreeMap<String, String> = keys
            .iter()
            .filter(|k| **k != "Function")
            .map(|k| {
                let value = doc[*k].as_str().expect("dimension value is a string");
                assert!(!value.is_empty() && value.len() <= 1024, "{line}");
                ((*k).to_owned(), value.to_owned())
            })
            .collect();
        assert!(keys.contains(&"Function"), "{line}");
        for metric in directive["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("metric name").to_owned();
            let unit = metric["Unit"].as_str().map(str::to_owned);
            if let Some(unit) = &unit {
                assert!(UNITS.contains(&unit.as_str()), "{line}");
            }
            let values = match &doc[&name] {
                Value::Number(n) => vec![n.as_f64().expect("number")],
                Value::Array(list) => {
                    assert!(!list.is_empty() && list.len() <= 100, "{line}");
                    list.iter().map(|v| v.as_f64().expect("number")).collect()
                }
                other => panic!("{name} has no numeric value ({other}): {line}"),
            };
            data.push(Datum {
                name,
                unit,
                dimensions: dimensions.clone(),
                values,
            });
        }
    }
    data
}

/// The values of `name` whose dimensions (besides `Function`) are exactly `dimensions`.
fn values(data: &[Datum], name: &str, dimensions: &[(&str, &str)]) -> Vec<f64> {
    let wanted: BTreeMap<String, String> = dimensions
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    data.iter()
        .filter(|d| d.name == name && d.dimensions == wanted)
        .flat_map(|d| d.values.iter().copied())
        .collect()
}

fn total(data: &[Datum], name: &str, dimensions: &[(&str, &str)]) -> f64 {
    values(data, name, dimensions).iter().sum()
}

fn unit_of(data: &[Datum], name: &str) -> Option<String> {
    data.iter()
        .find(|d| d.name == name)
        .and_then(|d| d.unit.clone())
}

fn received(bodies: Vec<String>) -> Vec<ReceivedMessage> {
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| ReceivedMessage {
            id: format!("m-{i}"),
            body,
            receive_count: 1,
            receipt: None,
        })
        .collect()
}

#[tokio::test]
async fn an_export_and_its_mapper_run_emit_requests_lag_outcomes_and_parks() {
    let _turn = recording().await;
    let h = Harness::start(2).await;
    h.seed(5, 1);
    h.sim.reset_request_counts();

    let runs = run_exports(&h.ctx, deadline()).await.expect("export");
    assert_eq!(runs[0].end, RunEnd::Complete, "{runs:?}");
    let data = flush();
    let acme = [(dimension::INTEGRATION, "acme")];
    assert_eq!(
        total(&data, telemetry::ZENDESK_REQUESTS, &acme),
        h.sim.total_requests() as f64,
        "every request the simulator saw"
    );
    assert_eq!(
        unit_of(&data, telemetry::ZENDESK_REQUESTS).as_deref(),
        Some("Count")
    );
    let lag = values(&data, telemetry::EXPORT_LAG, &acme);
    assert_eq!(
        lag.len(),
        runs[0].ticket_pages as usize,
        "one value per page: {lag:?}"
    );
    assert_eq!(
        lag.last(),
        Some(&0.0),
        "the last page reaches the end: {lag:?}"
    );
    assert!(lag.iter().all(|s| *s >= 0.0), "{lag:?}");
    assert_eq!(
        unit_of(&data, telemetry::EXPORT_LAG).as_deref(),
        Some("Seconds")
    );

    // The mapper applies the export's messages, plus one body that can never be decoded.
    let mut bodies: Vec<String> = h.drain().await.iter().map(|m| m.encode()).collect();
    bodies.push("{\"not\": \"a sync message\"}".into());
    let failed = process_batch(&h.ctx, received(bodies.clone()), 5).await;
    assert!(failed.is_empty(), "{failed:?}");
    let data = flush();
    let created = [
        (dimension::INTEGRATION, "acme"),
        (dimension::OUTCOME, "created"),
    ];
    assert_eq!(total(&data, telemetry::TICKETS_APPLIED, &created), 5.0);
    assert_eq!(
        total(
            &data,
            telemetry::DEAD_LETTER_PARKS,
            &[(dimension::PATH, "poison")]
        ),
        1.0
    );

    // The same states again change nothing.
    bodies.pop();
    let failed = process_batch(&h.ctx, received(bodies), 5).await;
    assert!(failed.is_empty(), "{failed:?}");
    let data = flush();
    let unchanged = [
        (dimension::INTEGRATION, "acme"),
        (dimension::OUTCOME, "unchanged"),
    ];
    assert!(
        total(&data, telemetry::TICKETS_APPLIED, &unchanged) >= 5.0,
        "{data:?}"
    );
    assert_eq!(total(&data, telemetry::TICKETS_APPLIED, &created), 0.0);
    assert_eq!(
        total(
            &data,
            telemetry::DEAD_LETTER_PARKS,
            &[(dimension::PATH, "poison")]
        ),
        0.0
    );
}

#[tokio::test]
async fn zendesk_429s_are_counted_with_the_wait_they_imposed() {
    let _turn = recording().await;
    let limits = RateLimit {
        requests_per_minute: 10_000,
        export_requests_per_minute: 1,
        window: Duration::from_secs(1),
    };
    let h = Harness::start_with(
        2,
        SimConfig {
            rate_limit: Some(limits),
            ..SimConfig::default()
        },
    )
    .await;
    h.seed(4, 0);
    // Another process on the same account (a second scheduler instance, another tool) spends
    // the export budget; this one's client cannot know and meets a 429.
    let other = ZendeskClientFactory::new(export_common::client_config(2))
        .expect("client")
        .connect(ZendeskAccount {
            integration_id: IntegrationId::new("other"),
            base_url: h.sim.base_url(),
            api_email: export_common::API_EMAIL.into(),
            api_token: SecretString::from(export_common::API_TOKEN),
        })
        .expect("connect");
    other
        .export_tickets(&ExportFrom::StartTime(0))
        .await
        .expect("the other process's export page");
    flush();
    h.sim.reset_request_counts();
    let runs = run_exports(&h.ctx, deadline()).await.expect("export");
    assert_eq!(runs[0].end, RunEnd::Complete, "{runs:?}");
    let data = flush();
    let acme = [(dimension::INTEGRATION, "acme")];
    let limited = total(&data, telemetry::ZENDESK_RATE_LIMITED, &acme);
    assert!(
        limited >= 1.0,
        "one export request a window must meet 429s: {data:?}"
    );
    let waits = values(&data, telemetry::ZENDESK_RATE_LIMIT_WAIT, &acme);
    assert_eq!(waits.len() as f64, limited, "one wait per 429");
    assert!(waits.iter().all(|s| *s > 0.0 && *s <= 60.0), "{waits:?}");
    assert_eq!(
        total(&data, telemetry::ZENDESK_REQUESTS, &acme),
        h.sim.total_requests() as f64,
        "refused requests are requests too"
    );
}

#[tokio::test]
async fn a_two_way_conflict_is_counted_by_its_winner() {
    let _turn = recording().await;
    let w = mapper_common::world(true, SyncPriority::Local).await;
    let bob = w
        .sim
        .add_user("Bob", Some("bob@customer.example.com"), UserRole::EndUser);
    let id = w.sim.add_ticket(NewTicket {
        subject: "Original subject".into(),
        description: "Original description".into(),
        requester_id: bob,
        status: Some(TicketStatus::Open),
        priority: Some(TicketPriority::Normal),
        ..NewTicket::default()
    });
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .expect("first sync");
    w.edit_case(id, |c| c.priority = zsync_mapping::CasePriority::Low)
        .await;
    w.sim
        .agent_update_ticket(
            id,
            TicketChange {
                priority: Some(TicketPriority::Urgent),
                ..TicketChange::default()
            },
        )
        .expect("agent edit");
    apply_ticket_changed(&w.ctx, &w.integration, id)
        .await
        .expect("second sync");
    let data = flush();
    let integration = mapper_common::INTEGRATION;
    assert_eq!(
        total(
            &data,
            telemetry::CONFLICTS,
            &[
                (dimension::INTEGRATION, integration),
                (dimension::WINNER, "crm")
            ]
        ),
        1.0,
        "{data:?}"
    );
    assert_eq!(
        total(
            &data,
            telemetry::CONFLICTS,
            &[
                (dimension::INTEGRATION, integration),
                (dimension::WINNER, "zendesk")
            ]
        ),
        0.0
    );
    let applied = |outcome| {
        total(
            &data,
            telemetry::TICKETS_APPLIED,
            &[
                (dimension::INTEGRATION, integration),
                (dimension::OUTCOME, outcome),
            ],
        )
    };
    assert_eq!((applied("created"), applied("updated")), (1.0, 1.0));
}

async fn post_webhook(h: &Harness, integration: &str, secret: &str) -> StatusCode {
    let body = br#"{"type":"zen:event-type:ticket.status_changed","id":"ev-1","subject":"zen:ticket:7","detail":{"id":"7"}}"#;
    let timestamp = h.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let signature = sign(&SecretString::from(secret), &timestamp, body);
    let request = Request::post(format!("/webhooks/zendesk/{integration}"))
        .header(SIGNATURE_HEADER, signature)
        .header(TIMESTAMP_HEADER, timestamp)
        .body(Body::from(body.to_vec()))
        .expect("request");
    webhook_router(h.ctx.clone())
        .oneshot(request)
        .await
        .expect("answer")
        .status()
}

#[tokio::test]
async fn webhook_refusals_are_counted_in_total_and_by_reason_without_the_callers_path() {
    let _turn = recording().await;
    let h = Harness::start(100).await;
    assert_eq!(
        post_webhook(&h, "acme", "not-the-secret").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_webhook(&h, "acme", "not-the-secret").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_webhook(&h, "someone-else", WEBHOOK_SECRET).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post_webhook(&h, "acme", WEBHOOK_SECRET).await,
        StatusCode::OK
    );
    let data = flush();
    assert_eq!(
        total(&data, telemetry::WEBHOOK_REFUSALS, &[]),
        3.0,
        "{data:?}"
    );
    let by_reason = |reason| {
        total(
            &data,
            telemetry::WEBHOOK_REFUSALS,
            &[(dimension::REASON, reason)],
        )
    };
    assert_eq!(by_reason("invalid_signature"), 2.0);
    assert_eq!(by_reason("integration_not_found"), 1.0);
    assert!(
        data.iter()
            .all(|d| !d.dimensions.values().any(|v| v == "someone-else")),
        "a caller's path never becomes a dimension: {data:?}"
    );
}
