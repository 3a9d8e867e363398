//! Small helpers the admin flows share: ids, loading records, reaching Zendesk, leases.

use std::sync::Arc;

use chrono::Duration;
use zsync_mapping::{Integration, IntegrationId};

use super::error::{AdminError, AdminResult};
use crate::context::SyncContext;
use crate::ports::secrets::api_token_name;
use crate::ports::{Versioned, ZendeskAccount, ZendeskApi};

/// A new opaque id; UUIDv7 so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub async fn load_integration(
    ctx: &SyncContext,
    id: &IntegrationId,
) -> AdminResult<Versioned<Integration>> {
    ctx.store
        .get_integration(id)
        .await?
        .ok_or_else(|| AdminError::not_found("integration", id))
}

/// A Zendesk handle with the integration's stored token.
pub async fn zendesk_for(
    ctx: &SyncContext,
    integration: &Integration,
) -> AdminResult<Arc<dyn ZendeskApi>> {
    let token = ctx
        .secrets
        .get(&api_token_name(integration.id.as_str()))
        .await?
        .ok_or_else(|| {
            AdminError::conflict(
                "api_token_missing",
                format!(
                    "integration {} has no API token stored; set api_token with PATCH first",
                    integration.id
                ),
            )
        })?;
    let account = ZendeskAccount {
        integration_id: integration.id.clone(),
        base_url: integration.url.clone(),
        api_email: integration.api_email.clone(),
        api_token: token,
    };
    Ok(ctx.zendesk.connect(account)?)
}

/// How long a flow may hold a lease before another caller may take over (a crashed holder).
pub const LEASE_TTL_SECONDS: i64 = 120;

/// A held lease; release it with [`Lease::release`] (it also expires on its own).
pub struct Lease {
    name: String,
    holder: String,
}

impl Lease {
    /// Takes the lease `name` or answers 409 with `busy` as the message.
    pub async fn take(ctx: &SyncContext, name: String, busy: String) -> AdminResult<Lease> {
        let holder = new_id();
        let held = ctx
            .store
            .acquire_lease(
                &name,
                &holder,
                Duration::seconds(LEASE_TTL_SECONDS),
                ctx.clock.now(),
            )
            .await?;
        if held {
            Ok(Lease { name, holder })
        } else {
            Err(AdminError::conflict("operation_in_progress", busy))
        }
    }

    /// Releases the lease; a failure only delays the next caller until the lease expires.
    pub async fn release(self, ctx: &SyncContext) {
        if let Err(e) = ctx.store.release_lease(&self.name, &self.holder).await {
            tracing::warn!(lease = %self.name, error = %e, "could not release lease; it will expire");
        }
    }
}
