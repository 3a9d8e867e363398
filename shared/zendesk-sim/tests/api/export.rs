use zsync_mapping::zendesk::{TicketEventPage, TicketExportPage, TicketStatus};
use zsync_zendesk_sim::{NewTicket, TicketChange};

use crate::Harness;

async fn page(h: &Harness, query: &str) -> TicketExportPage {
    let response = h
        .get(&format!("/api/v2/incremental/tickets/cursor.json?{query}"))
        .await;
    assert_eq!(response.status(), 200);
    response
        .json()
        .await
        .expect("export page parses as TicketExportPage")
}

fn new_ticket(requester: u64, subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: format!("{subject} body"),
        requester_id: requester,
        ..Default::default()
    }
}

#[tokio::test]
async fn cursor_export_pages_sees_later_changes_and_keeps_after_cursor_at_end() {
    let h = Harness::start().await;
    let requester = h.end_user("Ann Lee", "ann@example.com");
    let ids: Vec<u64> = (0..5)
        .map(|n| h.sim.add_ticket(new_ticket(requester, &format!("t{n}"))))
        .collect();

    let mut seen = Vec::new();
    let mut query = "start_time=0&per_page=2&include=users".to_owned();
    let mut last = None;
    for _ in 0..10 {
        let p = page(&h, &query).await;
        assert!(p.tickets.len() <= 2);
        assert!(
            p.users.iter().any(|u| u.id == requester),
            "requester sideloaded"
        );
        seen.extend(p.tickets.iter().map(|t| t.id));
        let cursor = p.after_cursor.clone().expect("after_cursor on every page");
        query = format!("cursor={}&per_page=2&include=users", urlencode(&cursor));
        if p.end_of_stream {
            last = Some(cursor);
            break;
        }
    }
    assert_eq!(seen, ids, "every ticket once, in change order");
    let cursor = last.expect("reached end_of_stream");

    // Nothing new: an empty page that keeps the cursor.
    let idle = page(&h, &format!("cursor={}", urlencode(&cursor))).await;
    assert!(idle.tickets.is_empty() && idle.end_of_stream);
    assert_eq!(idle.after_cursor.as_deref(), Some(cursor.as_str()));

    // A change in Zendesk (even within the same second) shows up after the stored cursor.
    h.sim
        .agent_update_ticket(
            ids[0],
            TicketChange {
                status: Some(TicketStatus::Pending),
                ..Default::default()
            },
        )
        .expect("update");
    let next = page(&h, &format!("cursor={}", urlencode(&cursor))).await;
    assert_eq!(next.tickets.len(), 1);
    assert_eq!(next.tickets[0].id, ids[0]);
    assert_eq!(next.tickets[0].status, Some(TicketStatus::Pending));
    assert!(next.tickets[0].generated_timestamp.is_some());
    assert!(next.end_of_stream);
}

#[tokio::test]
async fn deleted_tickets_are_exported_with_status_deleted_and_gone_from_rest() {
    let h = Harness::start().await;
    let requester = h.end_user("Bob", "bob@example.com");
    let id = h.sim.add_ticket(new_ticket(requester, "to delete"));
    h.sim.delete_ticket(id).expect("delete");

    let p = page(&h, "start_time=0").await;
    let exported = p
        .tickets
        .iter()
        .find(|t| t.id == id)
        .expect("deleted ticket exported");
    assert!(exported.is_deleted());

    let show = h.get(&format!("/api/v2/tickets/{id}.json")).await;
    assert_eq!(show.status(), 404);
    assert_eq!(show.text().await.unwrap(), crate::NOT_FOUND_BODY);
}

#[tokio::test]
async fn export_refuses_bad_cursor_and_missing_start() {
    let h = Harness::start().await;
    assert_eq!(
        h.get("/api/v2/incremental/tickets/cursor.json")
            .await
            .status(),
        400
    );
    assert_eq!(
        h.get("/api/v2/incremental/tickets/cursor.json?cursor=%%%")
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn ticket_events_export_carries_comment_events() {
    let h = Harness::start().await;
    let requester = h.end_user("Carla", "carla@example.com");
    let agent = h.agent("Agent Smith", "smith@support.example.com");
    let id = h.sim.add_ticket(new_ticket(requester, "events"));
    h.sim
        .add_comment(id, agent, "We are on it", false)
        .expect("comment");

    let response = h
        .get("/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events")
        .await;
    assert_eq!(response.status(), 200);
    let p: TicketEventPage = response.json().await.expect("parses as TicketEventPage");
    assert!(p.end_of_stream);
    assert_eq!(p.count, Some(2));
    let comments: Vec<_> = p.ticket_events.iter().flat_map(|e| e.comments()).collect();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].body, "events body");
    assert_eq!(comments[1].body, "We are on it");
    assert!(!comments[1].public);
    assert_eq!(comments[1].author_id, Some(agent));
    let end = p.end_time.expect("end_time");
    assert!(
        p.next_page
            .expect("next_page")
            .contains(&format!("start_time={end}"))
    );

    // Without include=comment_events the audits come without comment children.
    let plain: TicketEventPage = h
        .get("/api/v2/incremental/ticket_events.json?start_time=0")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        plain
            .ticket_events
            .iter()
            .flat_map(|e| e.comments())
            .count(),
        0
    );
}

pub fn urlencode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[tokio::test]
async fn comment_edits_bump_the_ticket_and_show_in_both_exports() {
    let h = Harness::start().await;
    let requester = h.end_user("Mo", "mo@example.com");
    let id = h.sim.add_ticket(new_ticket(requester, "secret"));
    let first = page(&h, "start_time=0").await;
    let cursor = first.after_cursor.unwrap();
    let comment = h.sim.comments(id)[0].id;
    h.sim.edit_comment(id, comment, "▇▇▇▇▇▇ body").unwrap();

    let next = page(&h, &format!("cursor={}", urlencode(&cursor))).await;
    assert_eq!(
        next.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![id]
    );
    let events: TicketEventPage = h
        .get("/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events")
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<String> = events
        .ticket_events
        .iter()
        .flat_map(|e| e.comments())
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, vec!["▇▇▇▇▇▇ body"]);
    assert!(h.sim.edit_comment(id, 1, "x").is_err(), "unknown comment");
}

#[tokio::test]
async fn time_based_export_returns_whole_seconds_and_continues_at_end_time() {
    let h = Harness::start().await;
    h.sim.seed(zsync_zendesk_sim::SeedSpec {
        tickets: 30,
        users: 5,
        agents: 2,
        comments_per_ticket: 1,
        seed: 3,
    });
    let mut start = 0;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let response = h
            .get(&format!(
                "/api/v2/incremental/tickets.json?start_time={start}&per_page=7"
            ))
            .await;
        assert_eq!(response.status(), 200);
        let p: TicketExportPage = response.json().await.unwrap();
        seen.extend(p.tickets.iter().map(|t| t.id));
        assert_eq!(p.count, Some(p.tickets.len() as u64));
        start = p.end_time.expect("end_time");
        if p.end_of_stream {
            break;
        }
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 30);
    assert_eq!(h.sim.request_count("incremental_tickets_time"), 5);
}
