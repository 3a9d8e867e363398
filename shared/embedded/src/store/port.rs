//! `CrmStore` for the embedded store: each call is one redb transaction on the blocking pool.

use async_trait::async_trait;
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

use super::{
    EmbeddedStore, accounts, cases, contact_links, expiring, jobs, outbox, purge, records,
};
use crate::blocking::{read, write};

#[async_trait]
impl CrmStore for EmbeddedStore {
    async fn create_integration(&self, integration: &Integration) -> StoreResult<()> {
        let integration = integration.clone();
        write(&self.db, move |txn| {
            records::create_integration(txn, &integration)
        })
        .await
    }

    async fn get_integration(
        &self,
        id: &IntegrationId,
    ) -> StoreResult<Option<Versioned<Integration>>> {
        let id = id.clone();
        read(&self.db, move |txn| records::get_integration(txn, &id)).await
    }

    async fn list_integrations(&self) -> StoreResult<Vec<Versioned<Integration>>> {
        read(&self.db, records::list_integrations).await
    }

    async fn update_integration(
        &self,
        integration: &Integration,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let integration = integration.clone();
        write(&self.db, move |txn| {
            records::update_integration(txn, &integration, expected_version)
        })
        .await
    }

    async fn delete_integration(&self, id: &IntegrationId) -> StoreResult<()> {
        let id = id.clone();
        write(&self.db, move |txn| records::delete_integration(txn, &id)).await
    }

    async fn get_account(&self, account: &str) -> StoreResult<Option<AccountClaim>> {
        let account = account.to_owned();
        read(&self.db, move |txn| accounts::get_account(txn, &account)).await
    }

    async fn relink_case(
        &self,
        case: &Case,
        case_version: u64,
        from: &Versioned<TicketRecord>,
        to: &TicketRecord,
    ) -> StoreResult<u64> {
        let (case, from, to) = (case.clone(), from.clone(), to.clone());
        write(&self.db, move |txn| {
            accounts::relink_case(txn, &case, case_version, &from, &to)
        })
        .await
    }

    async fn purge_integration_data(
        &self,
        id: &IntegrationId,
        limit: usize,
    ) -> StoreResult<PurgeProgress> {
        let id = id.clone();
        write(&self.db, move |txn| {
            purge::purge_integration_data(txn, &id, limit)
        })
        .await
    }

    async fn create_user(&self, user: &CrmUser) -> StoreResult<()> {
        let user = user.clone();
        write(&self.db, move |txn| records::create_user(txn, &user)).await
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<CrmUser>> {
        let id = id.clone();
        read(&self.db, move |txn| records::get_user(txn, id.as_str())).await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<CrmUser>> {
        let email = email.to_owned();
        read(&self.db, move |txn| {
            records::find_user_by_email(txn, &email)
        })
        .await
    }

    async fn list_users(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page<CrmUser>> {
        let cursor = cursor.map(str::to_owned);
        read(&self.db, move |txn| {
            records::list_users(txn, cursor.as_deref(), limit)
        })
        .await
    }

    async fn get_or_create_contact(&self, contact: &Contact) -> StoreResult<ContactOutcome> {
        let contact = contact.clone();
        write(&self.db, move |txn| {
            records::get_or_create_contact(txn, &contact)
        })
        .await
    }

    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        let id = id.clone();
        read(&self.db, move |txn| records::get_contact(txn, id.as_str())).await
    }

    async fn find_contact_by_email(&self, email: &str) -> StoreResult<Option<Contact>> {
        let email = email.to_owned();
        read(&self.db, move |txn| {
            records::find_contact_by_email(txn, &email)
        })
        .await
    }

    async fn list_contacts(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Contact>> {
        let cursor = cursor.map(str::to_owned);
        read(&self.db, move |txn| {
            records::list_contacts(txn, cursor.as_deref(), limit)
        })
        .await
    }

    async fn get_zendesk_user_link(
        &self,
        integration: &IntegrationId,
        user: ZendeskId,
    ) -> StoreResult<Option<Versioned<ZendeskUserLink>>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            contact_links::get_zendesk_user_link(txn, integration.as_str(), user)
        })
        .await
    }

    async fn save_zendesk_user_link(
        &self,
        link: &ZendeskUserLink,
        expected_version: u64,
        contact: &ContactChange,
    ) -> StoreResult<u64> {
        let link = link.clone();
        let contact = contact.clone();
        write(&self.db, move |txn| {
            contact_links::save_zendesk_user_link(txn, &link, expected_version, &contact)
        })
        .await
    }

    async fn create_case(&self, case: &Case) -> StoreResult<()> {
        let case = case.clone();
        write(&self.db, move |txn| cases::create_case(txn, &case)).await
    }

    async fn create_linked_case(&self, case: &Case, record: &TicketRecord) -> StoreResult<()> {
        let (case, record) = (case.clone(), record.clone());
        write(&self.db, move |txn| {
            cases::create_linked_case(txn, &case, &record)
        })
        .await
    }

    async fn get_case(&self, id: &CaseId) -> StoreResult<Option<Versioned<Case>>> {
        let id = id.clone();
        read(&self.db, move |txn| cases::get_case(txn, &id)).await
    }

    async fn update_case(&self, case: &Case, expected_version: u64) -> StoreResult<u64> {
        let case = case.clone();
        write(&self.db, move |txn| {
            cases::update_case(txn, &case, expected_version)
        })
        .await
    }

    async fn list_cases(
        &self,
        filter: &CaseFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Case>> {
        let (filter, cursor) = (filter.clone(), cursor.map(str::to_owned));
        read(&self.db, move |txn| {
            cases::list_cases(txn, &filter, cursor.as_deref(), limit)
        })
        .await
    }

    async fn get_ticket_record(
        &self,
        integration: &IntegrationId,
        ticket_number: ZendeskId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            cases::get_ticket_record(txn, &integration, ticket_number)
        })
        .await
    }

    async fn get_ticket_record_for_case(
        &self,
        case: &CaseId,
    ) -> StoreResult<Option<Versioned<TicketRecord>>> {
        let case = case.clone();
        read(&self.db, move |txn| {
            cases::get_ticket_record_for_case(txn, &case)
        })
        .await
    }

    async fn create_ticket_record(&self, record: &TicketRecord) -> StoreResult<()> {
        let record = record.clone();
        write(&self.db, move |txn| {
            cases::create_ticket_record(txn, &record)
        })
        .await
    }

    async fn update_ticket_record(
        &self,
        record: &TicketRecord,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let record = record.clone();
        write(&self.db, move |txn| {
            cases::update_ticket_record(txn, &record, expected_version)
        })
        .await
    }

    async fn put_comment(&self, comment: &CaseComment) -> StoreResult<()> {
        let comment = comment.clone();
        write(&self.db, move |txn| cases::put_comment(txn, &comment)).await
    }

    async fn put_comments(&self, comments: &[CaseComment]) -> StoreResult<()> {
        if comments.is_empty() {
            return Ok(());
        }
        let comments = comments.to_vec();
        write(&self.db, move |txn| {
            comments
                .iter()
                .try_for_each(|comment| cases::put_comment(txn, comment))
        })
        .await
    }

    async fn list_comments(&self, case: &CaseId) -> StoreResult<Vec<CaseComment>> {
        let case = case.clone();
        read(&self.db, move |txn| cases::list_comments(txn, &case)).await
    }

    async fn update_case_marking_push(
        &self,
        case: &Case,
        expected_version: u64,
        integration: &IntegrationId,
    ) -> StoreResult<u64> {
        let (case, integration) = (case.clone(), integration.clone());
        write(&self.db, move |txn| {
            outbox::update_case_marking_push(txn, &case, expected_version, &integration)
        })
        .await
    }

    async fn put_comment_marking_push(
        &self,
        comment: &CaseComment,
        integration: &IntegrationId,
    ) -> StoreResult<()> {
        let (comment, integration) = (comment.clone(), integration.clone());
        write(&self.db, move |txn| {
            outbox::put_comment_marking_push(txn, &comment, &integration)
        })
        .await
    }

    async fn get_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
    ) -> StoreResult<Option<PendingPush>> {
        let (integration, case) = (integration.clone(), case.clone());
        read(&self.db, move |txn| {
            outbox::get_pending_push(txn, &integration, &case)
        })
        .await
    }

    async fn list_pending_pushes(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<PendingPush>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            outbox::list_pending_pushes(txn, &integration, limit)
        })
        .await
    }

    async fn clear_pending_push(
        &self,
        integration: &IntegrationId,
        case: &CaseId,
        marks: u64,
    ) -> StoreResult<bool> {
        let (integration, case) = (integration.clone(), case.clone());
        write(&self.db, move |txn| {
            outbox::clear_pending_push(txn, &integration, &case, marks)
        })
        .await
    }

    async fn create_job(&self, job: &SyncJob) -> StoreResult<()> {
        let job = job.clone();
        write(&self.db, move |txn| jobs::create_job(txn, &job)).await
    }

    async fn get_job(
        &self,
        integration: &IntegrationId,
        id: &JobId,
    ) -> StoreResult<Option<Versioned<SyncJob>>> {
        let (integration, id) = (integration.clone(), id.clone());
        read(&self.db, move |txn| jobs::get_job(txn, &integration, &id)).await
    }

    async fn list_jobs(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncJob>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            jobs::list_jobs(txn, &integration, limit)
        })
        .await
    }

    async fn update_job(&self, job: &SyncJob, expected_version: u64) -> StoreResult<u64> {
        let job = job.clone();
        write(&self.db, move |txn| {
            jobs::update_job(txn, &job, expected_version)
        })
        .await
    }

    async fn add_job_counters(
        &self,
        integration: &IntegrationId,
        id: &JobId,
        delta: &JobCounters,
    ) -> StoreResult<SyncJob> {
        let (integration, id, delta) = (integration.clone(), id.clone(), *delta);
        write(&self.db, move |txn| {
            jobs::add_job_counters(txn, &integration, &id, &delta)
        })
        .await
    }

    async fn get_export_cursor(
        &self,
        integration: &IntegrationId,
    ) -> StoreResult<Option<Versioned<ExportCursor>>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            jobs::get_export_cursor(txn, &integration)
        })
        .await
    }

    async fn put_export_cursor(
        &self,
        cursor: &ExportCursor,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let cursor = cursor.clone();
        write(&self.db, move |txn| {
            jobs::put_export_cursor(txn, &cursor, expected_version)
        })
        .await
    }

    async fn list_jobs_page(
        &self,
        integration: &IntegrationId,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncJob>> {
        let (integration, cursor) = (integration.clone(), cursor.map(str::to_owned));
        read(&self.db, move |txn| {
            jobs::list_jobs_page(txn, &integration, cursor.as_deref(), limit)
        })
        .await
    }

    async fn append_log(&self, entry: &SyncLogEntry, ttl: Duration) -> StoreResult<()> {
        let entry = entry.clone();
        write(&self.db, move |txn| expiring::append_log(txn, &entry, ttl)).await
    }

    async fn list_log(
        &self,
        integration: &IntegrationId,
        limit: usize,
    ) -> StoreResult<Vec<SyncLogEntry>> {
        let integration = integration.clone();
        read(&self.db, move |txn| {
            expiring::list_log(txn, &integration, limit)
        })
        .await
    }

    async fn list_log_page(
        &self,
        integration: &IntegrationId,
        filter: &LogFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<SyncLogEntry>> {
        let (integration, filter) = (integration.clone(), filter.clone());
        let cursor = cursor.map(str::to_owned);
        read(&self.db, move |txn| {
            expiring::list_log_page(txn, &integration, &filter, cursor.as_deref(), limit)
        })
        .await
    }

    async fn remember_once(&self, key: &str, ttl: Duration, now: Timestamp) -> StoreResult<bool> {
        let key = key.to_owned();
        write(&self.db, move |txn| {
            expiring::remember_once(txn, &key, ttl, now)
        })
        .await
    }

    async fn forget(&self, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        write(&self.db, move |txn| expiring::forget(txn, &key)).await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        write(&self.db, move |txn| {
            expiring::acquire_lease(txn, &name, &holder, ttl, now)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        write(&self.db, move |txn| {
            expiring::release_lease(txn, &name, &holder)
        })
        .await
    }
}
