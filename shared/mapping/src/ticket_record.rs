//! The CRM ticket record (docs/sync-rules.md §3.2): the Zendesk-side view of a linked case, plus
//! the merge shadow (docs/sync-rules.md §5) — the last values both sides agreed on.

use serde::{Deserialize, Serialize};

use crate::domain::{CaseId, IntegrationId, PersonRef, Timestamp, ZendeskId};
use crate::shadow::Shadow;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketRecord {
    pub integration_id: IntegrationId,
    pub case_id: CaseId,
    /// The Zendesk ticket id; unique per integration.
    pub ticket_number: ZendeskId,
    pub url: Option<String>,
    pub recipient_email: Option<String>,
    /// Zendesk values as they are (unknown values kept verbatim).
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub priority: Option<String>,
    pub problem: Option<ZendeskId>,
    pub submitter: Option<PersonRef>,
    pub assignee: Option<PersonRef>,
    pub requester: Option<PersonRef>,
    pub collaborators: Vec<PersonRef>,
    /// Exported with status `deleted` (docs/sync-rules.md §3.5): two-way pushes stop, the case
    /// stays.
    pub deleted: bool,
    /// Zendesk answered 422 "closed prevents ticket update" (docs/sync-rules.md §4).
    pub closed_in_zendesk: bool,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    /// Zendesk `generated_timestamp` (or `updated_at`) of the state last applied; older states
    /// arriving later are ignored (docs/sync-rules.md §3.4).
    #[serde(default)]
    pub last_applied_at: Option<Timestamp>,
    /// Last values both sides agreed on, for the three-way merge.
    #[serde(default)]
    pub shadow: Shadow,
}
