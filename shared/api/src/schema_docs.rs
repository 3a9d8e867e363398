//! OpenAPI descriptions of domain values the API serialises as they are (the domain crate has no
//! OpenAPI dependency). Each mirrors the serde form of its domain type.

#![allow(dead_code)]

use utoipa::ToSchema;

#[derive(ToSchema)]
#[schema(as = CaseStatus)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatusDoc {
    Open,
    InProgress,
    Resolved,
    Closed,
}

#[derive(ToSchema)]
#[schema(as = CasePriority)]
#[serde(rename_all = "snake_case")]
pub enum CasePriorityDoc {
    Low,
    Normal,
    High,
}

/// The kind of an integration; only `zendesk` exists.
#[derive(ToSchema)]
#[schema(as = IntegrationType)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationTypeDoc {
    Zendesk,
}

#[derive(ToSchema)]
#[schema(as = SyncPriority)]
#[serde(rename_all = "snake_case")]
pub enum SyncPriorityDoc {
    Remote,
    Local,
}

#[derive(ToSchema)]
#[schema(as = Role)]
#[serde(rename_all = "snake_case")]
pub enum RoleDoc {
    Admin,
}

#[derive(ToSchema)]
#[schema(as = JobKind)]
#[serde(rename_all = "snake_case")]
pub enum JobKindDoc {
    Scheduled,
    Manual,
    Full,
}

#[derive(ToSchema)]
#[schema(as = JobState)]
#[serde(rename_all = "snake_case")]
pub enum JobStateDoc {
    Queued,
    Running,
    Succeeded,
    Failed,
}

#[derive(ToSchema)]
#[schema(as = LogOutcome)]
#[serde(rename_all = "snake_case")]
pub enum LogOutcomeDoc {
    Created,
    Updated,
    Unchanged,
    Pushed,
    Stale,
    Echo,
    Deleted,
    ClosedInZendesk,
    Conflict,
    Failed,
    ReopenWithheld,
}

#[derive(ToSchema)]
#[schema(as = PersonKind)]
#[serde(rename_all = "snake_case")]
pub enum PersonKindDoc {
    User,
    Contact,
}

/// A CRM user or contact.
#[derive(ToSchema)]
#[schema(as = PersonRef)]
pub struct PersonRefDoc {
    kind: PersonKindDoc,
    id: String,
}
