//! What "the account is mirrored" means, checked behind the ports, and the seeding used.

use std::collections::BTreeSet;

use zsync_mapping::zendesk::{Ticket, TicketPriority, TicketStatus};
use zsync_mapping::{CasePriority, CaseStatus, JobState, LogOutcome};
use zsync_zendesk_sim::SeedSpec;

use super::World;

/// docs/sync-rules.md §3.1 written out again as the oracle (status, priority on create).
pub fn expected_status(ticket: &Ticket) -> CaseStatus {
    match ticket.status {
        Some(TicketStatus::Pending) => CaseStatus::InProgress,
        Some(TicketStatus::Solved | TicketStatus::Closed) => CaseStatus::Closed,
        _ => CaseStatus::Open,
    }
}

pub fn expected_priority(ticket: &Ticket) -> CasePriority {
    match ticket.priority {
        Some(TicketPriority::Low) => CasePriority::Low,
        Some(TicketPriority::High | TicketPriority::Urgent) => CasePriority::High,
        _ => CasePriority::Normal,
    }
}

pub fn seed(w: &World, tickets: usize, comments_per_ticket: usize) -> Vec<u64> {
    w.sim
        .seed(SeedSpec {
            tickets,
            users: 40,
            agents: 4,
            comments_per_ticket,
            seed: 11,
        })
        .ticket_ids
}

/// Every live ticket has exactly one case with the mapped fields and all its comments; deleted
/// ones have none; the job finished successfully.
pub async fn assert_account_mirrored(w: &World, deleted: &BTreeSet<u64>) {
    let live: Vec<Ticket> = w
        .sim
        .tickets()
        .into_iter()
        .filter(|t| !deleted.contains(&t.id))
        .collect();
    let cases = w.all_cases().await;
    assert_eq!(cases.len(), live.len(), "one case per live ticket");
    let ids: BTreeSet<_> = cases.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), cases.len(), "no duplicate cases");
    for ticket in &live {
        let (case, _) = w.case_of(ticket.id).await;
        assert_eq!(case.subject, ticket.subject.clone().unwrap_or_default());
        assert_eq!(case.status, expected_status(ticket), "ticket {}", ticket.id);
        assert_eq!(
            case.priority,
            expected_priority(ticket),
            "ticket {}",
            ticket.id
        );
        let comments = w.ctx.store.list_comments(&case.id).await.expect("comments");
        let imported: BTreeSet<_> = comments
            .iter()
            .filter_map(|c| c.zendesk_comment_id)
            .collect();
        let in_zendesk: BTreeSet<_> = w.sim.comments(ticket.id).iter().map(|c| c.id).collect();
        assert_eq!(imported, in_zendesk, "comments of ticket {}", ticket.id);
    }
    for ticket in deleted {
        assert!(w.record(*ticket).await.is_none(), "deleted ticket {ticket}");
    }
    let jobs = w
        .ctx
        .store
        .list_jobs(&w.integration, 10)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].state, JobState::Succeeded, "{:?}", jobs[0]);
}

/// Redeliveries (moto answers some concurrent transactions with a 500) healed: nothing was
/// dead-lettered and the sync log has no failure.
pub async fn assert_nothing_failed(w: &World) {
    let dead = crate::aws_common::dead_letters(&w.sqs, &w.urls.dlq_url).await;
    assert!(dead.is_empty(), "{dead:?}");
    let log = w
        .ctx
        .store
        .list_log(&w.integration, 1000)
        .await
        .expect("log");
    let failed: Vec<_> = log
        .iter()
        .filter(|e| e.outcome == LogOutcome::Failed)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(w.queue_depth().await, 0);
}
