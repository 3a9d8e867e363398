//! What the API answers (docs/http-api.md "Resources"). Domain values are serialised as they are;
//! the `schema_docs` types describe them in the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use zsync_core::admin::{CaseSummary, CaseView};

use crate::schema_docs::{
    CasePriorityDoc, CaseStatusDoc, JobKindDoc, JobStateDoc, LogOutcomeDoc, PersonRefDoc, RoleDoc,
    SyncPriorityDoc,
};
use zsync_mapping::{
    CaseComment, CasePriority, CaseStatus, Contact, CrmUser, Integration, JobCounters, JobKind,
    JobState, LogOutcome, PersonRef, Role, SyncJob, SyncLogEntry, SyncPriority, TicketRecord,
};

/// An integration; the API token is never returned, only whether it is set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Integration)]
pub struct IntegrationView {
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "zendesk")]
    pub integration_type: &'static str,
    pub name: String,
    pub url: String,
    pub api_email: String,
    pub api_token_set: bool,
    pub default_zendesk_user_email: Option<String>,
    pub owner_id: String,
    pub two_way_sync: bool,
    #[schema(value_type = Option<SyncPriorityDoc>)]
    pub sync_priority: Option<SyncPriority>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Integration> for IntegrationView {
    fn from(i: Integration) -> Self {
        Self {
            id: i.id.0,
            integration_type: "zendesk",
            name: i.name,
            url: i.url,
            api_email: i.api_email,
            api_token_set: i.api_token_set,
            default_zendesk_user_email: i.default_zendesk_user_email,
            owner_id: i.owner_id.0,
            two_way_sync: i.two_way_sync,
            sync_priority: i.sync_priority,
            active: i.active,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// `DELETE /integrations/{id}?purge=true` that ran out of time: repeat it to go on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PurgeInProgress)]
pub struct PurgeInProgressView {
    /// Always `purging`.
    #[schema(example = "purging")]
    pub status: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = Vec<RoleDoc>)]
    pub roles: Vec<Role>,
}

impl From<CrmUser> for UserView {
    fn from(u: CrmUser) -> Self {
        Self {
            id: u.id.0,
            email: u.email,
            name: u.name,
            roles: u.roles,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Contact)]
pub struct ContactView {
    pub id: String,
    pub email: Option<String>,
    pub name_prefix: Option<String>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub name_suffix: Option<String>,
    pub phone: Option<String>,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id.0,
            email: c.email,
            name_prefix: c.name_prefix,
            first_name: c.first_name,
            middle_name: c.middle_name,
            last_name: c.last_name,
            name_suffix: c.name_suffix,
            phone: c.phone,
        }
    }
}

/// The Zendesk side of a linked case (docs/sync-rules.md §3.2); values as Zendesk has them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketView {
    pub ticket_number: u64,
    pub url: Option<String>,
    pub recipient_email: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub priority: Option<String>,
    pub problem: Option<u64>,
    #[schema(value_type = Option<PersonRefDoc>)]
    pub submitter: Option<PersonRef>,
    #[schema(value_type = Option<PersonRefDoc>)]
    pub assignee: Option<PersonRef>,
    #[schema(value_type = Option<PersonRefDoc>)]
    pub requester: Option<PersonRef>,
    #[schema(value_type = Vec<PersonRefDoc>)]
    pub collaborators: Vec<PersonRef>,
    pub deleted: bool,
    pub closed_in_zendesk: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<TicketRecord> for TicketView {
    fn from(r: TicketRecord) -> Self {
        Self {
            ticket_number: r.ticket_number,
            url: r.url,
            recipient_email: r.recipient_email,
            status: r.status,
            ticket_type: r.ticket_type,
            priority: r.priority,
            problem: r.problem,
            submitter: r.submitter,
            assignee: r.assignee,
            requester: r.requester,
            collaborators: r.collaborators,
            deleted: r.deleted,
            closed_in_zendesk: r.closed_in_zendesk,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentView {
    pub id: String,
    pub body: String,
    pub public: bool,
    #[schema(value_type = Option<PersonRefDoc>)]
    pub author: Option<PersonRef>,
    pub created_at: DateTime<Utc>,
    pub zendesk_comment_id: Option<u64>,
}

impl From<CaseComment> for CommentView {
    fn from(c: CaseComment) -> Self {
        Self {
            id: c.id.0,
            body: c.body,
            public: c.public,
            author: c.author,
            created_at: c.created_at,
            zendesk_comment_id: c.zendesk_comment_id,
        }
    }
}

/// A case; `ticket` is null while it is not linked to Zendesk. In lists, `comments` is left
/// out (fetch the case for them).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Case)]
pub struct CaseResponse {
    pub id: String,
    pub subject: String,
    pub description: String,
    #[schema(value_type = CaseStatusDoc)]
    pub status: CaseStatus,
    #[schema(value_type = CasePriorityDoc)]
    pub priority: CasePriority,
    pub assigned_to: Option<String>,
    pub contact_id: Option<String>,
    pub integration_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ticket: Option<TicketView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<CommentView>>,
}

impl CaseResponse {
    pub fn summary(case: zsync_mapping::Case) -> Self {
        Self {
            id: case.id.0,
            subject: case.subject,
            description: case.description,
            status: case.status,
            priority: case.priority,
            assigned_to: case.assigned_to.map(|u| u.0),
            contact_id: case.contact_id.map(|c| c.0),
            integration_id: case.integration_id.map(|i| i.0),
            created_at: case.created_at,
            updated_at: case.updated_at,
            ticket: None,
            comments: None,
        }
    }
}

impl From<CaseSummary> for CaseResponse {
    fn from(summary: CaseSummary) -> Self {
        Self {
            ticket: summary.ticket.map(TicketView::from),
            ..Self::summary(summary.case)
        }
    }
}

impl From<CaseView> for CaseResponse {
    fn from(view: CaseView) -> Self {
        Self {
            ticket: view.ticket.map(TicketView::from),
            comments: Some(view.comments.into_iter().map(CommentView::from).collect()),
            ..Self::summary(view.case)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JobCounters)]
pub struct CountersView {
    pub tickets_seen: u64,
    pub cases_created: u64,
    pub cases_updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

impl From<JobCounters> for CountersView {
    fn from(c: JobCounters) -> Self {
        Self {
            tickets_seen: c.tickets_seen,
            cases_created: c.cases_created,
            cases_updated: c.cases_updated,
            unchanged: c.unchanged,
            failed: c.failed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SyncJob)]
pub struct JobView {
    pub id: String,
    pub integration_id: String,
    #[schema(value_type = JobKindDoc)]
    pub kind: JobKind,
    #[schema(value_type = JobStateDoc)]
    pub state: JobState,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counters: CountersView,
    pub error: Option<String>,
}

impl From<SyncJob> for JobView {
    fn from(j: SyncJob) -> Self {
        Self {
            id: j.id.0,
            integration_id: j.integration_id.0,
            kind: j.kind,
            state: j.state,
            started_at: j.started_at,
            finished_at: j.finished_at,
            counters: j.counters.into(),
            error: j.error,
        }
    }
}

/// One per-ticket sync event: what happened, when, why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SyncLogEntry)]
pub struct LogEntryView {
    pub integration_id: String,
    pub ticket_number: Option<u64>,
    pub at: DateTime<Utc>,
    #[schema(value_type = LogOutcomeDoc)]
    pub outcome: LogOutcome,
    pub message: String,
    pub job_id: Option<String>,
}

impl From<SyncLogEntry> for LogEntryView {
    fn from(e: SyncLogEntry) -> Self {
        Self {
            integration_id: e.integration_id.0,
            ticket_number: e.ticket_number,
            at: e.at,
            outcome: e.outcome,
            message: e.message,
            job_id: e.job_id.map(|j| j.0),
        }
    }
}

/// A list without pagination.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// One page of a list; pass `next_cursor` as `cursor` for the next (null on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
