//! CRM case → Zendesk ticket (docs/sync-rules.md §4 "Publish" and "Updates").
//!
//! Decisions where docs/sync-rules.md is silent:
//! - A blank subject or description is sent as `N/A` (Zendesk needs a comment body; `N/A` is what
//!   an empty subject imports as, so the round trip is stable).
//! - A contact without an e-mail cannot be found or created in Zendesk: the ticket is then
//!   requested by the API user, like a case without a contact.
//! - A new end-user requester is named by the contact's full name (prefix … suffix); a contact
//!   whose first and last name are the same single word is named by that word once.
//! - After a publish the shadow is `Shadow::agreed(case, created ticket)`: both sides agree by
//!   construction, so the first merge must not let Zendesk "win" over the case.

use crate::domain::{Case, CaseId, CasePriority, CaseStatus, Contact, ZendeskId};
use crate::email::usable_email;
use crate::people::PeopleLookup;
use crate::zendesk::{TicketPriority, TicketStatus};

/// What a blank subject or description is sent as.
pub const EMPTY_TEXT: &str = "N/A";

/// docs/sync-rules.md §4 status row.
pub fn outbound_status(status: CaseStatus) -> TicketStatus {
    match status {
        CaseStatus::Open => TicketStatus::Open, //            open        → open
        CaseStatus::InProgress => TicketStatus::Pending, //   in_progress → pending
        CaseStatus::Resolved => TicketStatus::Solved, //      resolved    → solved
        CaseStatus::Closed => TicketStatus::Solved, //        closed      → solved
    }
}

/// docs/sync-rules.md §4 priority row.
pub fn outbound_priority(priority: CasePriority) -> TicketPriority {
    match priority {
        CasePriority::Low => TicketPriority::Low, //       low    → low
        CasePriority::Normal => TicketPriority::Normal, // normal → normal
        CasePriority::High => TicketPriority::High, //     high   → high
    }
}

/// docs/sync-rules.md §4 subject row.
pub fn outbound_subject(subject: &str) -> String {
    non_blank(subject)
}

/// docs/sync-rules.md §4 description row (the new ticket's first public comment).
pub fn outbound_description(description: &str) -> String {
    non_blank(description)
}

fn non_blank(text: &str) -> String {
    if text.trim().is_empty() {
        EMPTY_TEXT.to_owned()
    } else {
        text.to_owned()
    }
}

/// Who requests the published ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishRequester {
    /// The contact's e-mail matches this Zendesk user.
    Existing(ZendeskId),
    /// Create (or find, Zendesk matches by e-mail) an end-user for the contact.
    NewEndUser { name: String, email: String },
    /// No contact (or one without e-mail): the integration's API user.
    ApiUser,
}

pub fn publish_requester(
    contact: Option<&Contact>,
    people: &impl PeopleLookup,
) -> PublishRequester {
    let Some(contact) = contact else {
        return PublishRequester::ApiUser;
    };
    let Some(email) = usable_email(contact.email.as_deref()) else {
        return PublishRequester::ApiUser;
    };
    match people.zendesk_user_by_email(&email) {
        Some(user) => PublishRequester::Existing(user.id),
        None => PublishRequester::NewEndUser {
            name: full_name(contact),
            email,
        },
    }
}

/// "Mr Bob J Miller Jr"; a single-word name once.
pub fn full_name(contact: &Contact) -> String {
    let mut words: Vec<&str> = Vec::new();
    words.extend(contact.name_prefix.as_deref());
    words.push(&contact.first_name);
    words.extend(contact.middle_name.as_deref());
    let single_word = contact.middle_name.is_none() && contact.first_name == contact.last_name;
    if !single_word {
        words.push(&contact.last_name);
    }
    words.extend(contact.name_suffix.as_deref());
    words
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new Zendesk ticket for a case (docs/sync-rules.md §4 publish table), in Zendesk's vocabulary.
/// The caller resolves the assignee (`people::zendesk_assignee_for`) and the requester first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedTicket {
    pub subject: String,
    /// Sent as the first public comment.
    pub description: String,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub assignee_id: Option<ZendeskId>,
    pub requester: PublishRequester,
    /// The case id: a retried or concurrent publish finds the earlier ticket by it.
    pub external_id: String,
}

pub fn ticket_for_case(
    case: &Case,
    assignee_id: Option<ZendeskId>,
    requester: PublishRequester,
) -> PublishedTicket {
    PublishedTicket {
        subject: outbound_subject(&case.subject),
        description: outbound_description(&case.description),
        priority: outbound_priority(case.priority),
        status: outbound_status(case.status),
        assignee_id,
        requester,
        external_id: publish_external_id(&case.id),
    }
}

/// The `external_id` a published ticket carries.
pub fn publish_external_id(case_id: &CaseId) -> String {
    case_id.as_str().to_owned()
}

#[cfg(test)]
#[path = "publish_mapping_tests.rs"]
mod tests;
