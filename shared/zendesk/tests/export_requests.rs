//! Measurement for the issue note: Zendesk requests needed to read 10,000 tickets with their
//! users and 3 comments each through the bulk exports (cursor ticket export, 1,000 per page,
//! users sideloaded; ticket-events export with comment events). Counted by the simulator.
//! Run with `cargo test -p zsync-zendesk --test export_requests -- --nocapture`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{client, simulator, test_config};
use zsync_core::ports::{ExportFrom, ZendeskApi};
use zsync_zendesk::{ClientConfig, RequestBudget};
use zsync_zendesk_sim::{RateLimit, SeedSpec, SimConfig};

const TICKETS: usize = 10_000;

#[tokio::test]
async fn reading_10k_tickets_with_users_and_comments_takes_few_requests() {
    let s = simulator(SimConfig::default()).await;
    let seeded = s.sim.seed(SeedSpec {
        tickets: TICKETS,
        users: 2_000,
        agents: 20,
        comments_per_ticket: 3,
        seed: 11,
    });
    // Zendesk's real budget shape (10 exports per window), with a 200 ms "minute".
    let window = Duration::from_millis(200);
    s.sim.set_rate_limit(Some(RateLimit {
        requests_per_minute: 700,
        export_requests_per_minute: 10,
        window,
    }));
    let config = ClientConfig {
        export_budget: RequestBudget {
            requests: 10,
            window: window + Duration::from_millis(100),
        },
        ..test_config()
    };
    let zd = client(&s.sim, config);
    s.sim.reset_request_counts();
    let started = Instant::now();

    let mut tickets = BTreeSet::new();
    let mut users = BTreeSet::new();
    let mut requesters = BTreeSet::new();
    let mut from = ExportFrom::StartTime(0);
    for round in 0.. {
        assert!(round < 50, "ticket export does not end");
        let page = zd.export_tickets(&from).await.unwrap();
        tickets.extend(page.tickets.iter().map(|t| t.id));
        requesters.extend(page.tickets.iter().filter_map(|t| t.requester_id));
        users.extend(page.users.iter().map(|u| u.id));
        if page.end_of_stream {
            break;
        }
        from = ExportFrom::Cursor(page.after_cursor.unwrap());
    }

    let mut comments: BTreeMap<u64, usize> = BTreeMap::new();
    let mut start = 0;
    for round in 0.. {
        assert!(round < 200, "events export does not end");
        let page = zd.export_ticket_events(start).await.unwrap();
        for event in &page.ticket_events {
            *comments.entry(event.ticket_id).or_default() += event.comments().count();
        }
        if page.end_of_stream {
            break;
        }
        start = page.end_time.unwrap();
    }
    let elapsed = started.elapsed();

    assert_eq!(tickets.len(), TICKETS);
    assert_eq!(tickets, seeded.ticket_ids.iter().copied().collect());
    assert!(
        requesters.is_subset(&users),
        "every requester arrives sideloaded"
    );
    assert_eq!(comments.values().sum::<usize>(), seeded.comments);
    assert!(comments.values().all(|&n| n == 3), "3 comments per ticket");

    let counts = s.sim.request_counts();
    let total = s.sim.total_requests();
    let ticket_pages = s.sim.request_count("incremental_tickets");
    let event_pages = s.sim.request_count("ticket_events");
    println!(
        "read {TICKETS} tickets, {} users, {} comments with {total} Zendesk requests \
         ({ticket_pages} ticket-export pages + {event_pages} ticket-event pages; all: {counts:?}) \
         in {elapsed:.1?} (debug build, 10 exports per {window:?} window)",
        users.len(),
        seeded.comments,
    );
    assert_eq!(
        total,
        ticket_pages + event_pages,
        "nothing but the two exports, no 429s"
    );
    assert!(total <= 60, "{total} requests (target ≤ 60)");
}
