//! The merge's inputs (the synced fields of each side) and its result.

use crate::domain::{Case, CasePriority, CaseStatus, UserId, ZendeskId};
use crate::shadow::Shadow;
use crate::zendesk::{TicketPriority, TicketStatus};

/// The case's synced fields, with its assignee already resolved to a Zendesk user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSide {
    pub subject: String,
    pub description: String,
    pub status: CaseStatus,
    pub priority: CasePriority,
    pub assigned_to: Option<UserId>,
    /// The Zendesk user the case's assignee is pushed as (by e-mail, else the default user).
    pub assignee_in_zendesk: Option<ZendeskId>,
}

/// The ticket's synced fields as Zendesk sent them, with its assignee already resolved to a
/// CRM user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketSide {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub assignee_id: Option<ZendeskId>,
    /// The CRM user the ticket's assignee maps to (by e-mail, else the owner).
    pub assignee_in_crm: Option<UserId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncedField {
    Subject,
    Description,
    Status,
    Priority,
    Assignee,
}

/// What to write to the case; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseChanges {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<CaseStatus>,
    pub priority: Option<CasePriority>,
    /// `Some(None)` unassigns.
    pub assigned_to: Option<Option<UserId>>,
}

impl CaseChanges {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub fn apply_to(&self, case: &mut Case) {
        if let Some(v) = &self.subject {
            case.subject = v.clone();
        }
        if let Some(v) = &self.description {
            case.description = v.clone();
        }
        if let Some(v) = self.status {
            case.status = v;
        }
        if let Some(v) = self.priority {
            case.priority = v;
        }
        if let Some(v) = &self.assigned_to {
            case.assigned_to = v.clone();
        }
    }
}

/// What to push to Zendesk (only fields that changed); `None` leaves a field alone.
///
/// Zendesk does not let an API client rewrite a ticket's description (its first comment): a
/// `description` here says the CRM description changed and should be conveyed another way
/// (e.g. as a comment). The merge's shadow expects Zendesk's description to stay as it was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZendeskChanges {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<ZendeskId>>,
}

impl ZendeskChanges {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeResult {
    pub case_changes: CaseChanges,
    pub zendesk_changes: ZendeskChanges,
    /// Store this as the ticket record's shadow (after the push succeeded, if there is one).
    pub new_shadow: Shadow,
    /// Fields changed on both sides since the last sync (settled by `sync_priority`).
    pub conflicts: Vec<SyncedField>,
}

impl MergeResult {
    /// Nothing to write to either side.
    pub fn is_empty(&self) -> bool {
        self.case_changes.is_empty() && self.zendesk_changes.is_empty()
    }

    pub(super) fn note_conflict(&mut self, field: SyncedField, conflict: bool) {
        if conflict {
            self.conflicts.push(field);
        }
    }
}
