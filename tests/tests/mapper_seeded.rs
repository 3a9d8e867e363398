//! A whole seeded account through the mapper, as the export delivers it: ticket snapshots and
//! ticket-event comments as queue messages in shuffled order. Every ticket becomes one case with
//! all its comments; a second pass changes nothing.

mod mapper_common;

use std::collections::BTreeMap;
use std::time::Instant;

use mapper_common::world;
use zsync_core::SyncMessage;
use zsync_core::ports::ExportFrom;
use zsync_core::sync::{ReceivedMessage, process_batch};
use zsync_mapping::SyncPriority;
use zsync_mapping::zendesk::Comment;
use zsync_zendesk_sim::SeedSpec;

const TICKETS: usize = 200;

#[tokio::test]
async fn a_seeded_account_lands_completely_and_a_second_pass_changes_nothing() {
    let w = world(false, SyncPriority::Remote).await;
    let seeded = w.sim.seed(SeedSpec {
        tickets: TICKETS,
        users: 60,
        agents: 5,
        comments_per_ticket: 3,
        seed: 7,
    });
    let job = w.start_job().await;

    let mut messages = Vec::new();
    let mut from = ExportFrom::StartTime(0);
    for _ in 0..50 {
        let page = w.api.export_tickets(&from).await.unwrap();
        for ticket in &page.tickets {
            messages.push(SyncMessage::TicketSnapshot {
                integration_id: w.integration.clone(),
                job_id: Some(job.clone()),
                ticket: Box::new(ticket.clone()),
                users: page.users.clone(),
                comments: Vec::new(),
                part: None,
            });
        }
        match page.after_cursor {
            Some(cursor) if !page.end_of_stream => from = ExportFrom::Cursor(cursor),
            _ => break,
        }
    }
    let mut comments: BTreeMap<u64, Vec<Comment>> = BTreeMap::new();
    let mut start = 0;
    for _ in 0..50 {
        let page = w.api.export_ticket_events(start).await.unwrap();
        for event in &page.ticket_events {
            comments
                .entry(event.ticket_id)
                .or_default()
                .extend(event.comments());
        }
        match page.end_time {
            Some(end) if !page.end_of_stream => start = end,
            _ => break,
        }
    }
    // The export sends comments with their authors (fetched in batches per page).
    let everyone = w.sim.users();
    for (ticket_id, comments) in comments {
        let users = everyone
            .iter()
            .filter(|u| comments.iter().any(|c| c.author_id == Some(u.id)))
            .cloned()
            .collect();
        messages.push(SyncMessage::TicketComments {
            integration_id: w.integration.clone(),
            job_id: Some(job.clone()),
            ticket_id,
            comments,
            users,
        });
    }
    // Comments first for every other ticket: a deterministic shuffle.
    messages.sort_by_key(|m| match m {
        SyncMessage::TicketSnapshot { ticket, .. } => (ticket.id % 7, 1),
        SyncMessage::TicketComments { ticket_id, .. } => (ticket_id % 7, ticket_id % 2),
        _ => (0, 0),
    });
    let batches = |messages: &[SyncMessage]| -> Vec<Vec<ReceivedMessage>> {
        messages
            .chunks(10)
            .map(|chunk| {
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, m)| ReceivedMessage {
                        id: i.to_string(),
                        body: m.encode(),
                        receive_count: 1,
                        receipt: None,
                    })
                    .collect()
            })
            .collect()
    };

    let started = Instant::now();
    for batch in batches(&messages) {
        assert!(process_batch(&w.ctx, batch, 5).await.is_empty());
    }
    let first_pass = started.elapsed();
    let first_pass_requests = w.sim.total_requests();

    assert_eq!(w.counters(&job).await.cases_created, TICKETS as u64);
    for id in &seeded.ticket_ids {
        let case = w.case(*id).await;
        let zendesk_comments = w.sim.comments(*id);
        let case_comments = w.comments(*id).await;
        assert_eq!(case_comments.len(), zendesk_comments.len(), "ticket {id}");
        assert_eq!(
            case.subject,
            w.sim.ticket(*id).unwrap().subject.unwrap_or_default()
        );
    }
    let contacts = w.store().list_contacts(None, 1000).await.unwrap().items;
    let mut emails: Vec<_> = contacts.iter().filter_map(|c| c.email.clone()).collect();
    let all = emails.len();
    emails.sort();
    emails.dedup();
    assert_eq!(all, emails.len(), "one contact per e-mail");

    let started = Instant::now();
    w.sim.reset_request_counts();
    for batch in batches(&messages) {
        assert!(process_batch(&w.ctx, batch, 5).await.is_empty());
    }
    let second_pass = started.elapsed();
    let counters = w.counters(&job).await;
    assert_eq!(counters.unchanged, TICKETS as u64, "{counters:?}");
    assert_eq!(counters.cases_updated, 0);
    assert_eq!(w.sim.total_requests(), 0, "{:?}", w.sim.request_counts());
    println!(
        "{} messages ({TICKETS} tickets): first pass {first_pass:?} with {first_pass_requests} \
         Zendesk requests, second pass {second_pass:?}",
        messages.len()
    );
}
