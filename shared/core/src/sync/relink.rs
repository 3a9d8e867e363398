//! Re-linking (docs/sync-rules.md §2 lifecycle): a deleted integration's cases stay, with their
//! ticket records; a new integration for the same Zendesk account takes a case over when it first
//! meets the case's ticket, instead of importing a duplicate. The account's claim lists the
//! deleted integrations that held it; their record for (account, ticket id) is moved to the new
//! integration in one store write, with its merge baseline, so the next apply is an update.

use zsync_mapping::ZendeskId;
use zsync_mapping::integration_url::account_key;

use crate::ports::StoreError;
use crate::sync::SyncError;
use crate::sync::session::Session;

/// Whether a deleted integration's case was taken over for `ticket` (or another writer raced
/// us to it): either way the caller reads the ticket's record again.
pub(crate) async fn relink_former_case(
    session: &mut Session<'_>,
    ticket: ZendeskId,
) -> Result<bool, SyncError> {
    let store = session.ctx.store.clone();
    for former in session.former_integrations().await? {
        let Some(old) = store.get_ticket_record(&former, ticket).await? else {
            continue;
        };
        let Some(case) = store.get_case(&old.value.case_id).await? else {
            tracing::warn!(integration = %session.id(), ticket, former = %former, case = %old.value.case_id, "former ticket record names a missing case");
            continue;
        };
        let mut record = old.value.clone();
        record.integration_id = session.id().clone();
        let mut relinked = case.value.clone();
        relinked.integration_id = Some(session.id().clone());
        relinked.updated_at = session.ctx.clock.now();
        return match store
            .relink_case(&relinked, case.version, &old, &record)
            .await
        {
            Ok(_) => {
                tracing::info!(integration = %session.id(), ticket, former = %former, case = %case.value.id, "case of a deleted integration re-linked");
                Ok(true)
            }
            Err(
                StoreError::VersionConflict { .. }
                | StoreError::AlreadyExists { .. }
                | StoreError::NotFound { .. },
            ) => Ok(true),
            Err(e) => Err(e.into()),
        };
    }
    Ok(false)
}

impl Session<'_> {
    /// The deleted integrations that held this integration's account, read once per session.
    pub(crate) async fn former_integrations(
        &mut self,
    ) -> Result<Vec<zsync_mapping::IntegrationId>, SyncError> {
        if let Some(former) = &self.former {
            return Ok(former.clone());
        }
        let claim = self
            .ctx
            .store
            .get_account(&account_key(&self.integration.url))
            .await?;
        let own = self.id().clone();
        let former: Vec<_> = claim
            .map(|c| c.former)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| *f != own)
            .collect();
        self.former = Some(former.clone());
        Ok(former)
    }
}
