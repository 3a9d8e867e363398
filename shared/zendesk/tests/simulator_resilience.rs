//! Rate limits, 5xx bursts and timeouts against the simulator: the client waits instead of
//! hammering, retries what is safe to retry, gives up with a typed error after its bounds —
//! and never lets the token into an error.

mod common;

use std::time::Duration;

use common::{TOKEN, client, client_with_token, simulator, test_config};
use secrecy::SecretString;
use zsync_core::ports::ZendeskAccount;
use zsync_core::ports::{
    ExportFrom, NewComment, NewTicket, TicketChanges, ZendeskApi, ZendeskError,
};
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::TicketStatus;
use zsync_zendesk::{ClientConfig, RequestBudget, RetryPolicy, ZendeskClientFactory};
use zsync_zendesk_sim::{FaultPlan, RateLimit, SeedSpec, SimConfig, TicketChange};

/// Pages the whole cursor export; returns (pages, tickets).
async fn export_all(zd: &impl ZendeskApi) -> (usize, usize) {
    let mut from = ExportFrom::StartTime(0);
    let (mut pages, mut tickets) = (0, 0);
    loop {
        assert!(pages < 100, "export does not end");
        let page = zd.export_tickets(&from).await.unwrap();
        pages += 1;
        tickets += page.tickets.len();
        if page.end_of_stream {
            return (pages, tickets);
        }
        from = ExportFrom::Cursor(page.after_cursor.unwrap());
    }
}

fn sim_limit(exports: u32, window: Duration) -> RateLimit {
    RateLimit {
        requests_per_minute: 10_000,
        export_requests_per_minute: exports,
        window,
    }
}

#[tokio::test]
async fn the_export_budget_keeps_the_client_under_the_limit_without_a_single_429() {
    let s = simulator(SimConfig::default()).await;
    s.sim.seed(SeedSpec {
        tickets: 80,
        users: 10,
        agents: 1,
        comments_per_ticket: 1,
        seed: 2,
    });
    let window = Duration::from_millis(300);
    s.sim.set_rate_limit(Some(sim_limit(3, window)));
    // The client's budget: 3 per window, plus a margin for request latency (the simulator's
    // window starts when a request arrives, the client's when it is sent).
    let config = ClientConfig {
        export_page_size: 10,
        export_budget: RequestBudget {
            requests: 3,
            window: window + Duration::from_millis(300),
        },
        ..test_config()
    };
    let (pages, tickets) = export_all(&client(&s.sim, config)).await;
    assert_eq!((pages, tickets), (8, 80));
    // Refused requests are counted too: as many requests as pages means no 429 at all.
    assert_eq!(s.sim.request_count("incremental_tickets"), 8);
}

#[tokio::test]
async fn a_429_storm_is_waited_out_and_both_exports_finish() {
    let s = simulator(SimConfig::default()).await;
    s.sim.seed(SeedSpec {
        tickets: 60,
        users: 10,
        agents: 1,
        comments_per_ticket: 1,
        seed: 4,
    });
    // Zendesk allows 2 exports per window. Two processes (two factories, so two budgets that
    // know nothing of each other) export at once: each runs into 429s caused by the other.
    s.sim
        .set_rate_limit(Some(sim_limit(2, Duration::from_millis(500))));
    let config = ClientConfig {
        export_page_size: 10,
        ..test_config()
    };
    let (first, second) = (client(&s.sim, config.clone()), client(&s.sim, config));
    let (a, b) = tokio::join!(export_all(&first), export_all(&second));
    assert_eq!((a, b), ((6, 60), (6, 60)));
    let sent = s.sim.request_count("incremental_tickets");
    let refused = sent - 12;
    assert!(refused >= 1, "the storm never happened");
    // After a 429 a client waits for Retry-After instead of retrying at once: at most one
    // refusal per page.
    assert!(
        refused <= 12,
        "{refused} refused requests for 12 pages: the clients hammered"
    );
    println!("429 storm: 12 pages, {refused} refused requests");
}

#[tokio::test]
async fn rate_limited_once_the_wait_would_exceed_the_bound() {
    let s = simulator(SimConfig::default()).await;
    s.sim.seed(SeedSpec {
        tickets: 5,
        users: 2,
        agents: 1,
        comments_per_ticket: 1,
        seed: 4,
    });
    s.sim
        .set_rate_limit(Some(sim_limit(1, Duration::from_secs(30))));
    let config = ClientConfig {
        retry: RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(2),
            ..test_config().retry
        },
        ..test_config()
    };
    let zd = client(&s.sim, config);
    zd.export_tickets(&ExportFrom::StartTime(0)).await.unwrap();
    // The answer said the export budget is used up for ~30 s: the next call does not even
    // ask, and gives up at once rather than wait longer than allowed.
    match zd
        .export_tickets(&ExportFrom::StartTime(0))
        .await
        .unwrap_err()
    {
        ref err @ ZendeskError::RateLimited { retry_after, .. } => {
            assert!(retry_after > Duration::from_secs(2), "{retry_after:?}");
            assert!(err.is_retryable());
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(s.sim.request_count("incremental_tickets"), 1);
    // Other endpoints are not held back by the export budget.
    assert!(zd.current_user().await.is_ok());
}

#[tokio::test]
async fn handles_from_one_factory_share_the_account_budget() {
    let s = simulator(SimConfig::default()).await;
    let config = ClientConfig {
        general_budget: RequestBudget {
            requests: 2,
            window: Duration::from_secs(30),
        },
        retry: RetryPolicy {
            max_rate_limit_wait: Duration::from_millis(200),
            ..test_config().retry
        },
        ..test_config()
    };
    let factory = ZendeskClientFactory::new(config).unwrap();
    let handle = |integration: &str| {
        factory
            .client(ZendeskAccount {
                integration_id: IntegrationId::new(integration),
                base_url: s.sim.base_url(),
                api_email: common::EMAIL.into(),
                api_token: SecretString::from(TOKEN),
            })
            .unwrap()
    };
    let (a, b) = (handle("int-a"), handle("int-b"));
    a.current_user().await.unwrap();
    b.current_user().await.unwrap();
    // The account's budget of 2 is spent: the third call waits (here: longer than allowed)
    // instead of sending, whichever integration makes it.
    let err = a.current_user().await.unwrap_err();
    assert!(matches!(err, ZendeskError::RateLimited { .. }), "{err:?}");
    assert_eq!(s.sim.request_count("users_me"), 2);
}

#[tokio::test]
async fn a_5xx_burst_is_retried_and_a_longer_one_gives_up_after_the_cap() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 2,
        users: 2,
        agents: 1,
        comments_per_ticket: 1,
        seed: 4,
    });
    let zd = client(&s.sim, test_config());
    let id = seeded.ticket_ids[0];

    s.sim.inject_faults(FaultPlan {
        next_5xx: 3,
        endpoints: vec!["tickets_show".into()],
        ..FaultPlan::default()
    });
    assert_eq!(zd.show_ticket(id).await.unwrap().ticket.id, id);
    assert_eq!(s.sim.request_count("tickets_show"), 4);

    s.sim.inject_faults(FaultPlan {
        next_5xx: 10,
        endpoints: vec!["tickets_show".into()],
        ..FaultPlan::default()
    });
    let err = zd.show_ticket(id).await.unwrap_err();
    assert!(
        matches!(err, ZendeskError::Transient { .. }) && err.is_retryable(),
        "{err:?}"
    );
    assert_eq!(s.sim.request_count("tickets_show"), 8, "max_attempts = 4");

    // A creation that may have happened is not blindly repeated (publish finds it by
    // external_id instead).
    s.sim.inject_faults(FaultPlan {
        next_5xx: 1,
        endpoints: vec!["tickets_create".into()],
        ..FaultPlan::default()
    });
    let ticket = NewTicket {
        subject: "x".into(),
        comment: NewComment {
            body: "y".into(),
            public: true,
            author_id: None,
        },
        requester: None,
        assignee_id: None,
        priority: None,
        status: None,
        ticket_type: None,
        external_id: Some("case-1".into()),
    };
    let err = zd.create_ticket(&ticket).await.unwrap_err();
    assert!(matches!(err, ZendeskError::Transient { .. }), "{err:?}");
    assert_eq!(s.sim.request_count("tickets_create"), 1);
}

#[tokio::test]
async fn a_timed_out_read_is_retried() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 1,
        users: 1,
        agents: 1,
        comments_per_ticket: 1,
        seed: 4,
    });
    let config = ClientConfig {
        request_timeout: Duration::from_secs(1),
        ..test_config()
    };
    let zd = client(&s.sim, config);
    s.sim.inject_faults(FaultPlan {
        next_timeouts: 1,
        timeout_delay: Duration::from_secs(4),
        endpoints: vec!["users_show_many".into()],
        ..FaultPlan::default()
    });
    let users = zd.show_users(&seeded.end_user_ids).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(s.sim.request_count("users_show_many"), 2);
}

#[tokio::test]
async fn no_error_and_no_debug_output_contains_the_token() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: 20,
        users: 2,
        agents: 1,
        comments_per_ticket: 1,
        seed: 4,
    });
    let config = ClientConfig {
        retry: RetryPolicy {
            max_rate_limit_wait: Duration::from_millis(100),
            ..test_config().retry
        },
        ..test_config()
    };
    let zd = client(&s.sim, config.clone());
    let live = |id: &u64| {
        let status = s.sim.ticket(*id).unwrap().status;
        !matches!(status, Some(TicketStatus::Closed | TicketStatus::Deleted))
    };
    let mut live_ids = seeded.ticket_ids.iter().copied().filter(live);
    let (open, other) = (live_ids.next().unwrap(), live_ids.next().unwrap());
    let stamp = s.sim.ticket(open).unwrap().updated_at.unwrap() - chrono::Duration::seconds(5);
    let closed = s
        .sim
        .agent_update_ticket(
            other,
            TicketChange {
                status: Some(TicketStatus::Closed),
                ..TicketChange::default()
            },
        )
        .unwrap();
    let change = TicketChanges {
        subject: Some("s".into()),
        ..TicketChanges::default()
    };

    let mut errors = vec![
        zd.update_ticket(open, &change, stamp).await.unwrap_err(),
        zd.update_ticket(other, &change, closed.updated_at.unwrap())
            .await
            .unwrap_err(),
        zd.show_ticket(123_456_789).await.unwrap_err(),
        client_with_token(&s.sim, config.clone(), "bad-token")
            .show_ticket(open)
            .await
            .unwrap_err(),
        zd.webhook_signing_secret("does-not-exist")
            .await
            .unwrap_err(),
    ];
    s.sim.inject_faults(FaultPlan {
        next_5xx: 10,
        endpoints: vec!["tickets_show".into()],
        ..FaultPlan::default()
    });
    errors.push(zd.show_ticket(open).await.unwrap_err());
    s.sim.clear_faults();
    s.sim
        .set_rate_limit(Some(sim_limit(0, Duration::from_secs(30))));
    errors.push(
        zd.export_tickets(&ExportFrom::StartTime(0))
            .await
            .unwrap_err(),
    );
    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            ZendeskError::Conflict { .. } => "conflict",
            ZendeskError::ClosedTicket { .. } => "closed",
            ZendeskError::NotFound { .. } => "not_found",
            ZendeskError::Auth { .. } => "auth",
            ZendeskError::Transient { .. } => "transient",
            ZendeskError::RateLimited { .. } => "rate_limited",
            ZendeskError::Invalid { .. } => "invalid",
            ZendeskError::Decode { .. } => "decode",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "conflict",
            "closed",
            "not_found",
            "auth",
            "not_found",
            "transient",
            "rate_limited"
        ]
    );
    for err in &errors {
        for text in [format!("{err:?}"), err.to_string()] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains("bad-token"), "{text}");
            assert!(
                !text.to_ascii_lowercase().contains("authorization"),
                "{text}"
            );
        }
    }
    let debug = format!("{zd:?}");
    assert!(
        !debug.contains(TOKEN) && debug.contains("redacted"),
        "{debug}"
    );
}
