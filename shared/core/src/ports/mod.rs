//! Ports: what the sync flows need from the outside world. Each has a cloud adapter and an
//! embedded one, and one conformance suite (`zsync-conformance`) that both pass.

pub mod queue;
pub mod secrets;
pub mod store;
pub mod zendesk;

pub use queue::{Delivery, QueueError, QueueResult, SyncQueue};
pub use secrets::{SecretError, SecretResult, SecretStore};
pub use store::{
    ACCOUNT_ENTITY, AccountClaim, CaseFilter, ContactOutcome, CrmStore, LogFilter, Page,
    PendingPush, PurgeProgress, StoreError, StoreResult, Versioned,
};
pub use zendesk::{
    ExportFrom, NewComment, NewEndUser, NewTicket, NewWebhook, Requester,
    TICKET_EVENT_SUBSCRIPTIONS, TicketChanges, TicketComments, ZendeskAccount, ZendeskApi,
    ZendeskConnector, ZendeskError, ZendeskResult,
};
