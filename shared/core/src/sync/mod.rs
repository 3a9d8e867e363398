//! The mapper side of the sync engine: applying Zendesk state to the CRM (SPEC §3) and pushing
//! CRM changes to Zendesk (SPEC §4), with the conflict and loop rules of SPEC §5 and the
//! delivery rules of SPEC §6. Every flow is idempotent and order-insensitive and runs on a
//! [`crate::context::SyncContext`].
//!
//! Entry points: [`process_batch`] (the mapper Lambda), [`run_worker`] (the local server), and
//! the flows they dispatch to, usable on their own: [`apply_ticket_snapshot`],
//! [`apply_ticket_comments`], [`apply_ticket_changed`], [`push_case_change`],
//! [`push_case_comment`].

mod apply;
mod batch;
mod comments;
mod error;
mod inbound;
mod outbound;
mod people;
mod push;
mod session;
mod sighting;
mod worker;

pub use apply::{ApplyOutcome, ApplyReport};
pub use batch::{Handling, ReceivedMessage, handle_body, handle_message, process_batch};
pub use error::SyncError;
pub use inbound::{
    TicketState, apply_ticket_changed, apply_ticket_comments, apply_ticket_snapshot,
};
pub use outbound::{push_case_change, push_case_comment};
pub use session::LOG_TTL_DAYS;
pub use worker::{WorkerStats, retry_delay, run_worker};
