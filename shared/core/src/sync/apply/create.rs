//! The first sync of a ticket: a new case and its ticket record, created together — or the
//! link of a case we published ourselves, when its ticket shows up before the publish stored
//! the record. A new record counts as deleted until the sighting marker
//! ([`crate::sync::sighting`]) shows that no deletion of the ticket was seen before it.

use zsync_mapping::case_mapping::new_case;
use zsync_mapping::merge::{CaseSide, MergeRules, TicketSide, merge_fields};
use zsync_mapping::people::TicketPeople;
use zsync_mapping::record_mapping::new_ticket_record;
use zsync_mapping::zendesk::Ticket;
use zsync_mapping::{CaseId, Shadow};

use super::{Apply, ApplyOutcome, Step, conflict_or_else};
use crate::ids::case_id_for_ticket;
use crate::sync::SyncError;
use crate::sync::comments::CommentMode;
use crate::sync::sighting::first_sighting;

impl Apply<'_, '_> {
    pub(super) async fn create(
        &mut self,
        ticket: &Ticket,
        people: &TicketPeople,
    ) -> Result<Step, SyncError> {
        let ctx = self.session.ctx;
        let integration_id = self.session.id().clone();
        if let Some(step) = self.link_published(ticket, people).await? {
            return Ok(step);
        }
        let case_id = case_id_for_ticket(&integration_id, ticket.id);
        let mut case = new_case(
            ticket,
            case_id.clone(),
            integration_id.clone(),
            people,
            ctx.clock.now(),
        );
        let mut record = new_ticket_record(ticket, integration_id, case_id.clone(), people);
        let rules = MergeRules::for_ticket(&self.session.integration, None);
        // First sync: Zendesk wins; the merge only records the agreed values.
        let merge = merge_fields(
            &Shadow::default(),
            &CaseSide::new(&case, ticket.assignee_id),
            &TicketSide::new(ticket, people),
            rules,
        );
        merge.case_changes.apply_to(&mut case);
        record.shadow = merge.new_shadow;
        // Stored as deleted until the sighting marker shows no deletion came first: a crash
        // before it is confirmed leaves it deleted, and the next live state asks Zendesk.
        let confirmed = record.clone();
        record.deleted = true;
        if conflict_or_else(ctx.store.create_linked_case(&case, &record).await)?.is_none() {
            // Created concurrently (or a replay): read it and apply as an update.
            return Ok(Step::Redo(None));
        }
        self.created_case = true;
        let written = self
            .comments_on(&case_id, CommentMode::UpdateExisting)
            .await?;
        if !first_sighting(ctx, self.session.id(), ticket.id).await? {
            // Zendesk deleted it before this (older) state arrived: the redo asks Zendesk.
            return Ok(Step::Redo(None));
        }
        // A created record is at version 1; any other writer meanwhile makes us read again.
        if conflict_or_else(ctx.store.update_ticket_record(&confirmed, 1).await)?.is_none() {
            return Ok(Step::Redo(None));
        }
        Ok(self.report(ApplyOutcome::Created, Some(case_id), written))
    }

    /// A ticket we published ourselves, seen before the publish stored its ticket record:
    /// `external_id` names the case. Link it instead of making a second case.
    async fn link_published(
        &mut self,
        ticket: &Ticket,
        people: &TicketPeople,
    ) -> Result<Option<Step>, SyncError> {
        let store = self.session.ctx.store.clone();
        let Some(external) = ticket.external_id.as_deref().filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        let case_id = CaseId::new(external);
        let Some(case) = store.get_case(&case_id).await? else {
            return Ok(None);
        };
        if case
            .value
            .integration_id
            .as_ref()
            .is_some_and(|i| i != self.session.id())
            || store.get_ticket_record_for_case(&case_id).await?.is_some()
        {
            return Ok(None);
        }
        let mut record =
            new_ticket_record(ticket, self.session.id().clone(), case_id.clone(), people);
        record.shadow = Shadow::agreed(
            &CaseSide::new(&case.value, ticket.assignee_id),
            &TicketSide::new(ticket, people),
        );
        if conflict_or_else(store.create_ticket_record(&record).await)?.is_none() {
            return Ok(Some(Step::Redo(None)));
        }
        let written = self
            .comments_on(&case_id, CommentMode::UpdateExisting)
            .await?;
        Ok(Some(self.report(
            ApplyOutcome::Updated,
            Some(case_id),
            written,
        )))
    }
}
