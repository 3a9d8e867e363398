//! The merge shadow: per synced field, the last value both sides agreed on (docs/sync-rules.md §5).
//! Values are kept in both vocabularies because the status and priority mappings are lossy
//! (Zendesk `new`, `open` and `hold` are all CRM `open`).

use serde::{Deserialize, Serialize};

use crate::domain::{CasePriority, CaseStatus, UserId};

/// CRM-side values of the synced fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmShadow {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<CaseStatus>,
    pub priority: Option<CasePriority>,
    pub assigned_to: Option<UserId>,
}

/// Zendesk-side values of the synced fields (raw Zendesk strings, ids).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZendeskShadow {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<u64>,
}

/// `recorded` is false until a merge (or a publish, see `Shadow::agreed`) stored agreed values:
/// only then do the `None`s above mean "empty on that side" (no subject, unassigned, `null`
/// priority) rather than "never synced". Stored shadows from before the flag read as unrecorded,
/// which is a first sync (Zendesk wins): the safe reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shadow {
    #[serde(default)]
    pub recorded: bool,
    pub crm: CrmShadow,
    pub zendesk: ZendeskShadow,
}
