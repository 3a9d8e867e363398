//! Integration settings flows (docs/sync-rules.md §2): create, list, show, edit, delete. Activation
//! lives in `activation.rs`.

use zsync_mapping::settings::{
    FieldError, FieldErrors, IntegrationPatch, IntegrationSettings, SettingsPolicy,
    validate_create, validate_patch,
};
use zsync_mapping::{Integration, IntegrationId, UserId};

use super::activation::remove_webhook;
use super::caller::Caller;
use super::error::{AdminError, AdminResult};
use super::support::{Lease, load_integration, new_id};
use crate::context::SyncContext;
use crate::ports::StoreError;
use crate::ports::secrets::{api_token_name, webhook_secret_name};

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
        return Err(e.into());
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
/// stored state if a concurrent edit won the race.
pub async fn edit_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
    patch: IntegrationPatch,
) -> AdminResult<Integration> {
    for _ in 0..WRITE_ATTEMPTS {
        let stored = load_integration(ctx, id).await?;
        caller.require_manage(&stored.value)?;
        let edited = validate_patch(&stored.value, clone_patch(&patch), policy(ctx))
            .map_err(AdminError::Invalid)?;
        if edited.settings.owner_id != stored.value.owner_id {
            check_owner(ctx, caller, &edited.settings.owner_id).await?;
        }
        if let Some(token) = &edited.api_token {
            ctx.secrets.put(&api_token_name(id.as_str()), token).await?;
        }
        let mut updated = stored.value.clone();
        edited.settings.apply_to(&mut updated, ctx.clock.now());
        if edited.api_token.is_some() {
            updated.api_token_set = true;
        }
        match ctx.store.update_integration(&updated, stored.version).await {
            Ok(_) => return Ok(updated),
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::conflict(
        "concurrent_update",
        format!("integration {id} kept changing while it was edited; retry"),
    ))
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

/// Removes the Zendesk webhook (if active), the integration record and its secrets. What it
/// imported (cases, contacts, comments) is kept; with the record gone nothing syncs any more.
pub async fn delete_integration(
    ctx: &SyncContext,
    caller: &Caller,
    id: &IntegrationId,
) -> AdminResult<()> {
    let stored = load_integration(ctx, id).await?;
    caller.require_manage(&stored.value)?;
    let lease = lock_integration(ctx, id).await?;
    let result = async {
        remove_webhook(ctx, &stored.value).await?;
        ctx.store.delete_integration(id).await?;
        ctx.secrets
            .delete(&webhook_secret_name(id.as_str()))
            .await?;
        ctx.secrets.delete(&api_token_name(id.as_str())).await?;
        Ok(())
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
