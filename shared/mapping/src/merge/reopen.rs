//! docs/sync-rules.md §4 "Reopening": reopening a case never reopens its Zendesk ticket. While the
//! ticket is solved or closed, a status push that would move it back to an unfinished status is
//! withheld; the case's other changes are still pushed.

use crate::shadow::Shadow;
use crate::zendesk::TicketStatus;

use super::MergeResult;

/// A status push taken out of a merge because it would reopen the Zendesk ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithheldReopen {
    /// The ticket's status in Zendesk (solved or closed).
    pub zendesk_status: TicketStatus,
    /// The status the case asked for, in Zendesk's vocabulary.
    pub requested: TicketStatus,
}

/// Solved and closed are the statuses a ticket is "done" in; everything else (including unknown
/// custom statuses) is unfinished, so pushing it would reopen the ticket.
pub fn is_finished(status: &TicketStatus) -> bool {
    matches!(status, TicketStatus::Solved | TicketStatus::Closed)
}

/// Whether pushing `requested` to a ticket whose status is `current` would reopen it.
pub fn would_reopen(current: Option<&TicketStatus>, requested: &TicketStatus) -> bool {
    current.is_some_and(is_finished) && !is_finished(requested)
}

/// Takes a reopening status push out of `merge` (the other pushes stay). The status keeps the
/// shadow it had, as any CRM change that is not pushed does (docs/sync-rules.md §5): the case
/// keeps its status, and the reopen still counts as the CRM's change if the ticket moves later.
pub fn withhold_reopen(
    merge: &mut MergeResult,
    shadow: &Shadow,
    zendesk_status: Option<&TicketStatus>,
) -> Option<WithheldReopen> {
    let requested = merge
        .zendesk_changes
        .status
        .take_if(|requested| would_reopen(zendesk_status, requested))?;
    merge.new_shadow.crm.status = shadow.crm.status;
    merge.new_shadow.zendesk.status = shadow.zendesk.status.clone();
    Some(WithheldReopen {
        zendesk_status: zendesk_status.cloned()?,
        requested,
    })
}
