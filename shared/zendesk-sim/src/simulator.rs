//! The handle tests and the demo hold: starts the server, seeds and changes the account from
//! the "Zendesk side", and exposes what happened (request counts, webhook deliveries).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use zsync_mapping::zendesk::{Comment, Ticket, User, UserRole};

use crate::Shared;
use crate::config::{FaultPlan, RateLimit, SimConfig};
use crate::limits::{FaultState, RateState};
use crate::model::{NewTicket, SeedSpec, SeedSummary, SimError, TicketChange, WebhookDelivery};
use crate::state::{CommentChangeError, Credential, FieldUpdate, NewComment, State, UpdateError};

/// A registered webhook, as the account sees it (the secret stays out of Debug).
#[derive(Clone, PartialEq, Eq)]
pub struct RegisteredWebhook {
    pub id: String,
    pub endpoint: String,
    pub status: String,
    pub subscriptions: Vec<String>,
    pub signing_secret: String,
}

impl std::fmt::Debug for RegisteredWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredWebhook")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("subscriptions", &self.subscriptions)
            .field("signing_secret", &"<redacted>")
            .finish()
    }
}

/// A running simulated Zendesk account. Dropping it stops the server.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    delivery: JoinHandle<()>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
        self.delivery.abort();
    }
}

fn map_update_error(id: u64, e: UpdateError) -> SimError {
    match e {
        UpdateError::NotFound => SimError::TicketNotFound(id),
        UpdateError::Closed => SimError::TicketClosed(id),
    }
}

fn map_comment_error(ticket: u64, comment: u64, e: CommentChangeError) -> SimError {
    match e {
        CommentChangeError::NotFound => SimError::CommentNotFound { ticket, comment },
        CommentChangeError::Closed => SimError::TicketClosed(ticket),
    }
}

impl Simulator {
    /// Binds `config.bind` (loopback only) and serves the API from a background task.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        if !config.bind.ip().is_loopback() {
            return Err(SimError::NotLoopback(config.bind));
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(SimError::Bind)?;
        let addr = listener.local_addr().map_err(SimError::Bind)?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.webhook_timeout)
            .build()
            .map_err(SimError::HttpClient)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut state = State::new(
            format!("http://{addr}"),
            config.account_id,
            RateState::new(config.rate_limit.clone()),
        );
        state.webhook_tx = Some(tx);
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(state),
        });
        let delivery = tokio::spawn(crate::delivery::run(shared.clone(), client, rx));
        let router = crate::http::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "zendesk simulator stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            server,
            delivery,
        })
    }

    /// `http://127.0.0.1:PORT`; the API lives under `/api/v2/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Creates (or reuses, by e-mail) a user that may call the API with Basic
    /// `email/token:TOKEN`.
    pub fn add_api_user(&self, email: &str, token: &str, role: UserRole) -> u64 {
        let mut state = self.shared.lock();
        let id = match state.user_by_email(email) {
            Some(u) => u.id,
            None => {
                let name = email.split('@').next().unwrap_or(email).to_owned();
                state.add_user(&name, Some(email), role, None)
            }
        };
        state.credentials.push(Credential {
            email_lower: email.trim().to_ascii_lowercase(),
            token: token.to_owned(),
            user_id: id,
        });
        id
    }

    pub fn add_user(&self, name: &str, email: Option<&str>, role: UserRole) -> u64 {
        self.shared.lock().add_user(name, email, role, None)
    }

    /// A user's profile edited in Zendesk (a new name and/or primary e-mail): bumps the user's
    /// `updated_at`. As in Zendesk, their tickets do not change, so the sync reads the new
    /// profile the next time it reads one of their tickets.
    pub fn update_user(
        &self,
        id: u64,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<User, SimError> {
        let mut state = self.shared.lock();
        let at = state.tick(0);
        let user = state.users.get_mut(&id).ok_or(SimError::UserNotFound(id))?;
        if let Some(name) = name {
            name.clone_into(&mut user.name);
        }
        if let Some(email) = email {
            user.email = Some(email.trim().to_owned());
        }
        user.updated_at = Some(crate::state::ts_to_time(at));
        Ok(user.clone())
    }

    /// A ticket created in Zendesk (webhook `ticket.created` fires).
    pub fn add_ticket(&self, ticket: NewTicket) -> u64 {
        self.shared.lock().create_ticket(ticket, "web", None).id
    }

    /// A comment added in Zendesk by `author`; returns the comment id.
    pub fn add_comment(
        &self,
        ticket: u64,
        author: u64,
        body: &str,
        public: bool,
    ) -> Result<u64, SimError> {
        let mut state = self.shared.lock();
        let update = FieldUpdate {
            comment: Some(NewComment {
                body: body.to_owned(),
                public,
                author_id: Some(author),
            }),
            ..FieldUpdate::default()
        };
        state
            .update_ticket(ticket, update, Some(author), "web")
            .map_err(|e| map_update_error(ticket, e))?;
        state
            .comments
            .get(&ticket)
            .and_then(|c| c.last())
            .map(|c| c.id)
            .ok_or(SimError::TicketNotFound(ticket))
    }

    /// Fills the account deterministically (same spec, same data); call before exporting.
    pub fn seed(&self, spec: SeedSpec) -> SeedSummary {
        self.shared.lock().seed(&spec)
    }

    /// An agent's change in Zendesk: bumps `updated_at`/`generated_timestamp`, moves the
    /// ticket to the end of the export and fires webhooks. A change that sets nothing new
    /// changes nothing.
    pub fn agent_update_ticket(&self, id: u64, change: TicketChange) -> Result<Ticket, SimError> {
        let mut state = self.shared.lock();
        let update = FieldUpdate {
            subject: change.subject,
            status: change.status,
            priority: change.priority.map(Some),
            ticket_type: change.ticket_type.map(Some),
            assignee_id: change.assignee_id.map(Some),
            collaborator_ids: change.collaborator_ids,
            tags: change.tags,
            comment: change.comment.map(|(body, public)| NewComment {
                body,
                public,
                author_id: change.author_id,
            }),
            ..FieldUpdate::default()
        };
        state
            .update_ticket(id, update, change.author_id, "web")
            .map_err(|e| map_update_error(id, e))
    }

    /// Soft-deletes a ticket: 404 on the REST API, status `deleted` in the export.
    pub fn delete_ticket(&self, id: u64) -> Result<(), SimError> {
        self.shared
            .lock()
            .delete_ticket(id, None)
            .map(|_| ())
            .map_err(|e| map_update_error(id, e))
    }

    /// An agent edits or redacts a comment; the ticket counts as changed.
    pub fn edit_comment(&self, ticket: u64, comment: u64, body: &str) -> Result<(), SimError> {
        self.shared
            .lock()
            .edit_comment(ticket, comment, body)
            .map(|_| ())
            .ok_or(SimError::CommentNotFound { ticket, comment })
    }

    /// An agent redacts `text` in a comment, as `PUT tickets/{id}/comments/{id}/redact` does:
    /// each of its characters becomes "▇" (the description too, for the first comment).
    pub fn redact_comment(&self, ticket: u64, comment: u64, text: &str) -> Result<(), SimError> {
        self.shared
            .lock()
            .redact_comment(ticket, comment, text)
            .map(|_| ())
            .map_err(|e| map_comment_error(ticket, comment, e))
    }

    /// An agent makes a public comment private (`PUT tickets/{id}/comments/{id}/make_private`).
    pub fn make_comment_private(&self, ticket: u64, comment: u64) -> Result<(), SimError> {
        self.shared
            .lock()
            .make_comment_private(ticket, comment)
            .map(|_| ())
            .map_err(|e| map_comment_error(ticket, comment, e))
    }

    /// Turns rate limiting on (with fresh budgets) or off.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.lock().rate.set(limit);
    }

    pub fn inject_faults(&self, plan: FaultPlan) {
        self.shared.lock().faults = Some(FaultState::new(plan));
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults = None;
    }

    /// Requests received per endpoint name (`incremental_tickets`, `incremental_tickets_time`,
    /// `ticket_events`,
    /// `tickets_show`, `tickets_show_many`, `tickets_list`, `tickets_create`,
    /// `tickets_update`, `comments`, `users_show`, `users_show_many`, `users_search`,
    /// `users_create_or_update`, `users_me`, `webhooks`, `unknown`), refused ones included.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counts.clone()
    }

    pub fn request_count(&self, endpoint: &str) -> u64 {
        self.shared
            .lock()
            .counts
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_requests(&self) -> u64 {
        self.shared.lock().total_requests
    }

    pub fn reset_request_counts(&self) {
        let mut state = self.shared.lock();
        state.counts.clear();
        state.total_requests = 0;
    }

    /// The ticket as stored, deleted ones included (status `deleted`).
    pub fn ticket(&self, id: u64) -> Option<Ticket> {
        self.shared
            .lock()
            .tickets
            .get(&id)
            .map(|s| s.ticket.clone())
    }

    pub fn tickets(&self) -> Vec<Ticket> {
        self.shared
            .lock()
            .tickets
            .values()
            .map(|s| s.ticket.clone())
            .collect()
    }

    pub fn ticket_count(&self) -> usize {
        self.shared.lock().tickets.len()
    }

    pub fn comments(&self, ticket: u64) -> Vec<Comment> {
        self.shared
            .lock()
            .comments
            .get(&ticket)
            .cloned()
            .unwrap_or_default()
    }

    pub fn user(&self, id: u64) -> Option<User> {
        self.shared.lock().users.get(&id).cloned()
    }

    pub fn users(&self) -> Vec<User> {
        self.shared.lock().users.values().cloned().collect()
    }

    pub fn user_by_email(&self, email: &str) -> Option<User> {
        self.shared.lock().user_by_email(email).cloned()
    }

    pub fn webhooks(&self) -> Vec<RegisteredWebhook> {
        let state = self.shared.lock();
        state
            .webhooks
            .values()
            .map(|w| RegisteredWebhook {
                id: w.id.clone(),
                endpoint: w.endpoint.clone(),
                status: w.status.clone(),
                subscriptions: w.subscriptions.clone(),
                signing_secret: w.secret.clone(),
            })
            .collect()
    }

    /// Every webhook delivery attempted so far, in completion order.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits (polling, bounded by `timeout`) until at least `count` deliveries completed.
    pub async fn wait_for_webhook_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let done = self.webhook_deliveries();
            if done.len() >= count || tokio::time::Instant::now() >= deadline {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
