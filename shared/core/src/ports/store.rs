//! The CRM store port: everything the service persists. Adapters: DynamoDB (cloud) and the
//! embedded store (local server). Both must pass the same conformance suite.
//!
//! Concurrency rules every adapter keeps:
//! - every mutable record carries a `version`; updates name the version they read and fail with
//!   [`StoreError::VersionConflict`] if someone else wrote in between (optimistic concurrency);
//! - creations fail with [`StoreError::AlreadyExists`] instead of overwriting;
//! - at most one contact per normalised e-mail and one CRM user per e-mail, even under
//!   concurrent writers (a contact's e-mail may change, through a Zendesk user link);
//! - at most one ticket record per (integration, ticket number), created atomically with its case.

use async_trait::async_trait;
use chrono::Duration;
use zsync_mapping::contact_link::{ContactChange, ZendeskUserLink};
use zsync_mapping::{
    Case, CaseComment, CaseId, CaseStatus, Contact, ContactId, CrmUser, ExportCursor, Integration,
    IntegrationId, JobCounters, JobId, LogOutcome, SyncJob, SyncLogEntry, TicketRecord, Timestamp,
    UserId, ZendeskId,
};

/// A record with the version it was read at.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

impl<T> Versioned<T> {
    pub fn new(value: T, version: u64) -> Self {
        Self { value, version }
    }
}

/// One page of a list. `next_cursor` is opaque to callers and `None` on the last page.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseFilter {
    /// Word search on the subject (the API's `subject=`): every word of it must be a word of
    /// the case's subject (`zsync_mapping::subject_search`).
    pub subject: Option<String>,
    pub status: Option<CaseStatus>,
    pub integration_id: Option<IntegrationId>,
}

/// Filters of the sync log's listing (docs/http-api.md `GET /integrations/{id}/log`); `None`
/// is any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogFilter {
    pub ticket_number: Option<ZendeskId>,
    pub outcome: Option<LogOutcome>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {key} already exists")]
    AlreadyExists { entity: &'static str, key: String },
    #[error("{entity} {key} was changed by someone else (expected version {expected})")]
    VersionConflict {
        entity: &'static str,
        key: String,
        expected: u64,
    },
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    #[error("invalid page cursor")]
    InvalidCursor,
    /// A stored item could not be decoded (schema drift, corruption).
    #[error("stored {entity} {key} is unreadable: {reason}")]
    Corrupt {
        entity: &'static str,
        key: String,
        reason: String,
    },
    /// The backend failed in a way that may heal (throttling, network, I/O): retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::VersionConflict { .. })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The outbox entry of a case with CRM changes not yet pushed to Zendesk: written in the same
/// store write as the edit or comment (so a failed queue send loses nothing), removed once the
/// push is done. One small record per case, whatever the number of changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPush {
    pub integration_id: IntegrationId,
    pub case_id: CaseId,
    /// Synced fields changed: the case is to be pushed.
    pub fields: bool,
    /// Comments were added: the case's unlinked comments are to be pushed.
    pub comments: bool,
    /// Bumped by every write that marks the case, so that a push clears only what it saw
    /// ([`CrmStore::clear_pending_push`]).
    pub marks: u64,
}

/// The entity named by `AlreadyExists` when a Zendesk account already has an integration.
pub const ACCOUNT_ENTITY: &str = "zendesk account";

/// Who holds a Zendesk account (docs/sync-rules.md §2 lifecycle: one integration per account).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountClaim {
    /// [`account_key`](zsync_mapping::integration_url::account_key) of the integrations' URL.
    pub account: String,
    /// The integration holding the account now, if any.
    pub integration: Option<IntegrationId>,
    /// Deleted integrations that held it, oldest first: their ticket records are where a new
    /// integration finds the account's cases again.
    pub former: Vec<IntegrationId>,
}

/// One step of [`CrmStore::purge_integration_data`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeProgress {
    /// The tickets whose records this step removed (their dedupe markers are the caller's).
    pub tickets: Vec<ZendeskId>,
    /// Items removed by this step, records included.
    pub removed: usize,
    /// Nothing of the integration's sync data is left.
    pub done: bool,
}

/// Outcome of [`CrmStore::get_or_create_contact`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContactOutcome {
    pub contact: Contact,
    pub created: bool,
}

#[async_trait]
pub trait CrmStore: Send + Sync {
    // ---- integrations ----
    /// Creates an integration at version 1 and, in the same atomic write, claims its Zendesk
    /// account ([`account_key`](zsync_mapping::integration_url::account_key) of its `url`): `AlreadyExists` with entity [`ACCOUNT_ENTITY`]
    /// (and nothing written) if another integration holds the account.
    async fn create_integration(&self, integration: &Integration) -> StoreResult<()>;
    async fn get_integration(
        &self,
        id: &IntegrationId,
    ) -> StoreResult<Option<Versioned<Integration>>>;
    /// Every integration (a deployment has few; no pagination).
    async fn list_integrations(&self) -> StoreResult<Vec<Versioned<Integration>>>;
    /// Replaces the integration if it is still at `expected_version`; returns the new version.
    /// A `url` naming another account moves the account claim in the same atomic write:
    /// `AlreadyExists` ([`ACCOUNT_ENTITY`]) if another integration holds the new account.
    async fn update_integration(
        &self,
        integration: &Integration,
        expected_version: u64,
    ) -> StoreResult<u64>;
    /// Deletes the integration record (idempotent) and releases its account claim, remembering
    /// the integration among the account's `former` holders (its ticket records stay, so a
    /// later integration for the account can re-link their cases). Imported data is kept.
    async fn delete_integration(&self, id: &IntegrationId) -> StoreResult<()>;
    /// The claim on a Zendesk account (keyed by [`account_key`](zsync_mapping::integration_url::account_key)); `None` if no integration
    /// ever held it.
    async fn get_account(&self, account: &str) -> StoreResult<Option<AccountClaim>>;
    /// Moves the ticket record `from` (of a deleted integration) to `to` — same case, same
    /// ticket, another integration — and writes `case` (its `integration_id` now `to`'s), all
    /// in one atomic write: the old record is removed, the new one created, the case's link
    /// re-pointed. `VersionConflict` if the case or the old record changed since read,
    /// `AlreadyExists` if `to` exists; nothing is written then. Returns the case's new version.
    async fn relink_case(
        &self,
        case: &Case,
        case_version: u64,
        from: &Versioned<TicketRecord>,
        to: &TicketRecord,
    ) -> StoreResult<u64>;

    /// Removes up to about `limit` items of a (deleted) integration's sync data: ticket records
    /// (their cases stay, unlinked: `integration_id` cleared), jobs, export cursor, sync log and
    /// outbox entries. Resumable: each call goes on where the last stopped, and
    /// [`PurgeProgress::done`] says nothing is left. Cases and contacts are never removed.
    async fn purge_integration_data(
        &self,
        id: &IntegrationId,
        limit: usize,
    ) -> StoreResult<PurgeProgress>;

    // ---- CRM users ----
    /// Creates a user; `AlreadyExists` if the id or the (normalised) e-mail is taken.
    async fn create_user(&self, user: &CrmUser) -> StoreResult<()>;
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<CrmUser>>;
    /// Looks up by normalised primary e-mail.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<CrmUser>>;
    async fn list_users(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page<CrmUser>>;

    // ---- contacts ----
    /// Returns the contact holding `contact.email`, creating `contact` if none does. Exactly one
    /// contact per e-mail even under concurrent callers. `contact.email` must be set.
    async fn get_or_create_contact(&self, contact: &Contact) -> StoreResult<ContactOutcome>;
    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>>;
    async fn find_contact_by_email(&self, email: &str) -> StoreResult<Option<Contact>>;
    async fn list_contacts(&self, cursor: Option<&str>, limit: usize)
    -> StoreResult<Page<Contact>>;
    /// The link of Zendesk user `user` of `integration` to the contact standing for them
    /// (docs/sync-rules.md §3.2 "Contacts"), with its version.
    async fn get_zendesk_user_link(
        &self,
        integration: &IntegrationId,
        user: ZendeskId,
    ) -> StoreResult<Option<Versioned<ZendeskUserLink>>>;
    /// Writes `link` if it is still at `expected_version` (0: it must not exist yet; else
    /// `VersionConflict`) and, in the same atomic write, `contact`:
    /// - `Create`: the contact and its e-mail, `AlreadyExists` if the e-mail or id is taken;
    /// - `Replace`: the contact, which must still have `previous_email` (else `VersionConflict`,
    ///   and `NotFound` if it is gone); a changed e-mail moves the contact's e-mail uniqueness to
    ///   the new address, `AlreadyExists` if another contact holds it.
    ///
    /// Nothing is written when anything is refused. Returns the link's new version.
    async fn save_zendesk_user_link(
        &self,
        link: &ZendeskUserLink,
        expected_version: u64,
        contact: &ContactChange,
    ) -> StoreResult<u64>;

    // ---- cases and ticket records ----
    /// Creates a case that is not linked to Zendesk (version 1).
    async fn create_case(&self, case: &Case) -> StoreResult<()>;
    /// Creates a case and its ticket record in one atomic step; `AlreadyExists` (and nothing
    /// written) if the integration already has a record for that ticket number.
    async fn create_linked_case(&self, case: &Case, record: &TicketRecord) -> StoreResult<()>;
    async fn get_case(&self, id: &CaseId) -> StoreResult<Option<Versioned<Case>>>;
    /// Replaces the case if it is still at `expected_version`; returns the new version.
    async fn update_case(&self, case: &Case, expected_version: u64) -> StoreResult<u64>;
    /// Cases matching `filter`, newest first, without scanning the whole store.
    async fn list_cases(
        &self,
        filter: &CaseFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Case>>;

    async fn get_ticket_record(
        &self,
        integration: &IntegrationId,
        ticket_number: ZendeskId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>>;
    async fn get_ticket_record_for_case(
        &self,
        case: &CaseId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>>;
    /// Links an existing unlinked case (publish): `AlreadyExists` if the ticket number is taken.
    async fn create_ticket_record(&self, record: &TicketRecord) -> StoreResult<()>;
    /// Replaces the record if it is still at `expected_version`; returns the new version.
    async fn update_ticket_record(
        &self,
        record: &TicketRecord,
        expected_version: u64,
    ) -> StoreResult<u64>;

    // ---- comments ----
    /// Inserts or replaces a comment by id (comment ids from Zendesk are derived from the
    /// Zendesk comment id, so re-importing is idempotent).
    async fn put_comment(&self, comment: &CaseComment) -> StoreResult<()>;
    /// [`put_comment`](Self::put_comment) for several comments, in order. An adapter that can
    /// write them together (one transaction) should: a first sync writes every comment of
    /// every ticket. Each comment is written at most once even if the call fails midway.
    async fn put_comments(&self, comments: &[CaseComment]) -> StoreResult<()> {
        for comment in comments {
            self.put_comment(comment).await?;
        }
        Ok(())
    }
    /// A case's comments, oldest first.
    async fn list_comments(&self, case: &CaseId) -> StoreResult<Vec<CaseComment>>;

    // ---- the push outbox ----
    /// [`update_case`](Self::update_case) and, in the same atomic write, marks the case's
    /// outbox entry for `integration` (`fields` set, `marks` + 1; created if absent).
    /// Nothing is written if the version does not match.
    async fn update_case_marking_push(
        &self,
        case: &Case,
        expected_version: u64,
        integration: &IntegrationId,
    ) -> StoreResult<u64>;
    /// [`put_comment`](Self::put_comment) and, in the same atomic write, marks the comment's
    /// case in the outbox of `integration` (`comments` set, `marks` + 1).
    async fn put_comment_marking_push(
        &self,
        comment: &CaseComment,
        integration: &IntegrationId,
    ) -> StoreResult<()>;
    async fn get_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
    ) -> StoreResult<Option<PendingPush>>;
    /// Up to `limit` outbox entries of an integration (any order).
    async fn list_pending_pushes(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<PendingPush>>;
    /// Removes the entry if its `marks` is still `marks` (no write marked it since it was
    /// read); true if removed. An entry already gone is not an error (false).
    async fn clear_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
        marks: u64,
    ) -> StoreResult<bool>;

    // ---- sync jobs, export cursors ----
    async fn create_job(&self, job: &SyncJob) -> StoreResult<()>;
    async fn get_job(
        &self,
        integration: &IntegrationId,
        id: &JobId,
    ) -> StoreResult<Option<Versioned<SyncJob>>>;
    /// An integration's jobs, newest first.
    async fn list_jobs(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>>;
    async fn update_job(&self, job: &SyncJob, expected_version: u64) -> StoreResult<u64>;
    /// Adds `delta` to the job's counters atomically (no read-modify-write race) and bumps its
    /// version; returns the job as stored after the addition.
    async fn add_job_counters(
        &self,
        integration: &IntegrationId,
        id: &JobId,
        delta: &JobCounters,
    ) -> StoreResult<SyncJob>;

    async fn get_export_cursor(
        &self,
        integration: &IntegrationId,
    ) -> StoreResult<Option<Versioned<ExportCursor>>>;
    /// Writes the cursor; `expected_version` 0 means "must not exist yet".
    async fn put_export_cursor(
        &self,
        cursor: &ExportCursor,
        expected_version: u64,
    ) -> StoreResult<u64>;
    /// One page of an integration's jobs, newest first; `cursor` is the previous page's
    /// `next_cursor` ([`StoreError::InvalidCursor`] for anything else).
    async fn list_jobs_page(
        &self,
        integration: &IntegrationId,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncJob>>;

    // ---- per-ticket sync log ----
    /// Appends a log entry that expires after `ttl`.
    async fn append_log(&self, entry: &SyncLogEntry, ttl: Duration) -> StoreResult<()>;
    /// An integration's newest log entries first.
    async fn list_log(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncLogEntry>>;
    /// One page of an integration's live log entries matching `filter`, newest first; `cursor`
    /// is the previous page's `next_cursor` ([`StoreError::InvalidCursor`] for anything else).
    async fn list_log_page(
        &self,
        integration: &IntegrationId,
        filter: &LogFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncLogEntry>>;

    // ---- dedupe and leases ----
    /// Records `key` for `ttl`; true if it was new, false if already seen and not expired.
    async fn remember_once(&self, key: &str, ttl: Duration, now: Timestamp) -> StoreResult<bool>;
    /// Drops a remembered key (idempotent), so that work whose hand-off failed after
    /// [`CrmStore::remember_once`] is not refused as a duplicate when it is retried.
    async fn forget(&self, key: &str) -> StoreResult<()>;
    /// Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or already
    /// held by `holder` (renewal). Returns whether `holder` holds it now.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Releases the lease if `holder` holds it (idempotent).
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}
