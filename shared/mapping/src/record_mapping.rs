//! Zendesk ticket → the CRM ticket record (docs/sync-rules.md §3.2): the Zendesk-side fields of a
//! linked case, kept as Zendesk sends them (status, type and priority are not mapped to CRM
//! values).
//!
//! Decisions where docs/sync-rules.md is silent:
//! - Applying a `deleted` state only sets `deleted` and the raw status; the other fields keep
//!   their last real values (Zendesk scrubs deleted tickets). A later non-deleted state clears
//!   `deleted` (a restore).
//! - `closed_in_zendesk` is only ever set by a 422 on push, never cleared by an import (a closed
//!   ticket stays closed in Zendesk).
//! - A state without `updated_at`/`generated_timestamp` leaves `last_applied_at` as it was.

use crate::domain::{CaseId, IntegrationId};
use crate::people::TicketPeople;
use crate::shadow::Shadow;
use crate::ticket_record::TicketRecord;
use crate::zendesk::Ticket;

/// The record for a ticket linked for the first time. Its shadow is empty until the caller
/// stores the first merge's `new_shadow`.
pub fn new_ticket_record(
    ticket: &Ticket,
    integration_id: IntegrationId,
    case_id: CaseId,
    people: &TicketPeople,
) -> TicketRecord {
    let mut record = TicketRecord {
        integration_id,
        case_id,
        ticket_number: ticket.id,
        url: None,
        recipient_email: None,
        status: None,
        ticket_type: None,
        priority: None,
        problem: None,
        submitter: None,
        assignee: None,
        requester: None,
        collaborators: Vec::new(),
        deleted: false,
        closed_in_zendesk: false,
        created_at: None,
        updated_at: None,
        last_applied_at: None,
        shadow: Shadow::default(),
    };
    apply_ticket_to_record(&mut record, ticket, people);
    record
}

/// Writes one ticket state onto the record, row by row of docs/sync-rules.md §3.2.
pub fn apply_ticket_to_record(record: &mut TicketRecord, ticket: &Ticket, people: &TicketPeople) {
    if let Some(at) = ticket.state_time() {
        record.last_applied_at = Some(record.last_applied_at.map_or(at, |seen| seen.max(at)));
    }
    // status: Zendesk value as it is (also `deleted`)
    record.status = ticket.status.as_ref().map(|s| s.as_str().to_owned());
    record.deleted = ticket.is_deleted();
    if record.deleted {
        return;
    }
    // ticket_number: Zendesk ticket id
    record.ticket_number = ticket.id;
    // recipient_email: Zendesk `recipient`
    record.recipient_email = ticket.recipient.clone();
    // type, priority: Zendesk values as they are
    record.ticket_type = ticket.ticket_type.as_ref().map(|t| t.as_str().to_owned());
    record.priority = ticket.priority.as_ref().map(|p| p.as_str().to_owned());
    // problem: Zendesk `problem_id`
    record.problem = ticket.problem_id;
    // collaborators: resolved; removals applied by replacing the list
    record.collaborators = people.collaborators.clone();
    // submitter: contact or user by role
    record.submitter = people.submitter.clone();
    // assignee: CRM user by primary e-mail, else the owner
    record.assignee = people.assignee.clone().map(crate::domain::PersonRef::User);
    // requester: always a contact, agents included (docs/sync-rules.md §3.2)
    record.requester = people.requester.clone();
    // url, created_at, updated_at: Zendesk values
    record.url = ticket.url.clone();
    record.created_at = ticket.created_at;
    record.updated_at = ticket.updated_at;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::domain::{ContactId, PersonRef, UserId};

    fn ticket(body: serde_json::Value) -> Ticket {
        serde_json::from_value(body).expect("ticket decodes")
    }

    fn people() -> TicketPeople {
        TicketPeople {
            requester: Some(PersonRef::Contact(ContactId::new("c1"))),
            submitter: Some(PersonRef::User(UserId::new("u1"))),
            assignee: Some(UserId::new("owner")),
            collaborators: vec![PersonRef::Contact(ContactId::new("c2"))],
        }
    }

    fn full_ticket() -> Ticket {
        ticket(json!({
            "id": 42, "url": "https://acme.zendesk.com/api/v2/tickets/42.json",
            "recipient": "support@acme.com", "status": "pending", "type": "task",
            "priority": "urgent", "problem_id": "43",
            "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-02T10:00:00Z",
            "generated_timestamp": 1767434400
        }))
    }

    #[test]
    fn every_row_of_the_record_table() {
        let r = new_ticket_record(&full_ticket(), "i1".into(), "case1".into(), &people());
        let at = |d, h| chrono::Utc.with_ymd_and_hms(2026, 1, d, h, 0, 0).unwrap();
        assert_eq!(r.ticket_number, 42);
        assert_eq!(r.recipient_email.as_deref(), Some("support@acme.com"));
        assert_eq!(r.status.as_deref(), Some("pending"));
        assert_eq!(r.ticket_type.as_deref(), Some("task"));
        assert_eq!(r.priority.as_deref(), Some("urgent"));
        assert_eq!(r.problem, Some(43));
        assert_eq!(
            r.collaborators,
            vec![PersonRef::Contact(ContactId::new("c2"))]
        );
        assert_eq!(r.submitter, Some(PersonRef::User(UserId::new("u1"))));
        assert_eq!(r.assignee, Some(PersonRef::User(UserId::new("owner"))));
        assert_eq!(r.requester, Some(PersonRef::Contact(ContactId::new("c1"))));
        assert_eq!(
            r.url.as_deref(),
            Some("https://acme.zendesk.com/api/v2/tickets/42.json")
        );
        assert_eq!(r.created_at, Some(at(1, 10)));
        assert_eq!(r.updated_at, Some(at(2, 10)));
        // generated_timestamp (2026-01-03 10:00) is newer than updated_at and wins
        assert_eq!(r.last_applied_at, Some(at(3, 10)));
        assert!(!r.deleted && !r.closed_in_zendesk);
        assert_eq!(r.shadow, Shadow::default());
    }

    #[test]
    fn unknown_values_are_recorded_verbatim() {
        let t =
            ticket(json!({"id": 1, "status": "Awaiting-Vendor", "priority": "P1", "type": "bug"}));
        let r = new_ticket_record(&t, "i1".into(), "c".into(), &TicketPeople::default());
        assert_eq!(r.status.as_deref(), Some("Awaiting-Vendor"));
        assert_eq!(r.priority.as_deref(), Some("P1"));
        assert_eq!(r.ticket_type.as_deref(), Some("bug"));
        // upper-case known values arrive from webhooks; recorded in Zendesk's canonical form
        let t = ticket(json!({"id": 1, "status": "OPEN", "priority": "HIGH"}));
        let r = new_ticket_record(&t, "i1".into(), "c".into(), &TicketPeople::default());
        assert_eq!(
            (r.status.as_deref(), r.priority.as_deref()),
            (Some("open"), Some("high"))
        );
    }

    #[test]
    fn collaborator_removals_are_applied() {
        let mut r = new_ticket_record(&full_ticket(), "i1".into(), "c".into(), &people());
        let fewer = TicketPeople {
            collaborators: vec![],
            ..people()
        };
        apply_ticket_to_record(&mut r, &full_ticket(), &fewer);
        assert!(r.collaborators.is_empty());
    }

    #[test]
    fn a_deleted_state_marks_the_record_and_keeps_the_rest() {
        let mut r = new_ticket_record(&full_ticket(), "i1".into(), "c".into(), &people());
        let deleted = ticket(json!({
            "id": 42, "status": "deleted", "subject": "SCRUBBED", "priority": "high",
            "updated_at": "2026-01-04T10:00:00Z"
        }));
        apply_ticket_to_record(&mut r, &deleted, &TicketPeople::default());
        assert!(r.deleted);
        assert_eq!(r.status.as_deref(), Some("deleted"));
        assert_eq!(r.priority.as_deref(), Some("urgent"));
        assert_eq!(r.requester, people().requester);
        assert_eq!(
            r.last_applied_at,
            Some(chrono::Utc.with_ymd_and_hms(2026, 1, 4, 10, 0, 0).unwrap())
        );
        // restored in Zendesk
        apply_ticket_to_record(&mut r, &full_ticket(), &people());
        assert!(!r.deleted);
        assert_eq!(r.status.as_deref(), Some("pending"));
    }

    #[test]
    fn the_record_keeps_the_newest_applied_time() {
        let mut r = new_ticket_record(&full_ticket(), "i1".into(), "c".into(), &people());
        let before = r.last_applied_at;
        let older =
            ticket(json!({"id": 42, "status": "open", "updated_at": "2025-01-01T00:00:00Z"}));
        apply_ticket_to_record(&mut r, &older, &people());
        assert_eq!(r.last_applied_at, before);
        let undated = ticket(json!({"id": 42, "status": "open"}));
        apply_ticket_to_record(&mut r, &undated, &people());
        assert_eq!(r.last_applied_at, before);
    }
}
