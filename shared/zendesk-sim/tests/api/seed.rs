use std::time::Instant;

use zsync_mapping::zendesk::TicketExportPage;
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator};

use crate::Harness;

#[tokio::test]
async fn seed_is_deterministic_and_fast_for_10k_tickets() {
    let spec = SeedSpec {
        tickets: 10_000,
        users: 2_000,
        agents: 20,
        comments_per_ticket: 3,
        seed: 42,
    };
    let a = Simulator::start(SimConfig::default()).await.unwrap();
    let b = Simulator::start(SimConfig::default()).await.unwrap();
    let started = Instant::now();
    let summary = a.seed(spec.clone());
    let took = started.elapsed();
    b.seed(spec);
    assert_eq!(summary.ticket_ids.len(), 10_000);
    assert_eq!(summary.comments, 30_000);
    assert!(
        took.as_secs_f64() < 5.0,
        "seeding 10k tickets took {took:?}"
    );
    println!("seeded 10k tickets / 30k comments in {took:?}");

    // Same spec, same account — except the URLs, which carry each simulator's port.
    let strip = |mut t: zsync_mapping::zendesk::Ticket| {
        t.url = None;
        t
    };
    let ta: Vec<_> = a.tickets().into_iter().map(strip).collect();
    let tb: Vec<_> = b.tickets().into_iter().map(strip).collect();
    assert!(
        ta == tb,
        "tickets differ between two seeds with the same spec"
    );
    assert_eq!(a.comments(5000), b.comments(5000));
    let names = |s: &Simulator| {
        s.users()
            .into_iter()
            .map(|u| (u.name, u.email, u.role))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
    // A different seed gives different data.
    let c = Simulator::start(SimConfig::default()).await.unwrap();
    c.seed(SeedSpec {
        tickets: 100,
        users: 50,
        agents: 3,
        comments_per_ticket: 2,
        seed: 43,
    });
    let first_c: Vec<_> = c
        .tickets()
        .into_iter()
        .take(100)
        .map(|t| t.subject)
        .collect();
    let first_a: Vec<_> = a
        .tickets()
        .into_iter()
        .take(100)
        .map(|t| t.subject)
        .collect();
    assert_ne!(first_a, first_c);
}

#[tokio::test]
async fn seeded_account_exports_fully_in_1000_ticket_pages() {
    let h = Harness::start().await;
    h.sim.seed(SeedSpec {
        tickets: 2_500,
        users: 300,
        agents: 5,
        comments_per_ticket: 1,
        seed: 7,
    });
    let mut query = "start_time=0&include=users".to_owned();
    let mut total = 0;
    let mut pages = 0;
    for _ in 0..10 {
        let p: TicketExportPage = h
            .get(&format!("/api/v2/incremental/tickets/cursor.json?{query}"))
            .await
            .json()
            .await
            .unwrap();
        pages += 1;
        total += p.tickets.len();
        assert!(p.tickets.len() <= 1000);
        let missing: Vec<u64> = p
            .tickets
            .iter()
            .filter_map(|t| t.requester_id)
            .filter(|id| !p.users.iter().any(|u| u.id == *id))
            .collect();
        assert!(missing.is_empty(), "requesters not sideloaded: {missing:?}");
        query = format!(
            "cursor={}&include=users",
            crate::export::urlencode(&p.after_cursor.unwrap())
        );
        if p.end_of_stream {
            break;
        }
    }
    assert_eq!((total, pages), (2_500, 3));
}
