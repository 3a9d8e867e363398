//! Deterministic account generator: the same `SeedSpec` always yields the same users,
//! tickets and comments (fixed base time, SplitMix64), fast enough for 20k tickets.
//! Seeded data lies in the past (January 2024), so it exports before anything changed later.

use zsync_mapping::zendesk::{Ticket, TicketPriority, TicketStatus, TicketType, UserRole};

use super::{AuditEvent, State, StoredTicket, ts_to_time};
use crate::model::{SeedSpec, SeedSummary};
use crate::rng::SplitMix64;

/// 2024-01-01T00:00:00Z.
const BASE_TIME: i64 = 1_704_067_200;
const TICKET_SPACING_SECS: i64 = 30;
const COMMENT_SPACING_SECS: i64 = 600;

const FIRST: &[&str] = &[
    "Ann", "Bob", "Carla", "David", "Eva", "Frank", "Grace", "Hugo", "Iris", "Jon", "Kim", "Liam",
    "Maria", "Nils", "Olga", "Paul",
];
const LAST: &[&str] = &[
    "Miller", "Smith", "Garcia", "Lee", "Novak", "Okafor", "Schmidt", "Rossi", "Tanaka", "Dubois",
    "Silva", "Brown",
];
const PREFIXES: &[&str] = &["Mr.", "Mrs.", "Dr.", "Ms", "Prof."];
const SUFFIXES: &[&str] = &["Jr.", "Sr.", "PhD", "III"];
const TOPICS: &[&str] = &[
    "Printer is on fire",
    "Cannot log in",
    "Invoice shows the wrong amount",
    "Feature request: dark mode",
    "Password reset mail never arrives",
    "App crashes on start",
    "Refund for order",
    "Shipping delayed",
];
const REPLIES: &[&str] = &[
    "Thanks for reaching out, we are looking into it.",
    "Could you send a screenshot?",
    "Here is the screenshot you asked for.",
    "This should be fixed now, please try again.",
    "Internal note: escalate to tier 2.",
    "Still broken on my side.",
];

fn person_name(rng: &mut SplitMix64, n: usize) -> String {
    let first = rng.pick(FIRST).copied().unwrap_or("Ann");
    let last = rng.pick(LAST).copied().unwrap_or("Lee");
    match rng.below(10) {
        0 => format!(
            "{} {first} {last}",
            rng.pick(PREFIXES).copied().unwrap_or("Dr.")
        ),
        1 => format!(
            "{first} {last} {}",
            rng.pick(SUFFIXES).copied().unwrap_or("Jr.")
        ),
        2 => format!("{first} Maria {last}"),
        _ if n.is_multiple_of(17) => first.to_owned(),
        _ => format!("{first} {last}"),
    }
}

impl State {
    pub fn seed(&mut self, spec: &SeedSpec) -> SeedSummary {
        let mut rng = SplitMix64::new(spec.seed);
        let mut agent_ids = Vec::with_capacity(spec.agents);
        for n in 0..spec.agents {
            let role = if n == 0 {
                UserRole::Admin
            } else {
                UserRole::Agent
            };
            let name = person_name(&mut rng, n);
            let email = format!("agent{n}.s{}@support.example.com", spec.seed);
            agent_ids.push(self.add_user(&name, Some(&email), role, Some(BASE_TIME)));
        }
        let mut end_user_ids = Vec::with_capacity(spec.users);
        for n in 0..spec.users {
            let name = person_name(&mut rng, n);
            // One in ten end-users has no e-mail (phone/chat customers).
            let email =
                (rng.below(10) != 0).then(|| format!("customer{n}.s{}@example.com", spec.seed));
            let id = self.add_user(&name, email.as_deref(), UserRole::EndUser, Some(BASE_TIME));
            end_user_ids.push(id);
        }
        let mut ticket_ids = Vec::with_capacity(spec.tickets);
        let mut comments = 0;
        for n in 0..spec.tickets {
            let created = BASE_TIME + 3_600 + i64::try_from(n).unwrap_or(0) * TICKET_SPACING_SECS;
            let (id, added) = self.seed_ticket(&mut rng, spec, created, &end_user_ids, &agent_ids);
            ticket_ids.push(id);
            comments += added;
        }
        SeedSummary {
            ticket_ids,
            end_user_ids,
            agent_ids,
            comments,
        }
    }

    fn seed_ticket(
        &mut self,
        rng: &mut SplitMix64,
        spec: &SeedSpec,
        created: i64,
        end_users: &[u64],
        agents: &[u64],
    ) -> (u64, usize) {
        let id = self.next_ticket_id;
        self.next_ticket_id += 1;
        let requester = rng.pick(end_users).or(agents.first()).copied().unwrap_or(0);
        let assignee = if rng.below(5) == 0 {
            None
        } else {
            rng.pick(agents).copied()
        };
        let status = match (assignee, rng.below(10)) {
            (None, _) => TicketStatus::New,
            (Some(_), 0..=3) => TicketStatus::Open,
            (Some(_), 4..=5) => TicketStatus::Pending,
            (Some(_), 6) => TicketStatus::Hold,
            (Some(_), 7..=8) => TicketStatus::Solved,
            (Some(_), _) => TicketStatus::Closed,
        };
        let priority = match rng.below(5) {
            0 => None,
            1 => Some(TicketPriority::Low),
            2 => Some(TicketPriority::Normal),
            3 => Some(TicketPriority::High),
            _ => Some(TicketPriority::Urgent),
        };
        let ticket_type = match rng.below(5) {
            0 => Some(TicketType::Problem),
            1 => Some(TicketType::Incident),
            2 => Some(TicketType::Task),
            3 => Some(TicketType::Question),
            _ => None,
        };
        let topic = rng.pick(TOPICS).copied().unwrap_or("Help");
        let subject = format!("{topic} (#{id})");
        let description = format!(
            "Hello, {}. Ticket {id}, seed {}.",
            topic.to_lowercase(),
            spec.seed
        );
        let collaborators = if rng.below(4) == 0 {
            rng.pick(end_users).copied().into_iter().collect()
        } else {
            Vec::new()
        };

        let first = self.push_comment(id, requester, &description, true, created);
        let create_events = vec![
            AuditEvent::Comment(first),
            AuditEvent::Create {
                field: "subject",
                value: subject.clone().into(),
            },
            AuditEvent::Create {
                field: "status",
                value: status.as_str().into(),
            },
        ];
        self.record_audit(id, created, Some(requester), "web", create_events);
        let mut updated = created;
        let extra = spec.comments_per_ticket.saturating_sub(1);
        for k in 0..extra {
            updated += COMMENT_SPACING_SECS;
            let from_agent = k % 2 == 0;
            let author = if from_agent {
                assignee.or(agents.first().copied())
            } else {
                Some(requester)
            };
            let author = author.unwrap_or(requester);
            let public = !(from_agent && rng.below(5) == 0);
            let body = rng.pick(REPLIES).copied().unwrap_or("Thanks");
            let comment = self.push_comment(id, author, body, public, updated);
            self.record_audit(
                id,
                updated,
                Some(author),
                "web",
                vec![AuditEvent::Comment(comment)],
            );
        }

        let ticket = Ticket {
            id,
            url: Some(format!("{}/api/v2/tickets/{id}.json", self.base_url)),
            external_id: None,
            created_at: Some(ts_to_time(created)),
            updated_at: Some(ts_to_time(updated)),
            ticket_type,
            subject: Some(subject.clone()),
            raw_subject: Some(subject),
            description: Some(description),
            priority,
            status: Some(status),
            recipient: Some("support@example.zendesk.com".to_owned()),
            requester_id: Some(requester),
            submitter_id: Some(requester),
            assignee_id: assignee,
            organization_id: None,
            group_id: None,
            collaborator_ids: collaborators,
            problem_id: None,
            tags: vec!["seeded".to_owned()],
            generated_timestamp: Some(updated),
        };
        let seq = self.take_seq();
        self.export_index.insert((updated, seq), id);
        let stored = StoredTicket {
            ticket,
            seq,
            via_channel: "web".to_owned(),
        };
        self.tickets.insert(id, stored);
        (id, 1 + extra)
    }
}
