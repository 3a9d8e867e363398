//! The Zendesk API client (reqwest + rustls) behind zendesk-sync's Zendesk port.
//!
//! Build one [`ZendeskClientFactory`] per process and get a [`ZendeskClient`] per integration
//! (or an `Arc<dyn ZendeskApi>` through [`zsync_core::ports::ZendeskConnector`]). Every call
//! waits for the account's request budget, retries transient failures with capped, jittered
//! backoff, waits out 429s as Zendesk asks (within a bound) and returns a typed
//! [`zsync_core::ports::ZendeskError`]. The API token is only ever put into the Authorization
//! header.

mod api;
mod backoff;
mod budget;
pub mod config;
mod errors;
mod factory;
mod transport;
mod wire;

pub use api::parse_export_page;
pub use config::{ClientConfig, RequestBudget, RetryPolicy};
pub use factory::{BuildError, ZendeskClient, ZendeskClientFactory};
