//! The API side's flows (docs/sync-rules.md §2, §4, §7): integration settings and activation, CRM
//! users and contacts, cases and comments, publishing to Zendesk, sync jobs and the sync log. The
//! HTTP layer (`zsync-api`) only decodes requests, calls these and encodes the answers.

mod activation;
mod caller;
mod cases;
mod error;
mod identity;
mod integrations;
mod jobs;
mod people;
mod publish;
mod purge;
mod support;

pub use activation::{activate_integration, deactivate_integration, webhook_endpoint};
pub use caller::{Caller, Identity};
pub use cases::{
    CasePatch, CaseSummary, CaseView, NewCase, NewCaseComment, add_comment, create_case, edit_case,
    list_cases, show_case,
};
pub use error::{AdminError, AdminResult, FieldCheck};
pub use integrations::{
    Deletion, create_integration, delete_integration, delete_integration_within, edit_integration,
    list_integrations, show_integration,
};
pub use jobs::{list_jobs, list_log, schedule_integration_sync, show_job};
pub use people::{NewUser, create_user, list_contacts, list_users, show_contact};
pub use publish::{publish_case, publish_lease};
