//! zendesk-sync's core: the ports (store, queue, secrets, Zendesk) and the sync flows that use
//! them. Adapters live in their own crates; the Lambdas and the local server wire them here.

pub mod admin;
pub mod context;
pub mod deadline;
pub mod export;
pub mod ids;
pub mod intake;
pub mod message;
pub mod ports;
pub mod secret_cache;
pub mod sync;
pub mod telemetry;
pub mod webhook_signature;

pub use message::{DecodeError, SyncMessage};
