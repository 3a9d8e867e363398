//! A [`ZendeskConnector`] whose handles drop the cached API token when Zendesk refuses it, so
//! the next attempt (the queue's redelivery, the next export run) reads the stored token
//! again and a rotated token is used at once instead of after the cache's TTL.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use zsync_mapping::zendesk::{
    Ticket, TicketEnvelope, TicketEventPage, TicketExportPage, User, Webhook,
};
use zsync_mapping::{Timestamp, ZendeskId};

use crate::ports::secrets::api_token_name;
use crate::ports::{
    ExportFrom, NewComment, NewEndUser, NewTicket, NewWebhook, SecretStore, TicketChanges,
    TicketComments, ZendeskAccount, ZendeskApi, ZendeskConnector, ZendeskError, ZendeskResult,
};

pub struct TokenInvalidatingConnector {
    inner: Arc<dyn ZendeskConnector>,
    secrets: Arc<dyn SecretStore>,
}

impl TokenInvalidatingConnector {
    pub fn new(inner: Arc<dyn ZendeskConnector>, secrets: Arc<dyn SecretStore>) -> Self {
        Self { inner, secrets }
    }
}

impl ZendeskConnector for TokenInvalidatingConnector {
    fn connect(&self, account: ZendeskAccount) -> ZendeskResult<Arc<dyn ZendeskApi>> {
        let token_name = api_token_name(account.integration_id.as_str());
        let inner = self.inner.connect(account)?;
        Ok(Arc::new(TokenWatch {
            inner,
            secrets: Arc::clone(&self.secrets),
            token_name,
        }))
    }
}

/// One integration's handle: every call as the inner handle makes it; an
/// [`ZendeskError::Auth`] answer also invalidates the token's cached copy.
struct TokenWatch {
    inner: Arc<dyn ZendeskApi>,
    secrets: Arc<dyn SecretStore>,
    token_name: String,
}

impl std::fmt::Debug for TokenWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenWatch")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl TokenWatch {
    fn seen<T>(&self, result: ZendeskResult<T>) -> ZendeskResult<T> {
        if let Err(ZendeskError::Auth { .. }) = &result {
            self.secrets.invalidate(&self.token_name);
        }
        result
    }
}

#[async_trait]
impl ZendeskApi for TokenWatch {
    async fn current_user(&self) -> ZendeskResult<User> {
        self.seen(self.inner.current_user().await)
    }

    async fn export_tickets(&self, from: &ExportFrom) -> ZendeskResult<TicketExportPage> {
        self.seen(self.inner.export_tickets(from).await)
    }

    async fn export_ticket_events(&self, start_time: i64) -> ZendeskResult<TicketEventPage> {
        self.seen(self.inner.export_ticket_events(start_time).await)
    }

    async fn ticket_comments(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketComments> {
        self.seen(self.inner.ticket_comments(ticket_id).await)
    }

    async fn show_ticket(&self, ticket_id: ZendeskId) -> ZendeskResult<TicketEnvelope> {
        self.seen(self.inner.show_ticket(ticket_id).await)
    }

    async fn show_tickets(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<Ticket>> {
        self.seen(self.inner.show_tickets(ids).await)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> ZendeskResult<Ticket> {
        self.seen(self.inner.create_ticket(ticket).await)
    }

    async fn update_ticket(
        &self,
        ticket_id: ZendeskId,
        changes: &TicketChanges,
        updated_stamp: Timestamp,
    ) -> ZendeskResult<Ticket> {
        self.seen(
            self.inner
                .update_ticket(ticket_id, changes, updated_stamp)
                .await,
        )
    }

    async fn add_comment(
        &self,
        ticket_id: ZendeskId,
        comment: &NewComment,
    ) -> ZendeskResult<Ticket> {
        self.seen(self.inner.add_comment(ticket_id, comment).await)
    }

    async fn find_tickets_by_external_id(&self, external_id: &str) -> ZendeskResult<Vec<Ticket>> {
        self.seen(self.inner.find_tickets_by_external_id(external_id).await)
    }

    async fn show_users(&self, ids: &[ZendeskId]) -> ZendeskResult<Vec<User>> {
        self.seen(self.inner.show_users(ids).await)
    }

    async fn find_user_by_email(&self, email: &str) -> ZendeskResult<Option<User>> {
        self.seen(self.inner.find_user_by_email(email).await)
    }

    async fn create_or_update_end_user(&self, user: &NewEndUser) -> ZendeskResult<User> {
        self.seen(self.inner.create_or_update_end_user(user).await)
    }

    async fn create_webhook(&self, webhook: &NewWebhook) -> ZendeskResult<Webhook> {
        self.seen(self.inner.create_webhook(webhook).await)
    }

    async fn delete_webhook(&self, webhook_id: &str) -> ZendeskResult<()> {
        self.seen(self.inner.delete_webhook(webhook_id).await)
    }

    async fn webhook_signing_secret(&self, webhook_id: &str) -> ZendeskResult<SecretString> {
        self.seen(self.inner.webhook_signing_secret(webhook_id).await)
    }
}
