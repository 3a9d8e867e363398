//! The mapper's message handling: decode, dispatch to a flow, and decide what the queue should
//! do — done, redeliver (the cause may heal), wait (Zendesk is unavailable), or dead-letter at
//! once with the reason (also in the sync log). A poison message never fails the rest of its
//! batch.
//!
//! Deadline (the mapper Lambda, [`process_batch_within`]): no message is started with less
//! than [`MIN_START_TIME`] left, and one still running at the deadline is abandoned (every flow
//! is idempotent); both are reported as batch item failures, so the rest of the batch counts
//! instead of a timeout failing all ten. The deadline is visible to the Zendesk client
//! ([`crate::deadline`]): a rate-limit wait longer than the time left is not slept but
//! returned as `RateLimited`, and the message goes back to the queue with that delay.
//!
//! Waits (Zendesk 5xx, timeouts, 429s; [`SyncError::zendesk_wait`]): the message is hidden for
//! [`availability_delay`] of its receive count (at least the Retry-After), instead of the
//! queue's visibility timeout, so its deliveries spread over hours: with the default 5
//! receives a message reaches the dead-letter queue only after ~4 h 19 min of outage
//! (1 + 6 + 36 + 216 min); raise `MaxReceiveCount` for longer (6 receives: ~10 h). Pushes of
//! CRM changes do not depend on this: their outbox entry (`sync::outbox`) keeps them, so a push
//! that waits on Zendesk is acknowledged at once and the scheduler's sweep (every 5 minutes)
//! re-enqueues it, which also keeps an outage from piling up push messages; CRM changes made
//! during an outage reach Zendesk after it. SQS only lets a consumer choose a delay through
//! `ChangeMessageVisibility` on the message's receipt (the mapper needs
//! `sqs:ChangeMessageVisibility`); without a receipt the queue's visibility timeout applies.

use std::time::Duration as StdDuration;

use chrono::Duration;
use futures::StreamExt;
use tokio::time::Instant;
use zsync_mapping::{IntegrationId, JobCounter, JobCounters, JobId, LogOutcome, ZendeskId};

use crate::context::SyncContext;
use crate::message::{DecodeError, SyncMessage};
use crate::sync::SyncError;
use crate::sync::inbound::{
    TicketState, apply_ticket_changed, apply_ticket_comments, apply_ticket_snapshot,
    reread_ticket_comments,
};
use crate::sync::outbox::{NamedPush, is_pending, push_pending};
use crate::sync::session::write_log;

/// Messages of one batch processed at once (they mostly wait on Zendesk and the store).
const BATCH_CONCURRENCY: usize = 4;
/// A message is not started with less time than this before the deadline: one Zendesk
/// request and a few store writes.
pub const MIN_START_TIME: StdDuration = StdDuration::from_secs(5);
/// First wait after Zendesk was unavailable; each further receive waits this many times longer.
const FIRST_AVAILABILITY_DELAY_SECONDS: i64 = 60;
const AVAILABILITY_DELAY_FACTOR: i64 = 6;
/// Longest single wait (SQS allows 12 h of visibility per receive).
const MAX_AVAILABILITY_DELAY_SECONDS: i64 = 6 * 3600;

/// One message as the queue delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The queue's id for partial batch responses (SQS `messageId`).
    pub id: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
    /// The handle to delay the message's next delivery (SQS `receiptHandle`); `None`: a wait
    /// falls back to the queue's visibility timeout.
    pub receipt: Option<String>,
}

/// What the queue should do with a processed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Applied (or nothing to do): delete it.
    Done,
    /// Failed in a way that may heal: deliver it again (the queue dead-letters it after its
    /// maximum receives; the reason is then in the sync log).
    Retry(String),
    /// Zendesk is unavailable or rate limiting: deliver it again, but not before `delay`.
    Wait { reason: String, delay: Duration },
    /// Fails the same way every time: straight to the dead-letter queue with this reason (also
    /// in the sync log), no pointless retries.
    Dropped(String),
}

/// How long a message waits after its `receive_count`-th delivery found Zendesk unavailable:
/// 1 min, 6 min, 36 min, 3 h 36 min, then 6 h.
pub fn availability_delay(receive_count: u32) -> Duration {
    let mut seconds = FIRST_AVAILABILITY_DELAY_SECONDS;
    for _ in 1..receive_count.min(8) {
        seconds = (seconds * AVAILABILITY_DELAY_FACTOR).min(MAX_AVAILABILITY_DELAY_SECONDS);
    }
    Duration::seconds(seconds)
}

/// Processes a batch without a deadline; returns the ids of messages to redeliver (SQS
/// `batchItemFailures`).
pub async fn process_batch(
    ctx: &SyncContext,
    messages: Vec<ReceivedMessage>,
    max_receives: u32,
) -> Vec<String> {
    let far = Instant::now() + StdDuration::from_secs(365 * 24 * 3600);
    process_batch_within(ctx, messages, max_receives, far).await
}

/// Processes a batch until `deadline` (keep the time the answer needs before the real one);
/// returns the ids of messages to redeliver: failed, waiting, or not finished in time.
pub async fn process_batch_within(
    ctx: &SyncContext,
    messages: Vec<ReceivedMessage>,
    max_receives: u32,
    deadline: Instant,
) -> Vec<String> {
    futures::stream::iter(messages)
        .map(|m| async move {
            if deadline.saturating_duration_since(Instant::now()) < MIN_START_TIME {
                tracing::warn!(message = %m.id, "not started: too close to the deadline; redelivered");
                return Some(m.id);
            }
            let handled = crate::deadline::within(
                deadline,
                tokio::time::timeout_at(
                    deadline,
                    handle_body(ctx, &m.body, m.receive_count, max_receives),
                ),
            )
            .await;
            let Ok(handling) = handled else {
                tracing::warn!(message = %m.id, "not finished before the deadline; redelivered");
                return Some(m.id);
            };
            settle(ctx, m, handling).await
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

/// What to answer the queue for one handled message: `Some(id)` to redeliver it.
async fn settle(ctx: &SyncContext, m: ReceivedMessage, handling: Handling) -> Option<String> {
    match handling {
        Handling::Done => None,
        Handling::Retry(_) => Some(m.id),
        Handling::Wait { delay, .. } => {
            if let Some(receipt) = &m.receipt
                && let Err(e) = ctx.queue.retry_later(receipt, delay).await
            {
                // It comes back after the queue's visibility timeout instead.
                tracing::warn!(message = %m.id, error = %e, "could not delay the message");
            }
            Some(m.id)
        }
        // Poison: park it in the dead-letter queue with its reason; only once it is there may
        // SQS delete it (otherwise it comes back, and nothing is lost).
        Handling::Dropped(reason) => match ctx.queue.dead_letter_body(&m.body, &reason).await {
            Ok(()) => {
                crate::telemetry::dead_letter_parked("poison");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not dead-letter a poison message; it will be redelivered");
                Some(m.id)
            }
        },
    }
}

/// Decodes and handles one raw message body.
pub async fn handle_body(
    ctx: &SyncContext,
    body: &str,
    receive_count: u32,
    max_receives: u32,
) -> Handling {
    match SyncMessage::decode(body) {
        Ok(message) => handle_message(ctx, &message, receive_count, max_receives).await,
        // Written by newer code during a deploy: a newer consumer can read it.
        Err(e @ DecodeError::UnknownVersion(_)) => {
            let reason = e.to_string();
            if receive_count >= max_receives {
                log_undecodable(ctx, body, &reason).await;
            }
            Handling::Retry(reason)
        }
        Err(e @ DecodeError::Malformed(_)) => {
            let reason = format!("undecodable message dead-lettered: {e}");
            log_undecodable(ctx, body, &reason).await;
            Handling::Dropped(reason)
        }
    }
}

/// Handles one decoded message.
pub async fn handle_message(
    ctx: &SyncContext,
    message: &SyncMessage,
    receive_count: u32,
    max_receives: u32,
) -> Handling {
    let error = match dispatch(ctx, message).await {
        Ok(()) => return Handling::Done,
        Err(error) => error,
    };
    let reason = error.to_string();
    if let Some(wait) = error.zendesk_wait()
        && let Some(handling) =
            wait_for_zendesk(ctx, message, receive_count, max_receives, wait, &reason).await
    {
        return handling;
    }
    if error.can_heal() {
        if receive_count < max_receives {
            tracing::warn!(integration = %message.integration_id(), receive_count, %reason, "will retry");
            return Handling::Retry(reason);
        }
        let last =
            format!("failed {receive_count} times, moved to the dead-letter queue: {reason}");
        log_failure(ctx, message, last).await;
        crate::telemetry::dead_letter_parked("exhausted");
        return Handling::Retry(reason);
    }
    log_failure(ctx, message, format!("not applied: {reason}")).await;
    Handling::Dropped(reason)
}

/// The answer to a message that waits on Zendesk; `None`: its last delivery, and nothing
/// keeps it (the ordinary rules apply: logged and dead-lettered).
async fn wait_for_zendesk(
    ctx: &SyncContext,
    message: &SyncMessage,
    receive_count: u32,
    max_receives: u32,
    wait: StdDuration,
    reason: &str,
) -> Option<Handling> {
    let integration = message.integration_id();
    if let SyncMessage::CaseChanged { case_id, .. } | SyncMessage::CommentAdded { case_id, .. } =
        message
        && is_pending(ctx, integration, case_id).await
    {
        tracing::warn!(%integration, case = %case_id, %reason, "Zendesk unavailable: the push stays in the outbox for the next sweep");
        return Some(Handling::Done);
    }
    if receive_count >= max_receives {
        return None;
    }
    let at_least = Duration::from_std(wait).unwrap_or(Duration::MAX);
    let delay = availability_delay(receive_count).max(at_least);
    tracing::warn!(%integration, receive_count, %reason, delay_seconds = delay.num_seconds(), "Zendesk unavailable; will retry");
    Some(Handling::Wait {
        reason: reason.to_owned(),
        delay,
    })
}

async fn dispatch(ctx: &SyncContext, message: &SyncMessage) -> Result<(), SyncError> {
    match message {
        SyncMessage::TicketSnapshot {
            integration_id,
            job_id,
            ticket,
            users,
            comments,
            part,
        } => {
            let state = TicketState {
                ticket: (**ticket).clone(),
                users: users.clone(),
                comments: comments.clone(),
            };
            let first_part = part.is_none_or(|(index, _)| index <= 1);
            apply_ticket_snapshot(ctx, integration_id, job_id.as_ref(), state, first_part).await?;
        }
        SyncMessage::TicketComments {
            integration_id,
            job_id,
            ticket_id,
            comments,
            users,
        } => {
            apply_ticket_comments(
                ctx,
                integration_id,
                job_id.as_ref(),
                *ticket_id,
                comments,
                users.clone(),
            )
            .await?;
        }
        SyncMessage::TicketCommentsChanged {
            integration_id,
            job_id,
            ticket_id,
        } => {
            reread_ticket_comments(ctx, integration_id, job_id.as_ref(), *ticket_id).await?;
        }
        SyncMessage::TicketChanged {
            integration_id,
            ticket_id,
            ..
        } => {
            apply_ticket_changed(ctx, integration_id, *ticket_id).await?;
        }
        SyncMessage::CaseChanged {
            integration_id,
            case_id,
        } => {
            push_pending(ctx, integration_id, case_id, NamedPush::Case).await?;
        }
        SyncMessage::CommentAdded {
            integration_id,
            case_id,
            comment_id,
        } => {
            push_pending(ctx, integration_id, case_id, NamedPush::Comment(comment_id)).await?;
        }
    }
    Ok(())
}

/// The ticket and job a message is about, for its log entry.
fn subject_of(message: &SyncMessage) -> (Option<ZendeskId>, Option<&JobId>, bool) {
    match message {
        SyncMessage::TicketSnapshot {
            ticket,
            job_id,
            part,
            ..
        } => (
            Some(ticket.id),
            job_id.as_ref(),
            part.is_none_or(|(index, _)| index <= 1),
        ),
        SyncMessage::TicketComments {
            ticket_id, job_id, ..
        }
        | SyncMessage::TicketCommentsChanged {
            ticket_id, job_id, ..
        } => (Some(*ticket_id), job_id.as_ref(), false),
        SyncMessage::TicketChanged { ticket_id, .. } => (Some(*ticket_id), None, false),
        SyncMessage::CaseChanged { .. } | SyncMessage::CommentAdded { .. } => (None, None, false),
    }
}

async fn log_failure(ctx: &SyncContext, message: &SyncMessage, reason: String) {
    let (ticket, job, counts_ticket) = subject_of(message);
    let what = match message {
        SyncMessage::CaseChanged { case_id, .. } => format!("push of case {case_id} "),
        SyncMessage::CommentAdded { comment_id, .. } => format!("push of comment {comment_id} "),
        _ => String::new(),
    };
    let integration = message.integration_id();
    if ticket.is_some() {
        crate::telemetry::ticket_applied(integration, "failed");
    }
    write_log(
        ctx,
        integration,
        job.cloned(),
        ticket,
        LogOutcome::Failed,
        format!("{what}{reason}"),
    )
    .await;
    if let Some(job) = job {
        let mut delta = JobCounters::default();
        if counts_ticket {
            delta.add(JobCounter::Failed, 1);
        }
        match ctx.store.add_job_counters(integration, job, &delta).await {
            Ok(stored) => super::session::settle_job(ctx, &stored).await,
            Err(e) => {
                tracing::warn!(integration = %integration, job = %job, error = %e, "job counters not updated");
            }
        }
    }
}

/// An undecodable message names no integration we can trust; log it under the integration its
/// body mentions, if any.
async fn log_undecodable(ctx: &SyncContext, body: &str, reason: &str) {
    let integration = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/body/integration_id")
                .and_then(|id| id.as_str())
                .map(IntegrationId::new)
        });
    match integration {
        Some(id) => write_log(ctx, &id, None, None, LogOutcome::Failed, reason.to_owned()).await,
        None => {
            tracing::error!(%reason, bytes = body.len(), "undecodable message names no integration")
        }
    }
}
