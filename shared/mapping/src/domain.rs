//! CRM-side domain types: what the service stores and what the API shows (docs/http-api.md
//! "Resources").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type Timestamp = DateTime<Utc>;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self { Self(id.into()) }
            pub fn as_str(&self) -> &str { &self.0 }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self { Self(s.to_owned()) }
        }
    )*};
}

id_type!(
    /// An integration: one connection to one Zendesk account.
    IntegrationId,
    /// A CRM user (agents and admins on the Zendesk side).
    UserId,
    /// A CRM contact (end-users on the Zendesk side).
    ContactId,
    /// A CRM case.
    CaseId,
    /// A CRM case comment.
    CommentId,
    /// A sync job (scheduled, manual or full).
    JobId,
);

/// Zendesk ids are 64-bit integers (REST) that webhooks send as strings.
pub type ZendeskId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPriority {
    /// Zendesk wins a conflict.
    Remote,
    /// The CRM wins a conflict.
    Local,
}

/// A stored integration. The API token and webhook secret live in the secret store; this
/// record only says whether they are set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    pub id: IntegrationId,
    pub name: String,
    /// Normalised account URL (`https://<sub>.zendesk.com`).
    pub url: String,
    pub api_email: String,
    pub api_token_set: bool,
    pub default_zendesk_user_email: Option<String>,
    pub owner_id: UserId,
    pub two_way_sync: bool,
    pub sync_priority: Option<SyncPriority>,
    pub active: bool,
    /// The Zendesk webhook registered on activation (deleted on deactivation).
    #[serde(default)]
    pub webhook_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Integration {
    /// Conflict rule in force; `remote` when two-way sync is off (Zendesk is the only writer).
    pub fn effective_priority(&self) -> SyncPriority {
        match (self.two_way_sync, self.sync_priority) {
            (true, Some(p)) => p,
            _ => SyncPriority::Remote,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
}

/// A CRM user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmUser {
    pub id: UserId,
    /// Primary e-mail, normalised (trimmed, lower-case).
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
}

impl CrmUser {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }
}

/// A CRM contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    /// Primary e-mail, normalised (trimmed, lower-case). Contacts made from Zendesk always have one.
    pub email: Option<String>,
    pub name_prefix: Option<String>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub name_suffix: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    InProgress,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CasePriority {
    Low,
    Normal,
    High,
}

impl CasePriority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }
}

/// A reference to a CRM person: a user or a contact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PersonRef {
    User(UserId),
    Contact(ContactId),
}

/// A CRM case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub subject: String,
    pub description: String,
    pub status: CaseStatus,
    pub priority: CasePriority,
    pub assigned_to: Option<UserId>,
    pub contact_id: Option<ContactId>,
    pub integration_id: Option<IntegrationId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A comment on a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseComment {
    pub id: CommentId,
    pub case_id: CaseId,
    pub body: String,
    pub public: bool,
    pub author: Option<PersonRef>,
    pub created_at: Timestamp,
    /// Set once the comment exists in Zendesk (imported, or pushed by us).
    pub zendesk_comment_id: Option<ZendeskId>,
}
