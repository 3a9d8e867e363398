//! Enqueueing one page's messages so that no single message can stall the export.
//!
//! A refusal that names messages (too large, a refused character, some of a batch not
//! accepted) is tried again a few times, each remaining message on its own so one bad message
//! cannot sink the rest. What is still refused after [`SEND_ATTEMPTS`] is parked in the
//! dead-letter area with the reason and reported for the sync log; the export then moves on.
//! A queue that is unavailable, or a dead-letter area that refuses too, stops the run instead
//! (the cursor stays; nothing is lost).

use std::time::Duration;

use zsync_mapping::ZendeskId;

use super::pages::Skipped;
use crate::message::SyncMessage;
use crate::ports::{QueueError, SyncQueue};

/// Tries of one message before it is dead-lettered.
pub(crate) const SEND_ATTEMPTS: u32 = 3;
/// Pause before try `n` is `n` times this (throttling and brief refusals heal).
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// The queue's refusal as quoted in the sync log and the dead letter (SDK errors run long).
const MAX_REASON_CHARS: usize = 600;

/// The ticket a message is about, for the sync log (the export sends only ticket messages; the
/// others have none and would be logged as ticket 0).
fn ticket_of(message: &SyncMessage) -> Option<ZendeskId> {
    match message {
        SyncMessage::TicketSnapshot { ticket, .. } => Some(ticket.id),
        SyncMessage::TicketComments { ticket_id, .. }
        | SyncMessage::TicketCommentsChanged { ticket_id, .. }
        | SyncMessage::TicketChanged { ticket_id, .. } => Some(*ticket_id),
        SyncMessage::CaseChanged { .. } | SyncMessage::CommentAdded { .. } => None,
    }
}

/// Messages still to send, each with the last reason it was refused.
type Pending = Vec<(SyncMessage, String)>;

/// One send: `Ok` with what was refused (empty: all sent), `Err` if the queue is unavailable.
async fn send(queue: &dyn SyncQueue, messages: &[SyncMessage]) -> Result<Pending, QueueError> {
    match queue.send(messages).await {
        Ok(()) => Ok(Vec::new()),
        Err(QueueError::Partial { failed, reason }) => {
            Ok(failed.into_iter().map(|m| (m, reason.clone())).collect())
        }
        // Nothing of the call was sent.
        Err(e @ (QueueError::TooLarge { .. } | QueueError::RefusedCharacter { .. })) => {
            let reason = e.to_string();
            Ok(messages
                .iter()
                .map(|m| (m.clone(), reason.clone()))
                .collect())
        }
        Err(e @ (QueueError::Unavailable(_) | QueueError::InvalidReceipt)) => Err(e),
    }
}

/// Sends `messages`; returns what could not be enqueued (already dead-lettered), one entry per
/// message, for the sync log.
pub(crate) async fn enqueue(
    queue: &dyn SyncQueue,
    messages: &[SyncMessage],
) -> Result<Vec<Skipped>, QueueError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut pending = send(queue, messages).await?;
    for attempt in 2..=SEND_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(RETRY_PAUSE * attempt).await;
        let mut still = Vec::new();
        for (message, _) in pending {
            still.extend(send(queue, std::slice::from_ref(&message)).await?);
        }
        pending = still;
    }
    let mut unsent = Vec::with_capacity(pending.len());
    for (message, reason) in pending {
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let reason = format!(
            "could not be enqueued after {SEND_ATTEMPTS} tries, parked in the dead-letter queue: {reason}"
        );
        queue.dead_letter_body(&message.encode(), &reason).await?;
        let ticket_id = ticket_of(&message).unwrap_or_default();
        tracing::warn!(ticket = ticket_id, reason = %reason, "export message dead-lettered");
        unsent.push(Skipped { ticket_id, reason });
    }
    Ok(unsent)
}
