//! One integration as a flow works with it: the stored settings, a lazily connected Zendesk
//! handle, and the sync log / job counter writes every flow makes.

use std::sync::Arc;

use chrono::Duration;
use zsync_mapping::{
    Integration, IntegrationId, JobCounter, JobCounters, JobId, LogOutcome, SyncJob, SyncLogEntry,
    ZendeskId,
};

use crate::context::SyncContext;
use crate::ports::secrets::api_token_name;
use crate::ports::{ZendeskAccount, ZendeskApi};
use crate::sync::SyncError;

/// How long per-ticket sync log entries are kept.
pub const LOG_TTL_DAYS: i64 = 30;

pub(crate) struct Session<'a> {
    pub ctx: &'a SyncContext,
    pub integration: Integration,
    pub job_id: Option<JobId>,
    api: Option<Arc<dyn ZendeskApi>>,
    /// Deleted integrations that held the account (see `relink.rs`), once read.
    pub(crate) former: Option<Vec<IntegrationId>>,
}

impl<'a> Session<'a> {
    /// The integration if it exists and is active; `None` (logged) otherwise: a deleted or
    /// deactivated integration stops all syncing.
    pub async fn open(
        ctx: &'a SyncContext,
        id: &IntegrationId,
        job_id: Option<JobId>,
    ) -> Result<Option<Session<'a>>, SyncError> {
        let Some(stored) = ctx.store.get_integration(id).await? else {
            tracing::info!(integration = %id, "skipping a message of an unknown integration");
            return Ok(None);
        };
        if !stored.value.active {
            tracing::info!(integration = %id, "skipping a message of an inactive integration");
            return Ok(None);
        }
        Ok(Some(Session {
            ctx,
            integration: stored.value,
            job_id,
            api: None,
            former: None,
        }))
    }

    pub fn id(&self) -> &IntegrationId {
        &self.integration.id
    }

    /// The Zendesk handle, connected on first use (reads the API token once).
    pub async fn api(&mut self) -> Result<Arc<dyn ZendeskApi>, SyncError> {
        if let Some(api) = &self.api {
            return Ok(api.clone());
        }
        let token = self
            .ctx
            .secrets
            .get(&api_token_name(self.integration.id.as_str()))
            .await?
            .ok_or_else(|| SyncError::MissingToken(self.integration.id.clone()))?;
        let api = self.ctx.zendesk.connect(ZendeskAccount {
            integration_id: self.integration.id.clone(),
            base_url: self.integration.url.clone(),
            api_email: self.integration.api_email.clone(),
            api_token: token,
        })?;
        self.api = Some(api.clone());
        Ok(api)
    }

    /// Appends a sync log entry. Best effort: the work it describes is already done, and a
    /// redelivery to retry the log line would only log "unchanged".
    pub async fn log(&self, ticket: Option<ZendeskId>, outcome: LogOutcome, message: String) {
        write_log(
            self.ctx,
            self.id(),
            self.job_id.clone(),
            ticket,
            outcome,
            message,
        )
        .await;
    }

    /// Moves the job's counters (if the message belongs to a job). Best effort, like the log.
    pub async fn count(&self, counters: &[JobCounter]) {
        let Some(job) = &self.job_id else { return };
        let mut delta = JobCounters::default();
        for counter in counters {
            delta.add(*counter, 1);
        }
        match self
            .ctx
            .store
            .add_job_counters(self.id(), job, &delta)
            .await
        {
            Ok(stored) => settle_job(self.ctx, &stored).await,
            Err(e) => {
                tracing::warn!(integration = %self.id(), job = %job, error = %e, "job counters not updated");
            }
        }
    }
}

/// Succeeds the job if this report was the last one it waited for (best effort, like counters).
pub(crate) async fn settle_job(ctx: &SyncContext, job: &SyncJob) {
    if let Err(e) = crate::export::jobs::settle(ctx, job).await {
        tracing::warn!(integration = %job.integration_id, job = %job.id, error = %e, "job state not updated");
    }
}

pub(crate) async fn write_log(
    ctx: &SyncContext,
    integration: &IntegrationId,
    job_id: Option<JobId>,
    ticket: Option<ZendeskId>,
    outcome: LogOutcome,
    message: String,
) {
    tracing::info!(integration = %integration, ticket, ?outcome, %message, "sync");
    let entry = SyncLogEntry {
        integration_id: integration.clone(),
        ticket_number: ticket,
        at: ctx.clock.now(),
        outcome,
        message,
        job_id,
    };
    if let Err(e) = ctx
        .store
        .append_log(&entry, Duration::days(LOG_TTL_DAYS))
        .await
    {
        tracing::warn!(integration = %integration, ticket, error = %e, "sync log entry not written");
    }
}
