//! Zendesk wire types: exactly what Zendesk sends, decoded leniently (ids as numbers or
//! strings, `null` anywhere, unknown enum values kept, unknown fields ignored).

mod comment;
mod enums;
mod error;
mod export;
mod invocation;
pub mod lenient;
mod ticket;
mod user;
mod webhook;

pub use comment::{Comment, CommentPage, CursorMeta};
pub use enums::{TicketPriority, TicketStatus, TicketType, UserRole};
pub use error::{ErrorBody, ErrorCode};
pub use export::{ChildEvent, TicketEvent, TicketEventPage, TicketExportPage};
pub use invocation::{AttemptMessage, HeaderPair, InvocationAttempt, InvocationAttemptList};
pub use ticket::{Ticket, TicketEnvelope, TicketList};
pub use user::{User, UserEnvelope, UserList};
pub use webhook::{
    SigningSecret, SigningSecretEnvelope, Webhook, WebhookBodyError, WebhookEnvelope,
    WebhookNotice, parse_webhook_body,
};
