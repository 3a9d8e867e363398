//! The DynamoDB store: one table, keys and indexes as infra/dynamodb-table.md documents.
//! Every create is conditional on absence, every update on the version read, and everything
//! that must be unique together is written in one transaction.

mod accounts;
mod case_list;
mod cases;
mod comments;
mod contact_links;
mod cursor;
mod errors;
mod integrations;
mod item;
mod jobs;
pub mod keys;
mod leases;
mod ops;
mod outbox;
mod people;
mod purge;
mod table;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::Duration;
use zsync_core::ports::{
    AccountClaim, CaseFilter, ContactOutcome, CrmStore, LogFilter, Page, PendingPush,
    PurgeProgress, StoreResult, Versioned,
};
use zsync_mapping::contact_link::{ContactChange, ZendeskUserLink};
use zsync_mapping::{
    Case, CaseComment, CaseId, Contact, ContactId, CrmUser, ExportCursor, Integration,
    IntegrationId, JobCounters, JobId, SyncJob, SyncLogEntry, TicketRecord, Timestamp, UserId,
    ZendeskId,
};

pub use item::{MAX_ITEM_BYTES, item_size};
pub use table::create_table;

/// [`CrmStore`] on one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: table_name.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }
}

#[async_trait]
impl CrmStore for DynamoStore {
    async fn create_integration(&self, integration: &Integration) -> StoreResult<()> {
        self.create_integration_impl(integration).await
    }
    async fn get_integration(
        &self,
        id: &IntegrationId,
    ) -> StoreResult<Option<Versioned<Integration>>> {
        self.get_integration_impl(id).await
    }
    async fn list_integrations(&self) -> StoreResult<Vec<Versioned<Integration>>> {
        self.list_integrations_impl().await
    }
    async fn update_integration(
        &self,
        integration: &Integration,
        expected_version: u64,
    ) -> StoreResult<u64> {
        self.update_integration_impl(integration, expected_version)
            .await
    }
    async fn delete_integration(&self, id: &IntegrationId) -> StoreResult<()> {
        self.delete_integration_impl(id).await
    }
    async fn get_account(&self, account: &str) -> StoreResult<Option<AccountClaim>> {
        self.get_account_impl(account).await
    }
    async fn relink_case(
        &self,
        case: &Case,
        case_version: u64,
        from: &Versioned<TicketRecord>,
        to: &TicketRecord,
    ) -> StoreResult<u64> {
        self.relink_case_impl(case, case_version, from, to).await
    }

    async fn purge_integration_data(
        &self,
        id: &IntegrationId,
        limit: usize,
    ) -> StoreResult<PurgeProgress> {
        self.purge_integration_data_impl(id, limit).await
    }
    async fn create_user(&self, user: &CrmUser) -> StoreResult<()> {
        self.create_user_impl(user).await
    }
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<CrmUser>> {
        self.get_user_impl(id).await
    }
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<CrmUser>> {
        self.find_user_by_email_impl(email).await
    }
    async fn list_users(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page<CrmUser>> {
        self.list_users_impl(cursor, limit).await
    }

    async fn get_or_create_contact(&self, contact: &Contact) -> StoreResult<ContactOutcome> {
        self.get_or_create_contact_impl(contact).await
    }
    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        self.get_contact_impl(id).await
    }
    async fn find_contact_by_email(&self, email: &str) -> StoreResult<Option<Contact>> {
        self.find_contact_by_email_impl(email).await
    }
    async fn list_contacts(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Contact>> {
        self.list_contacts_impl(cursor, limit).await
    }
    async fn get_zendesk_user_link(
        &self,
        integration: &IntegrationId,
        user: ZendeskId,
    ) -> StoreResult<Option<Versioned<ZendeskUserLink>>> {
        self.get_zendesk_user_link_impl(integration, user).await
    }
    async fn save_zendesk_user_link(
        &self,
        link: &ZendeskUserLink,
        expected_version: u64,
        contact: &ContactChange,
    ) -> StoreResult<u64> {
        self.save_zendesk_user_link_impl(link, expected_version, contact)
            .await
    }

    async fn create_case(&self, case: &Case) -> StoreResult<()> {
        self.create_case_impl(case).await
    }
    async fn create_linked_case(&self, case: &Case, record: &TicketRecord) -> StoreResult<()> {
        self.create_linked_case_impl(case, record).await
    }
    async fn get_case(&self, id: &CaseId) -> StoreResult<Option<Versioned<Case>>> {
        self.get_case_impl(id).await
    }
    async fn update_case(&self, case: &Case, expected_version: u64) -> StoreResult<u64> {
        self.update_case_impl(case, expected_version).await
    }
    async fn list_cases(
        &self,
        filter: &CaseFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Case>> {
        self.list_cases_impl(filter, cursor, limit).await
    }

    async fn get_ticket_record(
        &self,
        integration: &IntegrationId,
        ticket_number: ZendeskId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        self.get_ticket_record_impl(integration, ticket_number)
            .await
    }
    async fn get_ticket_record_for_case(
        &self,
        case: &CaseId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        self.get_ticket_record_for_case_impl(case).await
    }
    async fn create_ticket_record(&self, record: &TicketRecord) -> StoreResult<()> {
        self.create_ticket_record_impl(record).await
    }
    async fn update_ticket_record(
        &self,
        record: &TicketRecord,
        expected_version: u64,
    ) -> StoreResult<u64> {
        self.update_ticket_record_impl(record, expected_version)
            .await
    }

    async fn put_comment(&self, comment: &CaseComment) -> StoreResult<()> {
        self.put_comment_impl(comment).await
    }
    async fn put_comments(&self, comments: &[CaseComment]) -> StoreResult<()> {
        self.put_comments_impl(comments).await
    }
    async fn list_comments(&self, case: &CaseId) -> StoreResult<Vec<CaseComment>> {
        self.list_comments_impl(case).await
    }

    async fn update_case_marking_push(
        &self,
        case: &Case,
        expected_version: u64,
        integration: &IntegrationId,
    ) -> StoreResult<u64> {
        self.update_case_marking_push_impl(case, expected_version, integration)
            .await
    }
    async fn put_comment_marking_push(
        &self,
        comment: &CaseComment,
        integration: &IntegrationId,
    ) -> StoreResult<()> {
        self.put_comment_marking_push_impl(comment, integration)
            .await
    }
    async fn get_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
    ) -> StoreResult<Option<PendingPush>> {
        self.get_pending_push_impl(integration, case).await
    }
    async fn list_pending_pushes(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<PendingPush>> {
        self.list_pending_pushes_impl(integration, limit).await
    }
    async fn clear_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
        marks: u64,
    ) -> StoreResult<bool> {
        self.clear_pending_push_impl(integration, case, marks).await
    }

    async fn create_job(&self, job: &SyncJob) -> StoreResult<()> {
        self.create_job_impl(job).await
    }
    async fn get_job(
        &self,
        integration: &IntegrationId,
        id: &JobId,
    ) -> StoreResult<Option<Versioned<SyncJob>>> {
        self.get_job_impl(integration, id).await
    }
    async fn list_jobs(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>> {
        self.list_jobs_impl(integration, limit).await
    }
    async fn update_job(&self, job: &SyncJob, expected_version: u64) -> StoreResult<u64> {
        self.update_job_impl(job, expected_version).await
    }
    async fn add_job_counters(
        &self,
        integration: &IntegrationId,
        id: &JobId,
        delta: &JobCounters,
    ) -> StoreResult<SyncJob> {
        self.add_job_counters_impl(integration, id, delta).await
    }

    async fn get_export_cursor(
        &self,
        integration: &IntegrationId,
    ) -> StoreResult<Option<Versioned<ExportCursor>>> {
        self.get_export_cursor_impl(integration).await
    }
    async fn put_export_cursor(
        &self,
        cursor: &ExportCursor,
        expected_version: u64,
    ) -> StoreResult<u64> {
        self.put_export_cursor_impl(cursor, expected_version).await
    }
    async fn list_jobs_page(
        &self,
        integration: &IntegrationId,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncJob>> {
        self.list_jobs_page_impl(integration, cursor, limit).await
    }

    async fn append_log(&self, entry: &SyncLogEntry, ttl: Duration) -> StoreResult<()> {
        self.append_log_impl(entry, ttl).await
    }
    async fn list_log(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncLogEntry>> {
        self.list_log_impl(integration, limit).await
    }
    async fn list_log_page(
        &self,
        integration: &IntegrationId,
        filter: &LogFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncLogEntry>> {
        self.list_log_page_impl(integration, filter, cursor, limit)
            .await
    }

    async fn remember_once(&self, key: &str, ttl: Duration, now: Timestamp) -> StoreResult<bool> {
        self.remember_once_impl(key, ttl, now).await
    }

    async fn forget(&self, key: &str) -> StoreResult<()> {
        self.forget_impl(key).await
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.acquire_lease_impl(name, holder, ttl, now).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.release_lease_impl(name, holder).await
    }
}
