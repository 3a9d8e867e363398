//! The push outbox (docs/sync-rules.md §4 pushes that survive anything between the CRM write and
//! Zendesk).
//!
//! An edit of a synced field or a new comment on a linked case (two-way sync on) marks the
//! case's outbox entry in the same store write ([`crate::ports::CrmStore::update_case_marking_push`],
//! [`crate::ports::CrmStore::put_comment_marking_push`]); the queue message sent after it is only
//! the fast path. Whatever is still pending is pushed by [`sweep_pending_pushes`] (every
//! scheduler run, and on activation), which enqueues one `CaseChanged` per entry.
//!
//! Semantics of [`push_pending`] (the mapper's answer to `CaseChanged` and `CommentAdded`):
//! - it pushes everything the entry holds (the case's fields, its unlinked comments) and then
//!   clears the entry only if no write marked it meanwhile (`marks` unchanged);
//! - integration inactive: nothing pushed, the entry kept (activation sweeps it);
//! - integration deleted, two-way sync off, case unlinked, ticket deleted or closed: nothing to
//!   push, by the rules; the entry is cleared;
//! - a permanent failure clears the entry (the message is dead-lettered with the reason, which
//!   is in the sync log) so that the sweep does not re-enqueue a poison push forever;
//! - a failure that may heal keeps the entry; see `sync::batch` for what the queue does then
//!   (a push whose entry is kept never has to reach the dead-letter queue).
//! - no entry at all (pushed already, or a message from before the outbox): the push the
//!   message names is done as before; every push is idempotent.

use zsync_mapping::{CaseId, CommentId, IntegrationId};

use crate::context::SyncContext;
use crate::message::SyncMessage;
use crate::ports::{PendingPush, QueueError, StoreError};
use crate::sync::SyncError;
use crate::sync::outbound::{push_case_change, push_case_comment};

/// Entries re-enqueued per integration and sweep; the rest wait for the next sweep.
pub const SWEEP_LIMIT: usize = 500;

/// The push a message names, done when the case has no outbox entry.
#[derive(Clone, Copy, Debug)]
pub enum NamedPush<'a> {
    Case,
    Comment(&'a CommentId),
}

/// Pushes what the case's outbox entry holds and clears it (see the module docs).
pub async fn push_pending(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    case_id: &CaseId,
    named: NamedPush<'_>,
) -> Result<(), SyncError> {
    let Some(entry) = ctx.store.get_pending_push(integration_id, case_id).await? else {
        return match named {
            NamedPush::Case => push_case_change(ctx, integration_id, case_id)
                .await
                .map(drop),
            NamedPush::Comment(comment_id) => {
                push_case_comment(ctx, integration_id, case_id, comment_id)
                    .await
                    .map(drop)
            }
        };
    };
    match ctx.store.get_integration(integration_id).await? {
        Some(integration) if !integration.value.active => {
            tracing::info!(integration = %integration_id, case = %case_id, "integration inactive: push kept in the outbox until it is activated");
            return Ok(());
        }
        Some(_) => {}
        None => {
            clear(ctx, &entry).await?;
            return Ok(());
        }
    }
    let pushed = push_entry(ctx, &entry).await;
    match &pushed {
        Ok(()) => clear(ctx, &entry).await?,
        Err(e) if !e.can_heal() => {
            // Best effort: a failed clear leaves the entry for the next sweep, which fails
            // (and tries to clear) the same way.
            if let Err(clear_error) = clear(ctx, &entry).await {
                tracing::warn!(integration = %integration_id, case = %case_id, error = %clear_error, "outbox entry of a failed push not cleared");
            }
        }
        Err(_) => {}
    }
    pushed
}

async fn push_entry(ctx: &SyncContext, entry: &PendingPush) -> Result<(), SyncError> {
    let (integration, case) = (&entry.integration_id, &entry.case_id);
    if entry.fields {
        push_case_change(ctx, integration, case).await?;
    }
    if entry.comments {
        let comments = ctx.store.list_comments(case).await?;
        for comment in comments.iter().filter(|c| c.zendesk_comment_id.is_none()) {
            push_case_comment(ctx, integration, case, &comment.id).await?;
        }
    }
    Ok(())
}

async fn clear(ctx: &SyncContext, entry: &PendingPush) -> Result<(), StoreError> {
    let cleared = ctx
        .store
        .clear_pending_push(&entry.integration_id, &entry.case_id, entry.marks)
        .await?;
    if !cleared {
        tracing::info!(integration = %entry.integration_id, case = %entry.case_id, "case changed again during its push; kept in the outbox");
    }
    Ok(())
}

/// Whether the case still has an outbox entry (a push whose entry is kept is safe to
/// acknowledge: the sweep pushes it later).
pub(crate) async fn is_pending(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    case_id: &CaseId,
) -> bool {
    match ctx.store.get_pending_push(integration_id, case_id).await {
        Ok(entry) => entry.is_some(),
        Err(e) => {
            tracing::warn!(integration = %integration_id, case = %case_id, error = %e, "outbox not readable");
            false
        }
    }
}

/// Enqueues one `CaseChanged` per outbox entry of an active integration (at most
/// [`SWEEP_LIMIT`]); returns how many. An inactive integration's entries wait for activation.
pub async fn sweep_pending_pushes(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
) -> Result<usize, SweepError> {
    match ctx.store.get_integration(integration_id).await? {
        Some(integration) if integration.value.active => {}
        _ => return Ok(0),
    }
    let entries = ctx
        .store
        .list_pending_pushes(integration_id, SWEEP_LIMIT)
        .await?;
    let messages: Vec<SyncMessage> = entries
        .into_iter()
        .map(|entry| SyncMessage::CaseChanged {
            integration_id: entry.integration_id,
            case_id: entry.case_id,
        })
        .collect();
    if !messages.is_empty() {
        ctx.queue.send(&messages).await?;
        tracing::info!(integration = %integration_id, pushes = messages.len(), "pending pushes re-enqueued");
    }
    Ok(messages.len())
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}
