//! The three-way merge of docs/sync-rules.md §5 over the synced fields (subject, description,
//! status, priority, assignee): the case now, the ticket now, and the shadow — the last values both
//! sides agreed on, kept in both vocabularies because the status and priority maps are lossy.
//!
//! Per field:
//! - unchanged on both sides (raw values equal to the shadow) → nothing; this is what stops echo
//!   loops: the echo of our own push equals the shadow we recorded when pushing;
//! - both sides already mean the same (e.g. case `open`, ticket `new`; case `high`, ticket
//!   `urgent`) → nothing to write, the shadow takes both values;
//! - changed on one side only → that side wins;
//! - changed on both sides → `remote`: Zendesk's value is applied to the case; `local`: the
//!   case's value is pushed;
//! - no shadow yet (first sync) → Zendesk wins.
//!
//! A Zendesk value with no CRM meaning (`null` or unknown priority, unknown or `deleted` status)
//! "wins" by leaving the case as it is. Pushes are only produced when `MergeRules` allows them
//! (two-way sync on, ticket not deleted or closed in Zendesk); an unpushed CRM change leaves the
//! shadow as it was, so it is neither lost nor retried as a conflict.
//!
//! Assignees are resolved by the caller (CRM user ↔ Zendesk user), so the merge stays pure.

use crate::case_mapping::{
    InboundStatus, inbound_description, inbound_priority, inbound_status, inbound_subject,
};
use crate::domain::{Case, Integration, SyncPriority, ZendeskId};
use crate::people::TicketPeople;
use crate::publish_mapping::{
    outbound_description, outbound_priority, outbound_status, outbound_subject,
};
use crate::shadow::Shadow;
use crate::ticket_record::TicketRecord;
use crate::zendesk::{Ticket, TicketPriority, TicketStatus};

mod field;
mod reopen;
mod sides;

pub use reopen::{WithheldReopen, is_finished, withhold_reopen, would_reopen};
pub use sides::{CaseChanges, CaseSide, MergeResult, SyncedField, TicketSide, ZendeskChanges};

use field::{Field, merge_field};

/// How conflicts are settled and whether the CRM may write to Zendesk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergeRules {
    pub priority: SyncPriority,
    /// Two-way sync is on and the ticket accepts updates.
    pub push_to_zendesk: bool,
}

impl MergeRules {
    /// The integration's rules for one linked ticket: no pushes when two-way sync is off, or the
    /// ticket is deleted (docs/sync-rules.md §3.5) or closed in Zendesk (docs/sync-rules.md §4).
    pub fn for_ticket(integration: &Integration, record: Option<&TicketRecord>) -> Self {
        let ticket_writable = record.is_none_or(|r| !r.deleted && !r.closed_in_zendesk);
        Self {
            priority: integration.effective_priority(),
            push_to_zendesk: integration.two_way_sync && ticket_writable,
        }
    }
}

/// Merges the synced fields. The caller applies `case_changes`, pushes `zendesk_changes`, and
/// stores `new_shadow` only once the push succeeded (or when there is none): after a failed push
/// it keeps the old shadow, and the next merge finds the same CRM change again (a case change
/// already applied then reads as "both sides agree" and settles without a write).
pub fn merge_fields(
    shadow: &Shadow,
    case: &CaseSide,
    ticket: &TicketSide,
    rules: MergeRules,
) -> MergeResult {
    let recorded = shadow.recorded;
    let mut result = MergeResult {
        new_shadow: Shadow {
            recorded: true,
            ..Shadow::default()
        },
        ..MergeResult::default()
    };

    let subject = merge_field(
        Field {
            crm: case.subject.clone(),
            zendesk: ticket.subject.clone(),
            zendesk_as_crm: Some(inbound_subject(ticket.subject.as_deref())),
            crm_as_zendesk: Some(outbound_subject(&case.subject)),
            push_sets_zendesk: true,
            shadow: shadow_of(
                recorded,
                shadow.crm.subject.clone(),
                shadow.zendesk.subject.clone(),
            ),
        },
        rules,
    );
    result.case_changes.subject = subject.to_case;
    result.zendesk_changes.subject = subject.to_zendesk.flatten();
    result.note_conflict(SyncedField::Subject, subject.conflict);
    (
        result.new_shadow.crm.subject,
        result.new_shadow.zendesk.subject,
    ) = (Some(subject.shadow.0), subject.shadow.1);

    let description = merge_field(
        Field {
            crm: case.description.clone(),
            zendesk: ticket.description.clone(),
            zendesk_as_crm: Some(inbound_description(ticket.description.as_deref())),
            crm_as_zendesk: Some(outbound_description(&case.description)),
            push_sets_zendesk: false,
            shadow: shadow_of(
                recorded,
                shadow.crm.description.clone(),
                shadow.zendesk.description.clone(),
            ),
        },
        rules,
    );
    result.case_changes.description = description.to_case;
    result.zendesk_changes.description = description.to_zendesk.flatten();
    result.note_conflict(SyncedField::Description, description.conflict);
    (
        result.new_shadow.crm.description,
        result.new_shadow.zendesk.description,
    ) = (Some(description.shadow.0), description.shadow.1);

    let status = merge_field(
        Field {
            crm: case.status,
            zendesk: ticket.status.clone(),
            zendesk_as_crm: match inbound_status(ticket.status.as_ref()) {
                InboundStatus::Case(s) => Some(s),
                InboundStatus::Deleted | InboundStatus::Unknown => None,
            },
            crm_as_zendesk: Some(outbound_status(case.status)),
            push_sets_zendesk: true,
            shadow: shadow_of(
                recorded,
                shadow.crm.status,
                shadow.zendesk.status.as_deref().map(TicketStatus::parse),
            ),
        },
        rules,
    );
    result.case_changes.status = status.to_case;
    result.zendesk_changes.status = status.to_zendesk.flatten();
    result.note_conflict(SyncedField::Status, status.conflict);
    (
        result.new_shadow.crm.status,
        result.new_shadow.zendesk.status,
    ) = (
        Some(status.shadow.0),
        status.shadow.1.map(|s| s.as_str().to_owned()),
    );

    let priority = merge_field(
        Field {
            crm: case.priority,
            zendesk: ticket.priority.clone(),
            zendesk_as_crm: inbound_priority(ticket.priority.as_ref()),
            crm_as_zendesk: Some(outbound_priority(case.priority)),
            push_sets_zendesk: true,
            shadow: shadow_of(
                recorded,
                shadow.crm.priority,
                shadow
                    .zendesk
                    .priority
                    .as_deref()
                    .map(TicketPriority::parse),
            ),
        },
        rules,
    );
    result.case_changes.priority = priority.to_case;
    result.zendesk_changes.priority = priority.to_zendesk.flatten();
    result.note_conflict(SyncedField::Priority, priority.conflict);
    (
        result.new_shadow.crm.priority,
        result.new_shadow.zendesk.priority,
    ) = (
        Some(priority.shadow.0),
        priority.shadow.1.map(|p| p.as_str().to_owned()),
    );

    let assignee = merge_field(
        Field {
            crm: case.assigned_to.clone(),
            zendesk: ticket.assignee_id,
            zendesk_as_crm: Some(ticket.assignee_in_crm.clone()),
            crm_as_zendesk: case.assignee_in_zendesk,
            push_sets_zendesk: true,
            shadow: recorded.then(|| (shadow.crm.assigned_to.clone(), shadow.zendesk.assignee_id)),
        },
        rules,
    );
    result.case_changes.assigned_to = assignee.to_case;
    result.zendesk_changes.assignee_id = assignee.to_zendesk;
    result.note_conflict(SyncedField::Assignee, assignee.conflict);
    (
        result.new_shadow.crm.assigned_to,
        result.new_shadow.zendesk.assignee_id,
    ) = assignee.shadow;

    result
}

/// A field's shadow pair, if the shadow was recorded and holds the CRM value.
fn shadow_of<C, Z>(recorded: bool, crm: Option<C>, zendesk: Z) -> Option<(C, Z)> {
    if recorded {
        crm.map(|c| (c, zendesk))
    } else {
        None
    }
}

impl Shadow {
    /// Both sides as they are, taken as agreed: the shadow right after a publish (the ticket was
    /// just made from the case) — a merge would otherwise treat it as a first sync.
    pub fn agreed(case: &CaseSide, ticket: &TicketSide) -> Shadow {
        let mut shadow = Shadow {
            recorded: true,
            ..Shadow::default()
        };
        shadow.crm.subject = Some(case.subject.clone());
        shadow.crm.description = Some(case.description.clone());
        shadow.crm.status = Some(case.status);
        shadow.crm.priority = Some(case.priority);
        shadow.crm.assigned_to = case.assigned_to.clone();
        shadow.zendesk.subject = ticket.subject.clone();
        shadow.zendesk.description = ticket.description.clone();
        shadow.zendesk.status = ticket.status.as_ref().map(|s| s.as_str().to_owned());
        shadow.zendesk.priority = ticket.priority.as_ref().map(|p| p.as_str().to_owned());
        shadow.zendesk.assignee_id = ticket.assignee_id;
        shadow
    }
}

impl CaseSide {
    /// The case's synced fields; `assignee_in_zendesk` is `people::zendesk_assignee_for` of the
    /// assigned user's e-mail.
    pub fn new(case: &Case, assignee_in_zendesk: Option<ZendeskId>) -> Self {
        Self {
            subject: case.subject.clone(),
            description: case.description.clone(),
            status: case.status,
            priority: case.priority,
            assigned_to: case.assigned_to.clone(),
            assignee_in_zendesk,
        }
    }
}

impl TicketSide {
    /// The ticket's synced fields; the assignee's CRM user comes from the resolved people.
    pub fn new(ticket: &Ticket, people: &TicketPeople) -> Self {
        Self {
            subject: ticket.subject.clone(),
            description: ticket.description.clone(),
            status: ticket.status.clone(),
            priority: ticket.priority.clone(),
            assignee_id: ticket.assignee_id,
            assignee_in_crm: people.assignee.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
