//! The merge shadow: per synced field, the last value both sides agreed on (SPEC §5).
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

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shadow {
    pub crm: CrmShadow,
    pub zendesk: ZendeskShadow,
}
