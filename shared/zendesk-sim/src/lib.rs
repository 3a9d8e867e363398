//! A Zendesk simulator with Zendesk's real semantics, for tests, benchmarks and the demo.
//!
//! `Simulator::start` serves the Zendesk API subset zendesk-sync uses on `127.0.0.1:0`
//! (axum): cursor ticket export, ticket-events export, tickets, comments (with redaction and
//! making a comment private), users, webhooks —
//! with Basic `email/token:TOKEN` auth, rate limits (429 + `Retry-After`), injected faults
//! and signed webhook deliveries. Responses use zsync-mapping's wire types plus the extra
//! fields real Zendesk sends, so they parse like the recorded fixtures.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zsync_zendesk_sim::SimError> {
//! use zsync_mapping::zendesk::{TicketStatus, UserRole};
//! use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator, TicketChange};
//!
//! let sim = Simulator::start(SimConfig::default()).await?;
//! sim.add_api_user("admin@example.com", "token", UserRole::Admin);
//! let seeded = sim.seed(SeedSpec { tickets: 10_000, ..SeedSpec::default() });
//! // ... point a client at sim.base_url(), export, then change something in "Zendesk":
//! let change = TicketChange { status: Some(TicketStatus::Solved), ..TicketChange::default() };
//! sim.agent_update_ticket(seeded.ticket_ids[0], change)?;
//! assert!(sim.request_count("incremental_tickets") <= sim.total_requests());
//! # Ok(())
//! # }
//! ```
//!
//! Timestamps never go backwards: every change gets `max(now, last handed out)` (and a ticket's
//! `updated_at` grows by at least a second per change, so `safe_update` stamps always differ).
//! Seeded data lies in January 2024, so seed before exporting.

mod config;
mod delivery;
mod http;
mod limits;
mod model;
mod rng;
mod simulator;
mod state;

pub use config::{FaultPlan, MeOnBadAuth, RateLimit, SimConfig};
pub use delivery::sign_webhook;
pub use model::{NewTicket, SeedSpec, SeedSummary, SimError, TicketChange, WebhookDelivery};
pub use simulator::{RegisteredWebhook, Simulator};

/// State shared by the server, the delivery task and the [`Simulator`] handle.
pub(crate) struct Shared {
    pub config: SimConfig,
    state: std::sync::Mutex<state::State>,
}

impl Shared {
    /// The account state. A panic while holding the lock cannot leave it half-written in a
    /// way that matters for a simulator, so a poisoned lock is used as is.
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
