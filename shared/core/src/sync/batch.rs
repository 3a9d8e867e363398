//! The mapper's message handling: decode, dispatch to a flow, and decide what the queue should
//! do — done, redeliver (the cause may heal), or dead-letter at once with the reason (also in
//! the sync log). A poison message never fails the rest of its batch.

use futures::StreamExt;
use zsync_mapping::{IntegrationId, JobCounter, JobCounters, JobId, LogOutcome, ZendeskId};

use crate::context::SyncContext;
use crate::message::{DecodeError, SyncMessage};
use crate::sync::SyncError;
use crate::sync::inbound::{
    TicketState, apply_ticket_changed, apply_ticket_comments, apply_ticket_snapshot,
};
use crate::sync::outbound::{push_case_change, push_case_comment};
use crate::sync::session::write_log;

/// Messages of one batch processed at once (they mostly wait on Zendesk and the store).
const BATCH_CONCURRENCY: usize = 4;

/// One message as the queue delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The queue's id for partial batch responses (SQS `messageId`).
    pub id: String,
    pub body: String,
    /// 1 on the first delivery.
    pub receive_count: u32,
}

/// What the queue should do with a processed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Applied (or nothing to do): delete it.
    Done,
    /// Failed in a way that may heal: deliver it again (the queue dead-letters it after its
    /// maximum receives; the reason is then in the sync log).
    Retry(String),
    /// Fails the same way every time: straight to the dead-letter queue with this reason (also
    /// in the sync log), no pointless retries.
    Dropped(String),
}

/// Processes a batch; returns the ids of messages to redeliver (SQS `batchItemFailures`).
pub async fn process_batch(
    ctx: &SyncContext,
    messages: Vec<ReceivedMessage>,
    max_receives: u32,
) -> Vec<String> {
    futures::stream::iter(messages)
        .map(|m| async move {
            match handle_body(ctx, &m.body, m.receive_count, max_receives).await {
                Handling::Done => None,
                Handling::Retry(_) => Some(m.id),
                // Poison: park it in the dead-letter queue with its reason; only once it is
                // there may SQS delete it (otherwise it comes back, and nothing is lost).
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
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
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
            push_case_change(ctx, integration_id, case_id).await?;
        }
        SyncMessage::CommentAdded {
            integration_id,
            case_id,
            comment_id,
        } => {
            push_case_comment(ctx, integration_id, case_id, comment_id).await?;
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
