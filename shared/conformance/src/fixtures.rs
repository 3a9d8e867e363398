//! Builders for the records the suites write. Ids are fixed: every case runs on a fresh adapter.

use chrono::{DateTime, Duration, TimeZone, Utc};
use zsync_mapping::{
    Case, CaseComment, CaseId, CasePriority, CaseStatus, CommentId, Contact, ContactId, CrmUser,
    ExportCursor, Integration, IntegrationId, JobCounters, JobId, JobKind, JobState, LogOutcome,
    SyncJob, SyncLogEntry, SyncPriority, TicketRecord, Timestamp, UserId, ZendeskId,
};

/// A fixed instant the suites count from (2026-01-01T00:00:00Z).
pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> Timestamp {
    t0() + Duration::seconds(secs)
}

pub fn integration(id: &str) -> Integration {
    Integration {
        id: IntegrationId::new(id),
        name: format!("Zendesk {id}"),
        url: format!("https://{id}.zendesk.com"),
        api_email: "api@example.com".into(),
        api_token_set: true,
        default_zendesk_user_email: None,
        owner_id: UserId::new("owner"),
        two_way_sync: false,
        sync_priority: None,
        active: false,
        webhook_id: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

pub fn user(id: &str, email: &str) -> CrmUser {
    CrmUser {
        id: UserId::new(id),
        email: email.into(),
        name: format!("User {id}"),
        roles: Vec::new(),
    }
}

pub fn contact(id: &str, email: &str) -> Contact {
    Contact {
        id: ContactId::new(id),
        email: Some(email.into()),
        first_name: format!("First {id}"),
        last_name: format!("Last {id}"),
        ..Contact::default()
    }
}

/// A case created `secs` after `t0`.
pub fn case(
    id: &str,
    subject: &str,
    status: CaseStatus,
    integration: Option<&str>,
    secs: i64,
) -> Case {
    Case {
        id: CaseId::new(id),
        subject: subject.into(),
        description: format!("Description of {id}"),
        status,
        priority: CasePriority::Normal,
        assigned_to: None,
        contact_id: None,
        integration_id: integration.map(IntegrationId::new),
        created_at: at(secs),
        updated_at: at(secs),
    }
}

pub fn ticket_record(integration: &str, case: &str, number: ZendeskId) -> TicketRecord {
    TicketRecord {
        integration_id: IntegrationId::new(integration),
        case_id: CaseId::new(case),
        ticket_number: number,
        url: Some(format!(
            "https://{integration}.zendesk.com/api/v2/tickets/{number}.json"
        )),
        recipient_email: None,
        status: Some("open".into()),
        ticket_type: None,
        priority: Some("normal".into()),
        problem: None,
        submitter: None,
        assignee: None,
        requester: None,
        collaborators: Vec::new(),
        deleted: false,
        closed_in_zendesk: false,
        created_at: Some(t0()),
        updated_at: Some(t0()),
        last_applied_at: None,
        shadow: Default::default(),
    }
}

pub fn comment(id: &str, case: &str, body: &str, secs: i64) -> CaseComment {
    CaseComment {
        id: CommentId::new(id),
        case_id: CaseId::new(case),
        body: body.into(),
        public: true,
        author: None,
        created_at: at(secs),
        zendesk_comment_id: None,
    }
}

pub fn job(integration: &str, id: &str, secs: i64) -> SyncJob {
    SyncJob {
        id: JobId::new(id),
        integration_id: IntegrationId::new(integration),
        kind: JobKind::Manual,
        state: JobState::Queued,
        started_at: at(secs),
        finished_at: None,
        counters: JobCounters::default(),
        error: None,
        export_complete: false,
    }
}

pub fn export_cursor(integration: &str, cursor: Option<&str>) -> ExportCursor {
    ExportCursor {
        integration_id: IntegrationId::new(integration),
        cursor: cursor.map(str::to_owned),
        start_time: 0,
        job_id: None,
        end_of_stream: false,
        updated_at: t0(),
        events: Default::default(),
    }
}

pub fn log_entry(
    integration: &str,
    ticket: ZendeskId,
    at: Timestamp,
    message: &str,
) -> SyncLogEntry {
    SyncLogEntry {
        integration_id: IntegrationId::new(integration),
        ticket_number: Some(ticket),
        at,
        outcome: LogOutcome::Updated,
        message: message.into(),
        job_id: None,
    }
}

/// An integration with two-way sync on (a value that differs from [`integration`]).
pub fn two_way(mut integration: Integration) -> Integration {
    integration.two_way_sync = true;
    integration.sync_priority = Some(SyncPriority::Local);
    integration
}
