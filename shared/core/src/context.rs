//! What every sync flow is handed: the adapters behind the ports, a clock, and the deployment's
//! settings. Built once per process (a Lambda cold start, or the local server's start) and shared.

use std::sync::Arc;

use chrono::Utc;
use zsync_mapping::Timestamp;

use crate::ports::zendesk::ZendeskConnector;
use crate::ports::{CrmStore, SecretStore, SyncQueue};

/// Time, injectable so tests can move it (dedupe TTLs, leases, stale webhooks).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// Deployment-wide settings (from the environment in Lambda, from flags locally).
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// Base URL Zendesk calls back (the webhook route is `{public_url}/webhooks/zendesk/{id}`).
    pub public_url: String,
    /// Accept `http://` and non-zendesk.com integration URLs (simulators, local runs only).
    pub allow_insecure_zendesk_urls: bool,
    /// How long an export run's lease lasts unrenewed ([`crate::export::LEASE_TTL`] unless a
    /// test or the local server's `--export-lease-ttl` says otherwise): a crashed run's export
    /// is continued by another process this long after its last renewal.
    pub export_lease_ttl: chrono::Duration,
}

/// The adapters and settings a flow runs with.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Arc<dyn CrmStore>,
    pub queue: Arc<dyn SyncQueue>,
    pub secrets: Arc<dyn SecretStore>,
    pub zendesk: Arc<dyn ZendeskConnector>,
    pub clock: Arc<dyn Clock>,
    pub settings: ServiceSettings,
}
