//! One integration's export run: under the integration's lease, page through the ticket export
//! and then the ticket-events (comments) export, each page enqueued before its position is
//! stored. A crash anywhere re-sends at most the page in flight (the mapper is idempotent);
//! the stored cursor is the continuation for the next run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use tokio::time::Instant;
use zsync_mapping::zendesk::User;
use zsync_mapping::{
    ExportCursor, Integration, JobCounters, JobKind, JobState, LogOutcome, SyncLogEntry, ZendeskId,
};

use super::enqueue;
use super::jobs::{close_abandoned, fresh_cursor, mark_running, new_job};
use super::outcome::{IntegrationRun, RunEnd, Stop};
use super::pages::{self, MESSAGE_LIMIT, Skipped};
use crate::context::SyncContext;
use crate::message::SyncMessage;
use crate::ports::secrets::api_token_name;
use crate::ports::{ExportFrom, ZendeskAccount, ZendeskApi};

/// How long a run holds the lease without renewing it, by default (`ServiceSettings::
/// export_lease_ttl`). A running export renews it before every page and, while a page is in
/// flight (a request may wait out rate limits for up to 90 s), every third of this
/// ([`super::lease::keep_lease`]); so a crashed run's lease frees itself within this and another
/// process continues the export (docs/sync-rules.md §6).
pub const LEASE_TTL: Duration = Duration::seconds(45);
/// A page is not started with less time than this before the deadline.
pub const MIN_PAGE_TIME: std::time::Duration = std::time::Duration::from_secs(20);
/// Bound on the pages of one stream in one run (the deadline normally ends a run first).
const MAX_PAGES_PER_STREAM: u32 = 10_000;
/// How long the sync log keeps an export failure.
const LOG_TTL: Duration = Duration::days(30);

/// Tickets of a page that did not fully reach the queue (each counted once).
fn failed_tickets(skipped: &[Skipped], unsent: &[Skipped]) -> u64 {
    let mut ids: Vec<ZendeskId> = skipped.iter().chain(unsent).map(|s| s.ticket_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len() as u64
}

pub fn lease_name(integration: &zsync_mapping::IntegrationId) -> String {
    format!("export#{integration}")
}

pub(crate) struct Exporter<'a> {
    ctx: &'a SyncContext,
    integration: &'a Integration,
    holder: String,
    /// Set by the renewal task when another run took the lease over.
    lease_lost: Arc<AtomicBool>,
    deadline: Instant,
    cursor: ExportCursor,
    version: u64,
    /// The cursor differs from what is stored.
    dirty: bool,
    /// Users seen this run (sideloaded or looked up), for comment authors.
    users: HashMap<ZendeskId, User>,
    pub(crate) run: IntegrationRun,
}

impl<'a> Exporter<'a> {
    pub(crate) fn new(
        ctx: &'a SyncContext,
        integration: &'a Integration,
        holder: String,
        lease_lost: Arc<AtomicBool>,
        deadline: Instant,
    ) -> Self {
        Self {
            ctx,
            integration,
            holder,
            lease_lost,
            deadline,
            cursor: fresh_cursor(&integration.id, ctx.clock.now()),
            version: 0,
            dirty: false,
            users: HashMap::new(),
            run: IntegrationRun::new(integration.id.clone()),
        }
    }

    /// Runs both streams to their end (or until something stops it) and closes the job.
    pub(crate) async fn run(&mut self) -> RunEnd {
        match self.export().await {
            Ok(()) => RunEnd::Complete,
            Err(Stop::Failed(reason)) => {
                self.fail(&reason).await;
                RunEnd::Failed(reason)
            }
            Err(stop) => stop.into_end(),
        }
    }

    async fn export(&mut self) -> Result<(), Stop> {
        let id = &self.integration.id;
        if let Some(stored) = self.ctx.store.get_export_cursor(id).await? {
            self.cursor = stored.value;
            self.version = stored.version;
        }
        self.take_over_job().await?;
        close_abandoned(self.ctx, id, self.cursor.job_id.as_ref()).await?;
        let api = self.connect().await?;
        self.tickets(api.as_ref()).await?;
        self.events(api.as_ref()).await?;
        if let Some(job) = self.cursor.job_id.clone() {
            // Complete first: a crash before the cursor write leaves a completed job attached,
            // which the next run simply detaches. The mapper's last report succeeds it.
            super::jobs::complete_export(self.ctx, id, &job).await?;
            self.cursor.job_id = None;
            self.dirty = true;
        }
        self.save_cursor().await
    }

    /// Continues the job the cursor names (a scheduled one from an earlier invocation, or a
    /// queued manual one); a finished or missing job is detached.
    async fn take_over_job(&mut self) -> Result<(), Stop> {
        let Some(job_id) = self.cursor.job_id.clone() else {
            return Ok(());
        };
        match mark_running(self.ctx, &self.integration.id, &job_id).await? {
            // A job whose export is complete only waits for the mapper: it takes no new work.
            Some(job) if !job.state.is_finished() && !job.export_complete => {
                self.run.job_id = Some(job_id)
            }
            _ => {
                self.cursor.job_id = None;
                self.dirty = true;
            }
        }
        Ok(())
    }

    /// Creates this run's scheduled job once there is work and no job yet, and attaches it to
    /// the stored cursor at once: if this page then fails, the next run continues the job
    /// instead of leaving it running forever.
    async fn ensure_job(&mut self) -> Result<(), Stop> {
        if self.cursor.job_id.is_some() {
            return Ok(());
        }
        let job = new_job(
            &self.integration.id,
            JobKind::Scheduled,
            JobState::Running,
            self.ctx.clock.now(),
        );
        self.ctx.store.create_job(&job).await?;
        self.run.job_id = Some(job.id.clone());
        self.cursor.job_id = Some(job.id);
        self.dirty = true;
        self.save_cursor().await
    }

    async fn connect(&self) -> Result<Arc<dyn ZendeskApi>, Stop> {
        let id = &self.integration.id;
        let token = self
            .ctx
            .secrets
            .get(&api_token_name(id.as_str()))
            .await?
            .ok_or_else(|| Stop::Failed("the integration has no API token".into()))?;
        let account = ZendeskAccount {
            integration_id: id.clone(),
            base_url: self.integration.url.clone(),
            api_email: self.integration.api_email.clone(),
            api_token: token,
        };
        Ok(self.ctx.zendesk.connect(account)?)
    }

    /// Before each page: enough time left, and still the lease holder (renewed).
    async fn before_page(&self) -> Result<(), Stop> {
        if Instant::now() + MIN_PAGE_TIME > self.deadline {
            return Err(Stop::Deadline);
        }
        let name = lease_name(&self.integration.id);
        let ttl = self.ctx.settings.export_lease_ttl;
        let held = !self.lease_lost.load(Ordering::SeqCst)
            && self
                .ctx
                .store
                .acquire_lease(&name, &self.holder, ttl, self.ctx.clock.now())
                .await?;
        if held {
            Ok(())
        } else {
            Err(Stop::Interrupted(
                "the export lease was taken over by another run".into(),
            ))
        }
    }

    async fn in_time<T>(&self, work: impl Future<Output = T>) -> Result<T, Stop> {
        tokio::time::timeout_at(self.deadline, work)
            .await
            .map_err(|_| Stop::Deadline)
    }

    async fn save_cursor(&mut self) -> Result<(), Stop> {
        if !self.dirty {
            return Ok(());
        }
        self.cursor.updated_at = self.ctx.clock.now();
        self.version = self
            .ctx
            .store
            .put_export_cursor(&self.cursor, self.version)
            .await?;
        self.dirty = false;
        Ok(())
    }

    /// Enqueues a page's messages; what the queue keeps refusing is dead-lettered and returned
    /// for the sync log (see [`enqueue`]), so one message never holds the cursor back.
    async fn send(&self, messages: &[SyncMessage]) -> Result<Vec<Skipped>, Stop> {
        Ok(self
            .in_time(enqueue::enqueue(self.ctx.queue.as_ref(), messages))
            .await??)
    }

    async fn count(&self, tickets_seen: u64, failed: u64) -> Result<(), Stop> {
        let (Some(job), true) = (&self.cursor.job_id, tickets_seen + failed > 0) else {
            return Ok(());
        };
        let delta = JobCounters {
            tickets_seen,
            failed,
            ..JobCounters::default()
        };
        self.ctx
            .store
            .add_job_counters(&self.integration.id, job, &delta)
            .await?;
        Ok(())
    }

    async fn log(&self, ticket: Option<ZendeskId>, message: String) {
        let entry = SyncLogEntry {
            integration_id: self.integration.id.clone(),
            ticket_number: ticket,
            at: self.ctx.clock.now(),
            outcome: LogOutcome::Failed,
            message,
            job_id: self.cursor.job_id.clone(),
        };
        if let Err(e) = self.ctx.store.append_log(&entry, LOG_TTL).await {
            tracing::warn!(integration = %self.integration.id, error = %e, "could not write the sync log");
        }
    }

    async fn log_skipped(&self, skipped: &[Skipped]) {
        for s in skipped {
            tracing::warn!(integration = %self.integration.id, ticket = s.ticket_id, reason = %s.reason, "export item skipped");
            self.log(Some(s.ticket_id), s.reason.clone()).await;
        }
    }

    /// A permanent failure: the job fails with the reason and is detached; the log says why.
    async fn fail(&mut self, reason: &str) {
        tracing::error!(integration = %self.integration.id, reason, "export failed");
        self.log(None, format!("export failed: {reason}")).await;
        let Some(job) = self.cursor.job_id.clone() else {
            return;
        };
        if let Err(e) = super::jobs::finish(
            self.ctx,
            &self.integration.id,
            &job,
            Some(reason.to_owned()),
        )
        .await
        {
            tracing::warn!(integration = %self.integration.id, error = %e, "could not mark the job failed");
            return;
        }
        self.cursor.job_id = None;
        self.dirty = true;
        if let Err(e) = self.save_cursor().await {
            tracing::warn!(integration = %self.integration.id, error = ?e, "could not detach the failed job");
        }
    }

    /// The cursor-based ticket export, page by page until `end_of_stream`.
    async fn tickets(&mut self, api: &dyn ZendeskApi) -> Result<(), Stop> {
        for _ in 0..MAX_PAGES_PER_STREAM {
            self.before_page().await?;
            let from = match &self.cursor.cursor {
                Some(c) => ExportFrom::Cursor(c.clone()),
                None => ExportFrom::StartTime(self.cursor.start_time),
            };
            let page = self.in_time(api.export_tickets(&from)).await??;
            self.run.ticket_pages += 1;
            crate::telemetry::export_lag(&self.integration.id, &page, self.ctx.clock.now());
            if !page.tickets.is_empty() {
                self.ensure_job().await?;
            }
            for user in &page.users {
                self.users.insert(user.id, user.clone());
            }
            let out = pages::ticket_snapshots(
                &self.integration.id,
                self.cursor.job_id.as_ref(),
                &page,
                MESSAGE_LIMIT,
            );
            let unsent = self.send(&out.messages).await?;
            self.log_skipped(&out.skipped).await;
            self.log_skipped(&unsent).await;
            match page.after_cursor {
                Some(next) if self.cursor.cursor.as_ref() != Some(&next) => {
                    self.cursor.cursor = Some(next);
                    self.dirty = true;
                }
                Some(_) => {}
                None if page.end_of_stream && page.tickets.is_empty() => {}
                None => {
                    return Err(Stop::Failed(
                        "Zendesk sent a ticket export page without a cursor".into(),
                    ));
                }
            }
            if self.cursor.end_of_stream != page.end_of_stream {
                self.cursor.end_of_stream = page.end_of_stream;
                self.dirty = true;
            }
            self.save_cursor().await?;
            let seen = page.tickets.len() as u64;
            let failed = failed_tickets(&out.skipped, &unsent);
            self.run.tickets_enqueued += seen.saturating_sub(failed);
            self.count(seen, failed).await?;
            if page.end_of_stream {
                return Ok(());
            }
        }
        Err(Stop::Paused("page limit of one run reached".into()))
    }

    /// The time-based ticket-events export with comment events, until `end_of_stream`.
    async fn events(&mut self, api: &dyn ZendeskApi) -> Result<(), Stop> {
        for _ in 0..MAX_PAGES_PER_STREAM {
            self.before_page().await?;
            let start = self.cursor.events.start_time;
            let page = self.in_time(api.export_ticket_events(start)).await??;
            self.run.event_pages += 1;
            let seen = &self.cursor.events.seen_at_start;
            let fresh: Vec<_> = page
                .ticket_events
                .iter()
                .filter(|e| !(e.timestamp == Some(start) && seen.contains(&e.id)))
                .collect();
            let changed = pages::tickets_with_comment_changes(fresh.iter().copied());
            let mut by_ticket = pages::comments_by_ticket(fresh.iter().copied());
            // A ticket read again brings its new comments along (docs/sync-rules.md §3.3).
            by_ticket.retain(|ticket, _| !changed.contains(ticket));
            if !by_ticket.is_empty() || !changed.is_empty() {
                self.ensure_job().await?;
            }
            let missing: Vec<ZendeskId> = pages::authors(&by_ticket)
                .into_iter()
                .filter(|id| !self.users.contains_key(id))
                .collect();
            if !missing.is_empty() {
                for user in self.in_time(api.show_users(&missing)).await?? {
                    self.users.insert(user.id, user);
                }
            }
            let mut out = pages::comment_messages(
                &self.integration.id,
                self.cursor.job_id.as_ref(),
                by_ticket,
                &self.users,
                MESSAGE_LIMIT,
            );
            out.messages.extend(pages::comment_rereads(
                &self.integration.id,
                self.cursor.job_id.as_ref(),
                &changed,
            ));
            let unsent = self.send(&out.messages).await?;
            self.log_skipped(&out.skipped).await;
            self.log_skipped(&unsent).await;

            let next = page.end_time.unwrap_or(start).max(start);
            let mut at_next: Vec<ZendeskId> = fresh
                .iter()
                .filter(|e| e.timestamp == Some(next))
                .map(|e| e.id)
                .collect();
            if next == start {
                at_next.extend(self.cursor.events.seen_at_start.iter().copied());
            }
            at_next.sort_unstable();
            at_next.dedup();
            let events = &mut self.cursor.events;
            if events.start_time != next
                || events.seen_at_start != at_next
                || events.end_of_stream != page.end_of_stream
            {
                events.start_time = next;
                events.seen_at_start = at_next;
                events.end_of_stream = page.end_of_stream;
                self.dirty = true;
            }
            self.save_cursor().await?;
            let (comment_messages, rereads) =
                pages::sent_counts(out.messages.len(), &changed, &unsent);
            self.run.comment_messages += comment_messages;
            self.run.comment_rereads += rereads;
            self.count(0, failed_tickets(&out.skipped, &unsent)).await?;
            if page.end_of_stream {
                return Ok(());
            }
            if next == start && fresh.is_empty() {
                return Err(Stop::Paused(
                    "the ticket-events export did not advance".into(),
                ));
            }
        }
        Err(Stop::Paused("page limit of one run reached".into()))
    }
}
