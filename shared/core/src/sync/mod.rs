//! The mapper side of the sync engine: applying Zendesk state to the CRM (docs/sync-rules.md §3)
//! and pushing CRM changes to Zendesk (docs/sync-rules.md §4), with the conflict and loop rules of
//! docs/sync-rules.md §5 and the delivery rules of docs/sync-rules.md §6. Every flow is idempotent
//! and order-insensitive and runs on a [`crate::context::SyncContext`].
//!
//! Entry points: [`process_batch_within`] (the mapper Lambda, with its deadline),
//! [`process_batch`], [`run_worker`] (the local server), [`sweep_pending_pushes`] (the push
//! outbox's sweep: each scheduler run and activation), and the flows they dispatch to, usable
//! on their own: [`apply_ticket_snapshot`], [`apply_ticket_comments`], [`apply_ticket_changed`],
//! [`push_pending`], [`push_case_change`], [`push_case_comment`].

mod apply;
mod batch;
mod comments;
mod error;
mod inbound;
mod outbound;
mod outbox;
mod people;
mod push;
mod relink;
mod session;
mod sighting;
mod worker;

pub use apply::{ApplyOutcome, ApplyReport};
pub use batch::{
    Handling, ReceivedMessage, availability_delay, handle_body, handle_message, process_batch,
    process_batch_within,
};
pub use error::SyncError;
pub use inbound::{
    TicketState, apply_ticket_changed, apply_ticket_comments, apply_ticket_snapshot,
    reread_ticket_comments,
};
pub use outbound::{push_case_change, push_case_comment};
pub use outbox::{NamedPush, SWEEP_LIMIT, SweepError, push_pending, sweep_pending_pushes};
pub use session::LOG_TTL_DAYS;
pub use sighting::forget_sighting;
pub use worker::{WorkerStats, retry_delay, run_worker};
