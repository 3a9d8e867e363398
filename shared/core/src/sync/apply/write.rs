//! The end of an update: the case and the ticket record written (case first, so a lost race on
//! the record redoes a merge that finds both sides agreeing), then the comments.

use zsync_mapping::merge::MergeResult;
use zsync_mapping::people::TicketPeople;
use zsync_mapping::record_mapping::apply_ticket_to_record;
use zsync_mapping::zendesk::Ticket;
use zsync_mapping::{Case, TicketRecord};

use super::{Apply, ApplyOutcome, Step, conflict_or_else};
use crate::ports::Versioned;
use crate::sync::SyncError;
use crate::sync::comments::CommentMode;

impl Apply<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn write(
        &mut self,
        ticket: &Ticket,
        people: &TicketPeople,
        record: Versioned<TicketRecord>,
        case: Versioned<Case>,
        merge: MergeResult,
        closed: bool,
        after_push: Option<Ticket>,
    ) -> Result<Step, SyncError> {
        let store = self.session.ctx.store.clone();
        let mut new_case = case.value.clone();
        merge.case_changes.apply_to(&mut new_case);
        if record.value.requester != people.requester {
            // Zendesk changed the requester: the case's contact follows it.
            new_case.contact_id = people.contact_id();
        }
        // The record shows Zendesk as it is now: after our push if there was one, so its echo
        // finds nothing new.
        let mut new_record = record.value.clone();
        match &after_push {
            Some(updated) => {
                let people_after = self.people(updated, &[]).await?;
                apply_ticket_to_record(&mut new_record, updated, &people_after);
            }
            None => apply_ticket_to_record(&mut new_record, ticket, people),
        }
        new_record.shadow = merge.new_shadow;
        new_record.closed_in_zendesk = closed;

        if new_case != case.value {
            new_case.updated_at = self.session.ctx.clock.now();
            if conflict_or_else(store.update_case(&new_case, case.version).await)?.is_none() {
                return Ok(Step::Redo(after_push.map(Box::new)));
            }
            self.wrote_case = true;
        }
        let mut unchanged_record = new_record.clone();
        unchanged_record.last_applied_at = record.value.last_applied_at;
        let record_changed = unchanged_record != record.value;
        if new_record != record.value
            && conflict_or_else(
                store
                    .update_ticket_record(&new_record, record.version)
                    .await,
            )?
            .is_none()
        {
            return Ok(Step::Redo(after_push.map(Box::new)));
        }
        let written = self
            .comments_on(&record.value.case_id, CommentMode::UpdateExisting)
            .await?;
        let changed = self.wrote_case
            || record_changed
            || written > 0
            || !self.pushed_fields.is_empty()
            || self.closed_now;
        let outcome = if changed {
            ApplyOutcome::Updated
        } else {
            ApplyOutcome::Unchanged
        };
        Ok(self.report(outcome, Some(record.value.case_id), written))
    }
}
