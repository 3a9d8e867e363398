//! The sync engine on the AWS adapters (DynamoDB, SQS, Secrets Manager on moto) with the
//! simulated Zendesk: one ticket's first sync, a repeat and an update, with the DynamoDB
//! requests each costs counted at the SDK. Run with `--nocapture` to print the tables.

mod aws_common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_common::{fresh_counted_store, fresh_queue, fresh_secrets};
use chrono::Utc;
use secrecy::SecretString;
use zsync_aws::{OperationStats, RequestCounter};
use zsync_core::context::{ServiceSettings, SyncContext, SystemClock};
use zsync_core::ports::secrets::api_token_name;
use zsync_core::ports::{CrmStore, SecretStore, ZendeskAccount, ZendeskConnector};
use zsync_core::sync::{ApplyOutcome, TicketState, apply_ticket_snapshot};
use zsync_mapping::zendesk::{TicketStatus, UserRole};
use zsync_mapping::{
    CaseStatus, CrmUser, Integration, IntegrationId, JobCounters, JobId, JobKind, JobState, Role,
    SyncJob, SyncPriority, UserId,
};
use zsync_zendesk::{ClientConfig, ZendeskClientFactory};
use zsync_zendesk_sim::{NewTicket, SimConfig, Simulator, TicketChange};

const API_EMAIL: &str = "admin@acme.example.com";
const TOKEN: &str = "sim-token-aws-cost";

fn print(title: &str, stats: &BTreeMap<String, OperationStats>) -> OperationStats {
    println!("\n{title}");
    println!(
        "  {:<20} {:>5} {:>6} {:>6}",
        "operation", "reqs", "WCU", "RCU"
    );
    let mut total = OperationStats::default();
    for (op, s) in stats {
        println!(
            "  {op:<20} {:>5} {:>6.1} {:>6.1}",
            s.requests, s.write_units, s.read_units
        );
        total.requests += s.requests;
        total.write_units += s.write_units;
        total.read_units += s.read_units;
    }
    println!(
        "  {:<20} {:>5} {:>6.1} {:>6.1}",
        "total", total.requests, total.write_units, total.read_units
    );
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ticket_synced_through_the_engine_on_dynamodb() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.add_api_user(API_EMAIL, TOKEN, UserRole::Admin);
    let agent = sim.add_user("Ann Agent", Some("ann@acme.example.com"), UserRole::Agent);
    let bob = sim.add_user(
        "Bob Miller",
        Some("bob@customer.example.com"),
        UserRole::EndUser,
    );
    let carol = sim.add_user(
        "Carol Vries",
        Some("carol@customer.example.com"),
        UserRole::EndUser,
    );
    let ticket = sim.add_ticket(NewTicket {
        subject: "Printer on fire".into(),
        description: "The printer in room 3 is on fire.".into(),
        requester_id: bob,
        assignee_id: Some(agent),
        collaborator_ids: vec![carol],
        ..NewTicket::default()
    });
    sim.add_comment(ticket, agent, "Checking", false)
        .expect("comment");
    sim.add_comment(ticket, bob, "Still burning", true)
        .expect("comment");

    let (store, counter): (_, RequestCounter) = fresh_counted_store().await;
    let integration = IntegrationId::new("acme");
    let now = Utc::now();
    for (id, email) in [
        ("u-owner", "owner@crm.example.com"),
        ("u-ann", "ann@acme.example.com"),
    ] {
        store
            .create_user(&CrmUser {
                id: UserId::new(id),
                email: email.into(),
                name: id.into(),
                roles: vec![Role::Admin],
            })
            .await
            .expect("user");
    }
    store
        .create_integration(&Integration {
            id: integration.clone(),
            name: "Simulated Zendesk".into(),
            url: sim.base_url(),
            api_email: API_EMAIL.into(),
            api_token_set: true,
            default_zendesk_user_email: None,
            owner_id: UserId::new("u-owner"),
            two_way_sync: false,
            sync_priority: Some(SyncPriority::Remote),
            active: true,
            webhook_id: None,
            created_at: now,
            updated_at: now,
        })
        .await
        .expect("integration");
    let job = SyncJob {
        id: JobId::new("job-1"),
        integration_id: integration.clone(),
        kind: JobKind::Manual,
        state: JobState::Running,
        started_at: now,
        finished_at: None,
        counters: JobCounters::default(),
        error: None,
        export_complete: false,
    };
    store.create_job(&job).await.expect("job");
    let secrets = fresh_secrets().await;
    secrets
        .put(&api_token_name("acme"), &SecretString::from(TOKEN))
        .await
        .expect("token");
    let factory = ZendeskClientFactory::new(ClientConfig::default()).expect("client factory");
    let api = factory
        .connect(ZendeskAccount {
            integration_id: integration.clone(),
            base_url: sim.base_url(),
            api_email: API_EMAIL.into(),
            api_token: SecretString::from(TOKEN),
        })
        .expect("client");
    let store = Arc::new(store);
    let ctx = SyncContext {
        store: store.clone(),
        queue: Arc::new(fresh_queue().await.queue),
        secrets: Arc::new(secrets),
        zendesk: Arc::new(factory),
        clock: Arc::new(SystemClock),
        settings: ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            allow_insecure_zendesk_urls: true,
            export_lease_ttl: zsync_core::export::LEASE_TTL,
        },
    };
    let state_of = || async {
        let envelope = api.show_ticket(ticket).await.expect("show ticket");
        TicketState {
            ticket: envelope.ticket,
            users: envelope.users,
            comments: api
                .ticket_comments(ticket)
                .await
                .expect("comments")
                .comments,
        }
    };

    let first = state_of().await;
    counter.reset();
    let report = apply_ticket_snapshot(&ctx, &integration, Some(&job.id), first.clone(), true)
        .await
        .expect("apply")
        .expect("integration active");
    assert_eq!(report.outcome, ApplyOutcome::Created);
    let first_cost = print(
        "first sync (3 comments, 2 new contacts)",
        &counter.snapshot(),
    );
    let case_id = report.case_id.expect("case");
    assert_eq!(
        store.list_comments(&case_id).await.expect("comments").len(),
        3
    );
    assert!(
        store
            .find_contact_by_email("carol@customer.example.com")
            .await
            .expect("find")
            .is_some()
    );

    counter.reset();
    let again = apply_ticket_snapshot(&ctx, &integration, Some(&job.id), first, true)
        .await
        .expect("apply")
        .expect("active");
    assert_eq!(again.outcome, ApplyOutcome::Unchanged);
    let repeat_cost = print("same state again", &counter.snapshot());

    sim.agent_update_ticket(
        ticket,
        TicketChange {
            status: Some(TicketStatus::Solved),
            ..TicketChange::default()
        },
    )
    .expect("update in Zendesk");
    let solved = state_of().await;
    counter.reset();
    let update = apply_ticket_snapshot(&ctx, &integration, Some(&job.id), solved, true)
        .await
        .expect("apply")
        .expect("active");
    assert_eq!(update.outcome, ApplyOutcome::Updated);
    let update_cost = print("status change", &counter.snapshot());
    let case = store.get_case(&case_id).await.expect("get").expect("case");
    assert_eq!(case.value.status, CaseStatus::Closed);

    for cost in [&first_cost, &repeat_cost, &update_cost] {
        assert!(cost.requests > 0);
    }
    assert_eq!(counter.requests("Scan"), 0);
    // Budgets that catch a regression to per-item round trips (numbers printed above).
    assert!(first_cost.requests <= 30, "{first_cost:?}");
    assert!(
        repeat_cost.requests < first_cost.requests,
        "{repeat_cost:?}"
    );
}
