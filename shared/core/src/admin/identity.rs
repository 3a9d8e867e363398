//! An integration's identity is its Zendesk account (docs/sync-rules.md §2 lifecycle): one
//! integration per account, a `url` frozen once tickets were imported, credentials checked
//! before they replace working ones.

use secrecy::SecretString;
use zsync_mapping::integration_url::account_key;
use zsync_mapping::{Integration, IntegrationId};

use super::error::{AdminError, AdminResult};
use crate::context::SyncContext;
use crate::export::jobs::fresh_cursor;
use crate::ports::{
    ACCOUNT_ENTITY, CaseFilter, StoreError, ZendeskAccount, ZendeskApi, ZendeskError,
};

/// Attempts of the cursor reset that lost a race to the export.
const RESET_ATTEMPTS: usize = 3;

/// The 409 for a Zendesk account that already has an integration. Whose it is is not said:
/// the caller may not be allowed to see it.
pub(crate) fn account_taken(account: &str) -> AdminError {
    AdminError::conflict(
        "account_has_integration",
        format!(
            "Zendesk account {account} already has an integration; one account is synced by one integration"
        ),
    )
}

/// Maps the store's refusal of a second holder of an account to [`account_taken`].
pub(crate) fn account_error(error: StoreError) -> AdminError {
    match error {
        StoreError::AlreadyExists { entity, key } if entity == ACCOUNT_ENTITY => {
            account_taken(&key)
        }
        other => other.into(),
    }
}

/// 409 if an integration other than `except` has the account of `url`. The store's account
/// claim decides under concurrency; this also covers integrations stored before claims existed.
pub(crate) async fn refuse_taken_account(
    ctx: &SyncContext,
    url: &str,
    except: Option<&IntegrationId>,
) -> AdminResult<()> {
    let account = account_key(url);
    let taken = ctx
        .store
        .list_integrations()
        .await?
        .into_iter()
        .any(|i| Some(&i.value.id) != except && account_key(&i.value.url) == account);
    if taken {
        return Err(account_taken(&account));
    }
    Ok(())
}

/// Whether the integration has a case linked to a Zendesk ticket (imported or published).
pub(crate) async fn has_linked_cases(ctx: &SyncContext, id: &IntegrationId) -> AdminResult<bool> {
    let filter = CaseFilter {
        integration_id: Some(id.clone()),
        ..CaseFilter::default()
    };
    Ok(!ctx
        .store
        .list_cases(&filter, None, 1)
        .await?
        .items
        .is_empty())
}

/// The 409 for a `url` change after tickets were imported.
pub(crate) fn url_frozen(integration: &Integration, url: &str) -> AdminError {
    AdminError::conflict(
        "url_frozen",
        format!(
            "integration {} has imported tickets from {}, so its url cannot change; create a new integration for {url}",
            integration.id, integration.url
        ),
    )
}

/// A Zendesk handle with candidate settings (not yet stored).
pub(crate) fn connect_with(
    ctx: &SyncContext,
    id: &IntegrationId,
    url: &str,
    api_email: &str,
    api_token: SecretString,
) -> AdminResult<std::sync::Arc<dyn ZendeskApi>> {
    Ok(ctx.zendesk.connect(ZendeskAccount {
        integration_id: id.clone(),
        base_url: url.to_owned(),
        api_email: api_email.to_owned(),
        api_token,
    })?)
}

/// `users/me` must name a real user: Zendesk answers a bad token with 200 and an anonymous
/// user (the client reports that as an auth error; a user without id is refused here too).
pub(crate) async fn verify_credentials(zendesk: &dyn ZendeskApi) -> AdminResult<()> {
    match zendesk.current_user().await {
        Ok(user) if user.id != 0 => Ok(()),
        Ok(_) => Err(AdminError::CredentialsRejected(
            "Zendesk answered with the anonymous user".to_owned(),
        )),
        Err(ZendeskError::Auth { reason, .. }) => Err(AdminError::CredentialsRejected(reason)),
        Err(e) => Err(e.into()),
    }
}

/// Starts the integration's export from the beginning (its account changed); the job the
/// export works for stays attached.
pub(crate) async fn reset_export_cursor(ctx: &SyncContext, id: &IntegrationId) -> AdminResult<()> {
    for _ in 0..RESET_ATTEMPTS {
        let Some(stored) = ctx.store.get_export_cursor(id).await? else {
            return Ok(());
        };
        let mut cursor = fresh_cursor(id, ctx.clock.now());
        cursor.job_id = stored.value.job_id;
        match ctx.store.put_export_cursor(&cursor, stored.version).await {
            Ok(_) => return Ok(()),
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::conflict(
        "concurrent_update",
        format!("the export of integration {id} kept moving while it was reset; retry"),
    ))
}
