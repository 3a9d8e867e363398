//! Zendesk ticket → CRM case (docs/sync-rules.md §3.1), and how a ticket state is disposed of
//! (docs/sync-rules.md §3.4–3.5).
//!
//! Decisions where docs/sync-rules.md is silent:
//! - A status this version does not know (custom statuses, a missing status) keeps the case's
//!   status on update and is `open` on create; the raw value is still recorded on the ticket
//!   record.
//! - An unknown priority value is treated like `null`: `normal` on create, unchanged on update.
//! - A blank (white-space only) subject counts as empty → `N/A`. Subjects are otherwise kept as
//!   sent, not trimmed. A `null` description is an empty description.
//! - A ticket first seen with status `deleted` creates no case (there is nothing to keep); a
//!   deleted ticket's other fields are not applied (Zendesk scrubs them, e.g. subject
//!   `SCRUBBED`). A later non-deleted state (a restore) is applied normally.
//! - A state exactly as old as the last applied one is applied again (harmless: the merge finds
//!   no difference); only strictly older states are stale.

use crate::domain::{Case, CaseId, CasePriority, CaseStatus, IntegrationId, Timestamp};
use crate::people::TicketPeople;
use crate::ticket_record::TicketRecord;
use crate::zendesk::{Ticket, TicketPriority, TicketStatus};

/// What an empty Zendesk subject becomes.
pub const EMPTY_SUBJECT: &str = "N/A";

/// What a Zendesk status means for the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundStatus {
    Case(CaseStatus),
    /// `deleted`: mark the ticket record deleted, keep the case (docs/sync-rules.md §3.5).
    Deleted,
    /// Not in the table: keep the current status (open on create).
    Unknown,
}

/// docs/sync-rules.md §3.1 "status" row.
pub fn inbound_status(status: Option<&TicketStatus>) -> InboundStatus {
    use InboundStatus::{Case, Deleted, Unknown};
    match status {
        Some(TicketStatus::New) => Case(CaseStatus::Open), //          new     → open
        Some(TicketStatus::Open) => Case(CaseStatus::Open), //         open    → open
        Some(TicketStatus::Hold) => Case(CaseStatus::Open), //         hold    → open (not in seed)
        Some(TicketStatus::Pending) => Case(CaseStatus::InProgress), // pending → in_progress
        Some(TicketStatus::Solved) => Case(CaseStatus::Closed), //     solved  → closed (seed)
        Some(TicketStatus::Closed) => Case(CaseStatus::Closed), //     closed  → closed (not in seed)
        Some(TicketStatus::Deleted) => Deleted, //                     deleted → §3.5
        Some(TicketStatus::Other(_)) | None => Unknown,
    }
}

/// docs/sync-rules.md §3.1 "priority" row; `None` for `null` and unknown values.
pub fn inbound_priority(priority: Option<&TicketPriority>) -> Option<CasePriority> {
    match priority {
        Some(TicketPriority::Low) => Some(CasePriority::Low), //       low    → low
        Some(TicketPriority::Normal) => Some(CasePriority::Normal), // normal → normal
        Some(TicketPriority::High) => Some(CasePriority::High), //     high   → high
        Some(TicketPriority::Urgent) => Some(CasePriority::High), //   urgent → high
        Some(TicketPriority::Other(_)) | None => None, //              null   → normal / unchanged
    }
}

/// docs/sync-rules.md §3.1 "subject" row: empty subject → `N/A`.
pub fn inbound_subject(subject: Option<&str>) -> String {
    match subject {
        Some(s) if !s.trim().is_empty() => s.to_owned(),
        _ => EMPTY_SUBJECT.to_owned(),
    }
}

/// docs/sync-rules.md §3.1 "description" row.
pub fn inbound_description(description: Option<&str>) -> String {
    description.unwrap_or_default().to_owned()
}

pub fn status_on_create(status: InboundStatus) -> CaseStatus {
    match status {
        InboundStatus::Case(s) => s,
        InboundStatus::Deleted | InboundStatus::Unknown => CaseStatus::Open,
    }
}

pub fn status_on_update(status: InboundStatus, current: CaseStatus) -> CaseStatus {
    match status {
        InboundStatus::Case(s) => s,
        InboundStatus::Deleted | InboundStatus::Unknown => current,
    }
}

pub fn priority_on_create(priority: Option<CasePriority>) -> CasePriority {
    priority.unwrap_or(CasePriority::Normal)
}

pub fn priority_on_update(priority: Option<CasePriority>, current: CasePriority) -> CasePriority {
    priority.unwrap_or(current)
}

/// The case for a ticket seen for the first time (docs/sync-rules.md §3.1). The merge shadow for it
/// comes from `merge::merge_fields` with an empty shadow (first sync: Zendesk wins).
pub fn new_case(
    ticket: &Ticket,
    id: CaseId,
    integration_id: IntegrationId,
    people: &TicketPeople,
    now: Timestamp,
) -> Case {
    Case {
        id,
        subject: inbound_subject(ticket.subject.as_deref()),
        description: inbound_description(ticket.description.as_deref()),
        status: status_on_create(inbound_status(ticket.status.as_ref())),
        priority: priority_on_create(inbound_priority(ticket.priority.as_ref())),
        assigned_to: people.assignee.clone(),
        contact_id: people.contact_id(),
        integration_id: Some(integration_id),
        created_at: ticket.created_at.unwrap_or(now),
        updated_at: now,
    }
}

/// What to do with one Zendesk ticket state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketDisposition {
    /// Not linked yet: create the case and its ticket record.
    Create,
    /// Linked: merge into the case, update the ticket record.
    Update,
    /// Linked and now `deleted`: mark the record deleted, stop pushes, keep the case.
    MarkDeleted,
    /// Deleted before we ever saw it: nothing to do.
    IgnoreDeleted,
    /// Older than the state already applied (docs/sync-rules.md §3.4).
    Stale,
}

pub fn disposition(ticket: &Ticket, record: Option<&TicketRecord>) -> TicketDisposition {
    let Some(record) = record else {
        return if ticket.is_deleted() {
            TicketDisposition::IgnoreDeleted
        } else {
            TicketDisposition::Create
        };
    };
    if let (Some(seen), Some(state)) = (record.last_applied_at, ticket.state_time())
        && state < seen
    {
        return TicketDisposition::Stale;
    }
    if ticket.is_deleted() {
        TicketDisposition::MarkDeleted
    } else {
        TicketDisposition::Update
    }
}

#[cfg(test)]
#[path = "case_mapping_tests.rs"]
mod tests;
