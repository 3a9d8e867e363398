//! Integration settings flows (docs/sync-rules.md §2): create, list, show, edit, delete. Activation
//! lives in `activation.rs`.

use zsync_mapping::settings::{
    FieldError, FieldErrors, IntegrationPatch, IntegrationSettings, SettingsPolicy,
    validate_create, validate_patch,
};
use zsync_mapping::{Integration, IntegrationId, UserId};

use std::sync::Arc;

use secrecy::SecretString;
use zsync_mapping::integration_url::account_key;

use super::activation::{remove_webhook, ticket_events_webhook};
use super::caller::Caller;
use super::error::{AdminError, AdminResult};
use super::identity::{
    account_error, connect_with, has_linked_cases, refuse_taken_account, reset_export_cursor,
    url_frozen, verify_credentials,
};
use super::purge::{PURGE_BUDGET, purge_sync_data};
use super::support::{Lease, load_integration, new_id, zendesk_for};
use crate::context::SyncContext;
use crate::ports::secrets::{api_token_name, webhook_secret_name};
use crate::ports::{StoreError, ZendeskApi, ZendeskError};

/// Attempts of a read-modify-write that lost a race to a concurrent writer.
const WRITE_ATTEMPTS: usize = 3;

fn policy(ctx: &SyncContext) -> SettingsPolicy {
    SettingsPolicy {
        allow_insecure_urls: ctx.settings.allow_insecure_zendesk_urls,
    }
}

/// The owner must be an existing CRM user; a non-admin may only make themselves the owner.
async fn check_owner(ctx: &SyncContext, caller: &Caller, owner: &UserId) -> AdminResult<()> {
    if !caller.admin && caller.user_id() != Some(owner) {
        return Err(AdminError::Forbidden(
            "only admins may make someone else the owner of an integration".to_owned(),
        ));
    }
    if ctx.store.get_user(owner).await?.is_none() {
        return Err(AdminError::Invalid(FieldErrors(vec![FieldError {
            field: "owner_id",
            message: format!("no CRM user with id {owner}"),
        }])));
    }
    Ok(())
}

/// Creates an inactive integration; the token goes to the secret store only.
pub async fn create_integration(
    ctx: &SyncContext,
    caller: &Caller,
    input: IntegrationSettings,
) -> AdminResult<Integration> {
    let valid = validate_create(input, policy(ctx)).map_err(AdminError::Invalid)?;
    check_owner(ctx, caller, &valid.settings.owner_id).await?;
    refuse_taken_account(ctx, &valid.settings.url, None).await?;
    let id = IntegrationId::new(new_id());
    ctx.secrets
        .put(&api_token_name(id.as_str()), &valid.api_token)
        .await?;
    let integration = valid.settings.into_new_integration(id, ctx.clock.now());
    if let Err(e) = ctx.store.create_integration(&integration).await {
        // Nothing refers to the token now; do not leave it behind.
        let _ = ctx
            .secrets
            .delete(&api_token_name(integration.id.as_str()))
            .await;
        return Err(account_error(e));
    }
    Ok(integration)
}

/// The integrations the caller may manage.
pub async fn list_integrations(
    ctx: &SyncContext,
    caller: &Caller,
) -> AdminResult<Vec<Integration>> {
    let mut items: Vec<Integration> = ctx
        .store
        .list_integrations()
        .await?
        .into_iter()
        .map(|v| v.value)
        .filter(|i| caller.may_manage(i))
        .collect();
    items.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(items)
}

pub async fn show_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
) -> AdminResult<Integration> {
    let integration = load_integration(ctx, id).await?.value;
    caller.require_manage(&integration)?;
    Ok(integration)
}

/// Applies an edit; a new `api_token` replaces the stored one. Re-validated against the latest
/// stored state if a concurrent edit won the race. docs/sync-rules.md §2 lifecycle: a `url`
/// naming another account is refused once the integration has linked cases, and otherwise moves
/// the webhook and restarts the export; new credentials of an active integration are checked
/// with Zendesk before they are saved. Such edits hold the integration's lease (they talk to
/// Zendesk between reading and writing, like activation).
pub async fn edit_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    patch: IntegrationPatch,
) -> AdminResult<Integration> {
    let touches_account =
        patch.url.is_some() || patch.api_email.is_some() || patch.api_token.is_some();
    if !touches_account {
        return edit_attempts(ctx, caller, id, &patch).await;
    }
    caller.require_manage(&load_integration(ctx, id).await?.value)?;
    let lease = lock_integration(ctx, id).await?;
    let result = edit_attempts(ctx, caller, id, &patch).await;
    lease.release(ctx).await;
    result
}

async fn edit_attempts(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    patch: &IntegrationPatch,
) -> AdminResult<Integration> {
    for _ in 0..WRITE_ATTEMPTS {
        let stored = load_integration(ctx, id).await?;
        caller.require_manage(&stored.value)?;
        let edited = validate_patch(&stored.value, clone_patch(patch), policy(ctx))
            .map_err(AdminError::Invalid)?;
        if edited.settings.owner_id != stored.value.owner_id {
            check_owner(ctx, caller, &edited.settings.owner_id).await?;
        }
        let moves = account_key(&edited.settings.url) != account_key(&stored.value.url);
        if moves {
            if has_linked_cases(ctx, id).await? {
                return Err(url_frozen(&stored.value, &edited.settings.url));
            }
            refuse_taken_account(ctx, &edited.settings.url, Some(id)).await?;
        }
        let new_credentials = moves
            || edited.api_token.is_some()
            || edited.settings.api_email != stored.value.api_email;
        let mut updated = stored.value.clone();
        edited.settings.apply_to(&mut updated, ctx.clock.now());
        if edited.api_token.is_some() {
            updated.api_token_set = true;
        }
        let mut moved = None;
        if stored.value.active && new_credentials {
            let token = match &edited.api_token {
                Some(token) => token.clone(),
                None => stored_token(ctx, id).await?,
            };
            let zendesk = connect_with(ctx, id, &updated.url, &updated.api_email, token)?;
            verify_credentials(zendesk.as_ref()).await?;
            if moves {
                let webhook = MovedWebhook::register(ctx, &stored.value, zendesk).await?;
                updated.webhook_id = Some(webhook.id.clone());
                moved = Some(webhook);
            }
        }
        // The old account's handle, taken before a new token replaces the stored one.
        let old_zendesk = match (&moved, &stored.value.webhook_id) {
            (Some(_), Some(_)) => zendesk_for(ctx, &stored.value).await.ok(),
            _ => None,
        };
        let saved = async {
            if let Some(token) = &edited.api_token {
                ctx.secrets.put(&api_token_name(id.as_str()), token).await?;
            }
            if let Some(webhook) = &moved {
                ctx.secrets
                    .put(&webhook_secret_name(id.as_str()), &webhook.secret)
                    .await?;
            }
            Ok::<_, AdminError>(ctx.store.update_integration(&updated, stored.version).await)
        }
        .await;
        match saved {
            Ok(Ok(_)) => {}
            Ok(Err(StoreError::VersionConflict { .. })) => {
                if let Some(webhook) = moved {
                    webhook.take_back(id).await;
                }
                continue;
            }
            Ok(Err(e)) | Err(AdminError::Store(e)) => {
                if let Some(webhook) = moved {
                    webhook.take_back(id).await;
                }
                return Err(account_error(e));
            }
            Err(e) => {
                if let Some(webhook) = moved {
                    webhook.take_back(id).await;
                }
                return Err(e);
            }
        }
        if moves {
            tracing::info!(integration = %id, from = %stored.value.url, to = %updated.url, "integration moved to another Zendesk account");
            reset_export_cursor(ctx, id).await?;
            if let (Some(old), Some(webhook_id)) = (old_zendesk, &stored.value.webhook_id) {
                match old.delete_webhook(webhook_id).await {
                    Ok(()) | Err(ZendeskError::NotFound { .. }) => {}
                    Err(e) => {
                        tracing::warn!(integration = %id, error = %e, "webhook of the previous account not removed");
                    }
                }
            }
        }
        return Ok(updated);
    }
    Err(AdminError::conflict(
        "concurrent_update",
        format!("integration {id} kept changing while it was edited; retry"),
    ))
}

async fn stored_token(ctx: &SyncContext, id: &IntegrationId) -> AdminResult<SecretString> {
    ctx.secrets
        .get(&api_token_name(id.as_str()))
        .await?
        .ok_or_else(|| {
            AdminError::conflict(
                "api_token_missing",
                format!("integration {id} has no API token stored; send api_token"),
            )
        })
}

/// The webhook registered in the new account of an active integration whose `url` changed.
struct MovedWebhook {
    zendesk: Arc<dyn ZendeskApi>,
    id: String,
    secret: SecretString,
}

impl MovedWebhook {
    async fn register(
        ctx: &SyncContext,
        integration: &Integration,
        zendesk: Arc<dyn ZendeskApi>,
    ) -> AdminResult<Self> {
        let webhook = zendesk
            .create_webhook(&ticket_events_webhook(ctx, integration))
            .await?;
        match zendesk.webhook_signing_secret(&webhook.id).await {
            Ok(secret) => Ok(Self {
                zendesk,
                id: webhook.id,
                secret,
            }),
            Err(e) => {
                let moved = Self {
                    zendesk,
                    id: webhook.id,
                    secret: SecretString::from(String::new()),
                };
                moved.take_back(&integration.id).await;
                Err(e.into())
            }
        }
    }

    /// The edit was not saved: the webhook would deliver events nobody can verify.
    async fn take_back(self, integration: &IntegrationId) {
        if let Err(e) = self.zendesk.delete_webhook(&self.id).await {
            tracing::warn!(integration = %integration, error = %e, "could not remove the new account's webhook after a failed edit");
        }
    }
}

fn clone_patch(patch: &IntegrationPatch) -> IntegrationPatch {
    IntegrationPatch {
        integration_type: patch.integration_type.clone(),
        name: patch.name.clone(),
        url: patch.url.clone(),
        api_email: patch.api_email.clone(),
        api_token: patch.api_token.clone(),
        default_zendesk_user_email: patch.default_zendesk_user_email.clone(),
        owner_id: patch.owner_id.clone(),
        two_way_sync: patch.two_way_sync,
        sync_priority: patch.sync_priority.clone(),
    }
}

/// What a delete did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The integration is gone (with its sync data, if purged).
    Deleted,
    /// A purge ran out of its time budget: the integration stays, deactivated, until a
    /// repeated purge finishes (docs/sync-rules.md §2).
    PurgeInProgress,
}

/// Removes the Zendesk webhook (if active), the integration record and its secrets, and frees
/// its Zendesk account. What it imported (cases, contacts, comments) is kept; its ticket records
/// stay so that a new integration for the account re-links the cases (docs/sync-rules.md §2).
/// With `purge` its sync data goes first, in bounded steps (see `purge.rs`).
pub async fn delete_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    purge: bool,
) -> AdminResult<Deletion> {
    let budget = purge.then_some(PURGE_BUDGET);
    delete_integration_within(ctx, caller, id, budget).await
}

/// [`delete_integration`] with the purge's time budget named (`None`: no purge). A purge that
/// has data left after `budget` answers [`Deletion::PurgeInProgress`]; at least one bounded
/// step runs per call, so repeated calls finish.
pub async fn delete_integration_within(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    purge: Option<std::time::Duration>,
) -> AdminResult<Deletion> {
    let stored = load_integration(ctx, id).await?;
    caller.require_manage(&stored.value)?;
    let lease = lock_integration(ctx, id).await?;
    let result = async {
        remove_webhook(ctx, &stored.value).await?;
        if let Some(budget) = purge {
            let stored = load_integration(ctx, id).await?;
            if stored.value.active || stored.value.webhook_id.is_some() {
                let mut stopped = stored.value.clone();
                stopped.active = false;
                stopped.webhook_id = None;
                stopped.updated_at = ctx.clock.now();
                ctx.store
                    .update_integration(&stopped, stored.version)
                    .await?;
            }
            ctx.secrets
                .delete(&webhook_secret_name(id.as_str()))
                .await?;
            if !purge_sync_data(ctx, id, budget).await? {
                return Ok(Deletion::PurgeInProgress);
            }
        }
        ctx.store.delete_integration(id).await?;
        ctx.secrets
            .delete(&webhook_secret_name(id.as_str()))
            .await?;
        ctx.secrets.delete(&api_token_name(id.as_str())).await?;
        Ok(Deletion::Deleted)
    }
    .await;
    lease.release(ctx).await;
    result
}

/// The lease serialising activate/deactivate/delete of one integration (each talks to Zendesk
/// between reading and writing the record; two at once could leak a webhook).
pub fn integration_lease(id: &IntegrationId) -> String {
    format!("integration#{id}")
}

/// Takes [`integration_lease`], or answers 409 while another request holds it.
pub(crate) async fn lock_integration(ctx: &SyncContext, id: &IntegrationId) -> AdminResult<Lease> {
    Lease::take(
        ctx,
        integration_lease(id),
        format!("integration {id} is being changed by another request; retry"),
    )
    .await
}
