//! The one fact order-insensitivity needs beyond the ticket record: "this ticket was seen
//! before it had a record" — deleted (the export's `deleted` state or the REST API's 404
//! arrived first, and nothing was imported) or created.
//!
//! Without it a deletion that meets no record leaves no trace, and an older live state still
//! in the queue (a redelivery, a page read before the deletion) would create a live case that
//! nothing ever marks deleted. Both sides set the same marker with [`CrmStore::remember_once`]
//! after their own write — a deletion before it reads the record, a first sync after it created
//! the record — so at least one of them sees the other (a deletion reading no record means
//! the create's marker comes later and finds the deletion's).
//!
//! [`CrmStore::remember_once`]: crate::ports::CrmStore::remember_once

use chrono::Duration;
use zsync_mapping::{IntegrationId, ZendeskId};

use crate::context::SyncContext;
use crate::sync::SyncError;

/// How long the marker is kept: longer than a message can wait (queue retention 4 days, the
/// dead-letter queue 14, from where messages may be redriven). A marker that outlives its
/// use only costs one Zendesk request for a ticket that has no record.
const SIGHTING_TTL: Duration = Duration::days(15);

fn key(integration: &IntegrationId, ticket: ZendeskId) -> String {
    format!("ticket-sighting#{integration}#{ticket}")
}

/// Sets the marker; true if this is the first sighting (no deletion, no other first sync
/// before it).
pub(crate) async fn first_sighting(
    ctx: &SyncContext,
    integration: &IntegrationId,
    ticket: ZendeskId,
) -> Result<bool, SyncError> {
    Ok(ctx
        .store
        .remember_once(&key(integration, ticket), SIGHTING_TTL, ctx.clock.now())
        .await?)
}

/// Drops the marker (a purged integration's ticket, docs/sync-rules.md §2).
pub async fn forget_sighting(
    ctx: &SyncContext,
    integration: &IntegrationId,
    ticket: ZendeskId,
) -> Result<(), crate::ports::StoreError> {
    ctx.store.forget(&key(integration, ticket)).await
}
