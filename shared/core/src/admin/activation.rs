//! Activate / deactivate (docs/sync-rules.md §2): activating verifies the credentials against
//! Zendesk and registers the ticket-events webhook; deactivating (and deleting) removes it.

use zsync_mapping::{Integration, IntegrationId};

use super::caller::Caller;
use super::error::{AdminError, AdminResult};
use super::identity::verify_credentials;
use super::integrations::lock_integration;
use super::support::{load_integration, zendesk_for};
use crate::context::SyncContext;
use crate::ports::secrets::webhook_secret_name;
use crate::ports::{NewWebhook, TICKET_EVENT_SUBSCRIPTIONS, ZendeskError};

/// Where Zendesk delivers this integration's events.
pub fn webhook_endpoint(public_url: &str, id: &IntegrationId) -> String {
    format!("{}/webhooks/zendesk/{id}", public_url.trim_end_matches('/'))
}

/// The ticket-events webhook of an integration, delivering to its route.
pub(crate) fn ticket_events_webhook(ctx: &SyncContext, integration: &Integration) -> NewWebhook {
    NewWebhook {
        name: format!("zendesk-sync {}", integration.name),
        endpoint: webhook_endpoint(&ctx.settings.public_url, &integration.id),
        subscriptions: TICKET_EVENT_SUBSCRIPTIONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    }
}

pub async fn activate_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
) -> AdminResult<Integration> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    let lease = lock_integration(ctx, id).await?;
    let result = activate_locked(ctx, id).await;
    lease.release(ctx).await;
    if result.is_ok() {
        // CRM changes made while it was inactive; the scheduler's next run sweeps again.
        if let Err(e) = crate::sync::sweep_pending_pushes(ctx, id).await {
            tracing::warn!(integration = %id, error = %e, "pending pushes not swept on activation");
        }
    }
    result
}

async fn activate_locked(ctx: &SyncContext, id: &IntegrationId) -> AdminResult<Integration> {
    let stored = load_integration(ctx, id).await?;
    let zendesk = zendesk_for(ctx, &stored.value).await?;
    verify_credentials(zendesk.as_ref()).await?;
    if stored.value.active && stored.value.webhook_id.is_some() {
        return Ok(stored.value);
    }
    let webhook = zendesk
        .create_webhook(&ticket_events_webhook(ctx, &stored.value))
        .await?;
    let saved = async {
        let secret = zendesk.webhook_signing_secret(&webhook.id).await?;
        ctx.secrets
            .put(&webhook_secret_name(id.as_str()), &secret)
            .await?;
        let mut updated = stored.value.clone();
        updated.active = true;
        updated.webhook_id = Some(webhook.id.clone());
        updated.updated_at = ctx.clock.now();
        ctx.store
            .update_integration(&updated, stored.version)
            .await?;
        Ok::<_, AdminError>(updated)
    }
    .await;
    if saved.is_err() {
        // The webhook would deliver events nobody can verify; take it back.
        if let Err(e) = zendesk.delete_webhook(&webhook.id).await {
            tracing::warn!(integration = %id, error = %e, "could not remove webhook after failed activation");
        }
    }
    saved
}

pub async fn deactivate_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
) -> AdminResult<Integration> {
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    let lease = lock_integration(ctx, id).await?;
    let result = async {
        let stored = load_integration(ctx, id).await?;
        remove_webhook(ctx, &stored.value).await?;
        ctx.secrets
            .delete(&webhook_secret_name(id.as_str()))
            .await?;
        let mut updated = stored.value.clone();
        if updated.active || updated.webhook_id.is_some() {
            updated.active = false;
            updated.webhook_id = None;
            updated.updated_at = ctx.clock.now();
            ctx.store
                .update_integration(&updated, stored.version)
                .await?;
        }
        Ok(updated)
    }
    .await;
    lease.release(ctx).await;
    result
}

/// Deletes the integration's webhook in Zendesk, if it has one. Refused credentials do not
/// block: the webhook then only reaches a route that no longer accepts it.
pub async fn remove_webhook(ctx: &SyncContext, integration: &Integration) -> AdminResult<()> {
    let Some(webhook_id) = &integration.webhook_id else {
        return Ok(());
    };
    let zendesk = match zendesk_for(ctx, integration).await {
        Ok(z) => z,
        Err(AdminError::Conflict { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    match zendesk.delete_webhook(webhook_id).await {
        Ok(()) | Err(ZendeskError::NotFound { .. }) => Ok(()),
        Err(ZendeskError::Auth { reason, .. }) => {
            tracing::warn!(integration = %integration.id, %reason, "webhook not removed: credentials refused");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_points_at_the_public_url_without_double_slashes() {
        let id = IntegrationId::new("i-1");
        assert_eq!(
            webhook_endpoint("https://api.example.com/", &id),
            "https://api.example.com/webhooks/zendesk/i-1"
        );
        assert_eq!(
            webhook_endpoint("http://127.0.0.1:3000", &id),
            "http://127.0.0.1:3000/webhooks/zendesk/i-1"
        );
    }
}
