//! The scheduled export against a simulated Zendesk account: the first run enqueues every
//! ticket and every comment once, a run without changes enqueues nothing, agent changes appear
//! on the next run. Also prints the Zendesk requests a first export costs per 1,000 tickets.

mod export_common;

use export_common::{Harness, as_sets, deadline, sent_comments, snapshot_counts};
use std::time::Duration;
use zsync_core::export::{RunEnd, run_exports};
use zsync_core::message::SyncMessage;
use zsync_mapping::zendesk::TicketStatus;
use zsync_mapping::{JobKind, JobState};

use zsync_zendesk_sim::{RateLimit, SimConfig, TicketChange};

#[tokio::test]
async fn first_export_enqueues_every_ticket_and_comment_once_then_only_changes() {
    let h = Harness::start(40).await;
    h.seed(150, 3);

    let runs = run_exports(&h.ctx, deadline()).await.expect("run");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].end, RunEnd::Complete, "{runs:?}");
    assert!(
        runs[0].ticket_pages >= 4,
        "150 tickets at 40 a page: {runs:?}"
    );
    let messages = h.drain().await;

    let counts = snapshot_counts(&messages);
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        h.all_ticket_ids().into_iter().collect::<Vec<_>>()
    );
    assert!(
        counts.values().all(|n| *n == 1),
        "each ticket once: {counts:?}"
    );
    let sent = sent_comments(&messages);
    assert!(
        sent.values()
            .all(|c| c.len() == c.iter().collect::<std::collections::BTreeSet<_>>().len()),
        "no comment twice"
    );
    assert_eq!(
        as_sets(&sent),
        h.all_comment_ids(),
        "every comment of every ticket"
    );

    // Each message carries the people the mapper needs.
    for m in &messages {
        match m {
            SyncMessage::TicketSnapshot {
                ticket,
                users,
                job_id,
                ..
            } => {
                let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
                let requester = ticket.requester_id.expect("seeded tickets have requesters");
                assert!(
                    ids.contains(&requester),
                    "requester of {} sideloaded",
                    ticket.id
                );
                assert_eq!(job_id, &runs[0].job_id);
            }
            SyncMessage::TicketComments {
                comments, users, ..
            } => {
                let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
                for c in comments {
                    assert!(
                        ids.contains(&c.author_id.expect("author")),
                        "author of comment {}",
                        c.id
                    );
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    let jobs = h
        .ctx
        .store
        .list_jobs(&h.integration, 10)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].kind, jobs[0].state, jobs[0].export_complete),
        (JobKind::Scheduled, JobState::Running, true),
        "exported, waiting for the mapper (no mapper runs in this test)"
    );
    assert_eq!(jobs[0].counters.tickets_seen, 150);
    assert!(jobs[0].finished_at.is_none());

    // Nothing changed: nothing new, and no job for a run without work.
    let again = run_exports(&h.ctx, deadline()).await.expect("second run");
    assert_eq!(again[0].end, RunEnd::Complete);
    assert_eq!(h.drain().await, Vec::new());
    assert_eq!(
        h.ctx
            .store
            .list_jobs(&h.integration, 10)
            .await
            .expect("jobs")
            .len(),
        1
    );

    // An agent solves a ticket with a comment: exactly that shows up next time.
    let changed = *h.all_ticket_ids().iter().nth(17).expect("ticket");
    h.sim
        .agent_update_ticket(
            changed,
            TicketChange {
                status: Some(TicketStatus::Solved),
                comment: Some(("Fixed on our side.".into(), true)),
                ..Default::default()
            },
        )
        .expect("agent update");
    run_exports(&h.ctx, deadline()).await.expect("third run");
    let messages = h.drain().await;
    let snapshots: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            SyncMessage::TicketSnapshot { ticket, .. } => Some(ticket),
            _ => None,
        })
        .collect();
    assert_eq!(snapshots.len(), 1, "{messages:?}");
    assert_eq!(
        (snapshots[0].id, snapshots[0].status.clone()),
        (changed, Some(TicketStatus::Solved))
    );
    let comments = sent_comments(&messages);
    let newest = h.sim.comments(changed).last().expect("comment").id;
    assert_eq!(
        comments.into_iter().collect::<Vec<_>>(),
        vec![(changed, vec![newest])]
    );
    let jobs = h
        .ctx
        .store
        .list_jobs(&h.integration, 10)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 2, "a scheduled job for the run that had work");
    assert!(
        jobs.iter()
            .all(|j| j.state == JobState::Running && j.export_complete)
    );
}

#[tokio::test]
async fn requests_per_thousand_tickets_of_a_first_export() {
    // Zendesk's real page size (1,000) and export budget (10 requests per window; the window
    // shortened to a second) over a 2,000-ticket account with 3 comments each.
    let limits = RateLimit {
        window: Duration::from_secs(1),
        ..RateLimit::default()
    };
    let config = SimConfig {
        rate_limit: Some(limits),
        ..SimConfig::default()
    };
    let h = Harness::start_with(1000, config).await;
    h.seed(2000, 3);
    h.sim.reset_request_counts();
    let runs = run_exports(&h.ctx, deadline()).await.expect("run");
    assert_eq!(runs[0].end, RunEnd::Complete, "{runs:?}");
    assert_eq!(snapshot_counts(&h.drain().await).len(), 2000);
    let total = h.sim.total_requests();
    println!(
        "first export of 2,000 tickets: {total} Zendesk requests ({:.1} per 1,000 tickets): {:?}",
        total as f64 / 2.0,
        h.sim.request_counts()
    );
}
