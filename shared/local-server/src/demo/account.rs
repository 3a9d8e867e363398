//! The simulated Zendesk account of the demo: a deterministic generated account (every status,
//! priority and type, agents and end-users, public and private comments), plus what a real
//! account always has and a generator might miss at a small size — a customer without e-mail
//! (phone support), a ticket in every status, and a deleted ticket.

use zsync_mapping::zendesk::{TicketPriority, TicketStatus, TicketType, UserRole};
use zsync_zendesk_sim::{NewTicket, SeedSpec, Simulator};

/// What the account holds, for the summary and the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededAccount {
    /// Every ticket id, the deleted one included.
    pub ticket_ids: Vec<u64>,
    pub deleted_ticket: Option<u64>,
    pub agents: usize,
    pub end_users: usize,
    pub comments: usize,
}

const STATUSES: [TicketStatus; 6] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::Pending,
    TicketStatus::Hold,
    TicketStatus::Solved,
    TicketStatus::Closed,
];

pub fn seed_account(sim: &Simulator, tickets: usize, seed: u64) -> SeededAccount {
    let spec = SeedSpec {
        tickets,
        users: (tickets / 4).max(4),
        agents: 6,
        comments_per_ticket: 3,
        seed,
    };
    let seeded = sim.seed(spec);
    let mut ticket_ids = seeded.ticket_ids.clone();
    let mut comments = seeded.comments;
    let agent = seeded.agent_ids.first().copied();

    // A phone customer: no e-mail, an urgent ticket on hold with a private note.
    let caller = sim.add_user("Walk-in Caller", None, UserRole::EndUser);
    let phone_ticket = sim.add_ticket(NewTicket {
        subject: "Called about a broken charger".to_owned(),
        description: "Customer phoned in; no e-mail on file.".to_owned(),
        requester_id: caller,
        assignee_id: agent,
        status: Some(TicketStatus::Hold),
        priority: Some(TicketPriority::Urgent),
        ticket_type: Some(TicketType::Incident),
        ..NewTicket::default()
    });
    ticket_ids.push(phone_ticket);
    comments += 1;
    if let Some(agent) = agent
        && sim
            .add_comment(phone_ticket, agent, "Internal: replacement shipped.", false)
            .is_ok()
    {
        comments += 1;
    }

    // Small generated accounts may miss a status: add one ticket for each that is missing.
    let present: Vec<TicketStatus> = sim.tickets().into_iter().filter_map(|t| t.status).collect();
    for status in STATUSES.iter().filter(|s| !present.contains(s)) {
        let id = sim.add_ticket(NewTicket {
            subject: format!("A ticket that is {status}"),
            description: format!("Made {status} for the demo."),
            requester_id: seeded.end_user_ids.first().copied().unwrap_or(caller),
            assignee_id: agent,
            status: Some(status.clone()),
            priority: None,
            ..NewTicket::default()
        });
        ticket_ids.push(id);
        comments += 1;
    }

    // One ticket deleted in Zendesk before the first sync (a closed one cannot be deleted).
    let deleted_ticket = ticket_ids.iter().copied().find(|&id| {
        sim.ticket(id)
            .is_some_and(|t| t.status != Some(TicketStatus::Closed))
            && sim.delete_ticket(id).is_ok()
    });
    SeededAccount {
        ticket_ids,
        deleted_ticket,
        agents: seeded.agent_ids.len(),
        end_users: seeded.end_user_ids.len() + 1,
        comments,
    }
}
