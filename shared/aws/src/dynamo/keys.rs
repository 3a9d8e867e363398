//! Key layout of the single table (documented in infra/dynamodb-table.md). Every key attribute
//! is a string; entity prefixes keep the item kinds apart inside one table.

use zsync_mapping::{
    Case, CaseId, CaseStatus, ContactId, IntegrationId, JobId, SyncJob, Timestamp, UserId,
    ZendeskId,
};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// Collections: all users, all contacts, all cases, an integration's jobs.
pub const GSI1: &str = "GSI1";
/// Cases by status.
pub const GSI2: &str = "GSI2";
/// Cases by integration.
pub const GSI3: &str = "GSI3";
/// Cases by subject.
pub const GSI4: &str = "GSI4";
/// Every index with its partition and sort key attribute names.
pub const INDEXES: [(&str, &str, &str); 4] = [
    (GSI1, "GSI1PK", "GSI1SK"),
    (GSI2, "GSI2PK", "GSI2SK"),
    (GSI3, "GSI3PK", "GSI3SK"),
    (GSI4, "GSI4PK", "GSI4SK"),
];
/// Epoch seconds after which DynamoDB's TTL deletes the item (lazily, so reads check it too).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The same instant in milliseconds, for exact comparisons in conditions.
pub const EXPIRES_MS: &str = "expires_at_ms";
pub const VERSION: &str = "version";
/// The item kind, for humans browsing the table and for decoding checks.
pub const ENTITY: &str = "entity";

/// Subjects longer than this are keyed by their prefix; the exact match is a filter.
const SUBJECT_KEY_BYTES: usize = 512;

pub fn integrations_pk() -> String {
    "INTEGRATIONS".to_owned()
}
pub fn integration_sk(id: &IntegrationId) -> String {
    format!("INTEGRATION#{id}")
}

/// The claim of a Zendesk account (its holder and former holders), docs/sync-rules.md §2.
pub fn account_pk(account: &str) -> String {
    format!("ACCOUNT#{account}")
}
pub const ACCOUNT_SK: &str = "ACCOUNT";

pub fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}
pub fn contact_pk(id: &ContactId) -> String {
    format!("CONTACT#{id}")
}
/// The uniqueness item of a person's e-mail (`kind` is `user` or `contact`).
pub fn email_pk(kind: &str, normalized_email: &str) -> String {
    format!("EMAIL#{kind}#{normalized_email}")
}

/// A Zendesk user's link to its contact (one per integration and Zendesk user).
pub fn zendesk_user_pk(integration: &IntegrationId, user: ZendeskId) -> String {
    format!("ZDUSER#{integration}#{user}")
}

pub fn case_pk(id: &CaseId) -> String {
    format!("CASE#{id}")
}
pub fn comment_sk(id: &zsync_mapping::CommentId) -> String {
    format!("COMMENT#{id}")
}
pub const COMMENT_PREFIX: &str = "COMMENT#";

pub fn ticket_pk(integration: &IntegrationId, number: ZendeskId) -> String {
    format!("TICKET#{integration}#{number}")
}

pub fn integration_pk(id: &IntegrationId) -> String {
    format!("INTEGRATION#{id}")
}
pub fn job_sk(id: &JobId) -> String {
    format!("JOB#{id}")
}
pub const EXPORT_CURSOR_SK: &str = "EXPORT_CURSOR";

pub fn log_pk(integration: &IntegrationId) -> String {
    format!("LOG#{integration}")
}
pub fn dedupe_pk(key: &str) -> String {
    format!("DEDUPE#{key}")
}
pub fn lease_pk(name: &str) -> String {
    format!("LEASE#{name}")
}

/// Fixed-width UTC time, so that string order is time order.
pub fn sortable_time(at: &Timestamp) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

pub const USERS_COLLECTION: &str = "USERS";
pub const CONTACTS_COLLECTION: &str = "CONTACTS";
pub const CASES_COLLECTION: &str = "CASES";

pub fn jobs_collection(integration: &IntegrationId) -> String {
    format!("JOBS#{integration}")
}
pub fn job_order(job: &SyncJob) -> String {
    format!("{}#{}", sortable_time(&job.started_at), job.id)
}

pub fn cases_by_status(status: CaseStatus) -> String {
    format!("CASES#status#{}", status.as_str())
}
pub fn cases_by_integration(integration: &IntegrationId) -> String {
    format!("CASES#integration#{integration}")
}
pub fn cases_by_subject(subject: &str) -> String {
    format!(
        "CASES#subject#{}",
        truncate_at_char(subject, SUBJECT_KEY_BYTES)
    )
}
/// Newest-first order of cases inside every case index.
pub fn case_order(case: &Case) -> String {
    format!("{}#{}", sortable_time(&case.created_at), case.id)
}

fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sortable_time_orders_like_time() {
        let a = chrono::Utc
            .timestamp_opt(1_700_000_000, 5)
            .single()
            .unwrap();
        let b = chrono::Utc
            .timestamp_opt(1_700_000_000, 40_000_000)
            .single()
            .unwrap();
        let c = chrono::Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap();
        assert!(sortable_time(&a) < sortable_time(&b));
        assert!(sortable_time(&b) < sortable_time(&c));
    }

    #[test]
    fn long_subjects_are_keyed_by_a_prefix_cut_at_a_char_boundary() {
        let subject = "é".repeat(400); // 800 bytes
        let key = cases_by_subject(&subject);
        assert!(key.len() <= "CASES#subject#".len() + SUBJECT_KEY_BYTES);
        assert!(key.ends_with('é'));
    }
}
