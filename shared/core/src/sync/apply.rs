//! Applying one Zendesk ticket state to the CRM (docs/sync-rules.md §3.1–3.5), pushing back what
//! the CRM wins (docs/sync-rules.md §4–5). Idempotent and order-insensitive: the case id is derived
//! from the ticket, older states are ignored, a deletion is not undone by a live state unless
//! Zendesk confirms the ticket lives (a deletion met before the record is remembered:
//! [`super::sighting`]), and every write is conditional on the version read — on a lost race the
//! whole step is redone from fresh reads (bounded).

use zsync_mapping::case_mapping::{TicketDisposition, disposition};
use zsync_mapping::merge::{
    CaseSide, MergeResult, MergeRules, SyncedField, TicketSide, WithheldReopen, ZendeskChanges,
    merge_fields, withhold_reopen,
};
use zsync_mapping::people::{TicketPeople, resolve_ticket_people};
use zsync_mapping::record_mapping::apply_ticket_to_record;
use zsync_mapping::zendesk::{Comment, Ticket};
use zsync_mapping::{CaseId, Shadow, TicketRecord};

use crate::ports::{StoreError, Versioned, ZendeskError};
use crate::sync::SyncError;
use crate::sync::comments::{CommentMode, apply_comments};
use crate::sync::people::{PeopleBook, referenced_by};
use crate::sync::push::{note_pushed, ticket_changes, without_pushed};
use crate::sync::relink::relink_former_case;
use crate::sync::session::Session;
use crate::sync::sighting::first_sighting;

/// Store races and Zendesk 409s one message may meet before it is handed back to the queue.
mod create;
mod write;

const MAX_ATTEMPTS: u32 = 6;
const MAX_ZENDESK_CONFLICTS: u32 = 3;

/// What happened to the case of one ticket state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated,
    Unchanged,
    /// Older than the state already applied: ignored (missing comments still added).
    Stale,
    /// The ticket was deleted in Zendesk: record marked, case kept, pushes stopped.
    Deleted,
    /// Deleted before it was ever synced: nothing to keep.
    IgnoredDeleted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApplyReport {
    pub outcome: ApplyOutcome,
    pub case_id: Option<CaseId>,
    /// Fields pushed to Zendesk because the CRM won them.
    pub pushed: Vec<SyncedField>,
    /// Fields changed on both sides, settled by the integration's `sync_priority`.
    pub conflicts: Vec<SyncedField>,
    /// Zendesk refused the push with 422 "closed": recorded, not retried.
    pub closed_in_zendesk: bool,
    /// The case was reopened while its ticket is solved or closed: that status was not pushed
    /// (docs/sync-rules.md §4 "Reopening").
    pub reopen_withheld: Option<WithheldReopen>,
    pub comments_written: usize,
}

enum Step {
    Done(ApplyReport),
    /// Lost a store race: read again (with the ticket as Zendesk now has it, if we pushed).
    Redo(Option<Box<Ticket>>),
}

struct Apply<'s, 'a> {
    session: &'s mut Session<'a>,
    book: &'s mut PeopleBook,
    comments: &'s [Comment],
    /// What this invocation already pushed, so a redo never pushes it twice.
    pushed: ZendeskChanges,
    pushed_fields: Vec<SyncedField>,
    conflicts: Vec<SyncedField>,
    zendesk_conflicts: u32,
    closed_now: bool,
    reopen_withheld: Option<WithheldReopen>,
    wrote_case: bool,
    /// Zendesk answered for a ticket our record has as deleted: it lives (restored, or the
    /// record was never confirmed), so its state is applied.
    confirmed_live: bool,
    /// This invocation created the case: it reports `Created` even if its record had to be
    /// confirmed by a redo.
    created_case: bool,
}

/// Applies `ticket` (with `comments`) to the CRM.
pub(crate) async fn apply_state(
    session: &mut Session<'_>,
    book: &mut PeopleBook,
    mut ticket: Ticket,
    comments: &[Comment],
) -> Result<ApplyReport, SyncError> {
    let mut apply = Apply {
        session,
        book,
        comments,
        pushed: ZendeskChanges::default(),
        pushed_fields: Vec::new(),
        conflicts: Vec::new(),
        zendesk_conflicts: 0,
        closed_now: false,
        reopen_withheld: None,
        wrote_case: false,
        confirmed_live: false,
        created_case: false,
    };
    for _ in 0..MAX_ATTEMPTS {
        match apply.step(&ticket).await? {
            Step::Done(mut report) => {
                if apply.created_case
                    && matches!(
                        report.outcome,
                        ApplyOutcome::Updated | ApplyOutcome::Unchanged
                    )
                {
                    report.outcome = ApplyOutcome::Created;
                }
                return Ok(report);
            }
            Step::Redo(Some(newer)) => ticket = *newer,
            Step::Redo(None) => {}
        }
    }
    Err(SyncError::Contended {
        attempts: MAX_ATTEMPTS,
        what: format!("ticket {}", ticket.id),
    })
}

/// A CRM assignee with no Zendesk counterpart (no agent with that e-mail, no default user)
/// cannot be pushed (the port cannot unassign either). Keep it a pending CRM change instead of
/// recording an agreement Zendesk never saw — else the next Zendesk state would undo it.
fn hold_unpushable_assignee(merge: &mut MergeResult, shadow: &Shadow) {
    if merge.zendesk_changes.assignee_id == Some(None) {
        merge.zendesk_changes.assignee_id = None;
        merge.new_shadow.crm.assigned_to = shadow.crm.assigned_to.clone();
        merge.new_shadow.zendesk.assignee_id = shadow.zendesk.assignee_id;
    }
}

fn conflict_or_else<T>(result: Result<T, StoreError>) -> Result<Option<T>, SyncError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::VersionConflict { .. } | StoreError::AlreadyExists { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl Apply<'_, '_> {
    fn report(&self, outcome: ApplyOutcome, case_id: Option<CaseId>, comments: usize) -> Step {
        Step::Done(ApplyReport {
            outcome,
            case_id,
            pushed: self.pushed_fields.clone(),
            conflicts: self.conflicts.clone(),
            closed_in_zendesk: self.closed_now,
            reopen_withheld: self.reopen_withheld.clone(),
            comments_written: comments,
        })
    }

    async fn people(
        &mut self,
        ticket: &Ticket,
        comments: &[Comment],
    ) -> Result<TicketPeople, SyncError> {
        let owner = self.session.integration.owner_id.clone();
        self.book
            .resolve(
                self.session,
                &referenced_by(Some(ticket), comments),
                |known| resolve_ticket_people(ticket, comments, known, &owner),
            )
            .await
    }

    async fn comments_on(
        &mut self,
        case_id: &CaseId,
        mode: CommentMode,
    ) -> Result<usize, SyncError> {
        apply_comments(self.session, self.book, case_id, self.comments, mode).await
    }

    async fn step(&mut self, ticket: &Ticket) -> Result<Step, SyncError> {
        let store = self.session.ctx.store.clone();
        let record = store
            .get_ticket_record(self.session.id(), ticket.id)
            .await?;
        if record.is_none() && relink_former_case(self.session, ticket.id).await? {
            return Ok(Step::Redo(None));
        }
        match (
            disposition(ticket, record.as_ref().map(|r| &r.value)),
            record,
        ) {
            (TicketDisposition::Update, Some(record))
                if record.value.deleted && !self.confirmed_live =>
            {
                self.check_deleted(ticket, record).await
            }
            (TicketDisposition::Update, Some(record)) => {
                let people = self.people(ticket, self.comments).await?;
                self.update(ticket, &people, record).await
            }
            (TicketDisposition::MarkDeleted, Some(record)) => {
                // A deleted state's people are scrubbed and not applied: nobody is resolved
                // (or created as a contact) for it.
                let mut marked = record.value.clone();
                apply_ticket_to_record(&mut marked, ticket, &TicketPeople::default());
                if marked != record.value
                    && conflict_or_else(store.update_ticket_record(&marked, record.version).await)?
                        .is_none()
                {
                    return Ok(Step::Redo(None));
                }
                Ok(self.report(ApplyOutcome::Deleted, Some(record.value.case_id), 0))
            }
            (TicketDisposition::Stale, Some(record)) => {
                let written = self
                    .comments_on(&record.value.case_id, CommentMode::AddMissing)
                    .await?;
                Ok(self.report(ApplyOutcome::Stale, Some(record.value.case_id), written))
            }
            (TicketDisposition::IgnoreDeleted, _) => {
                // Leave a trace, then look again: a first sync racing us then sees one of the two.
                first_sighting(self.session.ctx, self.session.id(), ticket.id).await?;
                if store
                    .get_ticket_record(self.session.id(), ticket.id)
                    .await?
                    .is_some()
                {
                    return Ok(Step::Redo(None));
                }
                Ok(self.report(ApplyOutcome::IgnoredDeleted, None, 0))
            }
            // `disposition` only creates without a record; a record means update.
            (TicketDisposition::Create, _) | (_, None) => {
                let people = self.people(ticket, self.comments).await?;
                self.create(ticket, &people).await
            }
        }
    }

    /// A live state for a record marked deleted, not older than the state last applied: the
    /// deletion's time is not known (the REST API's 404, or a first sync that met a deletion),
    /// so only Zendesk can tell whether the ticket still lives. One request, only here.
    async fn check_deleted(
        &mut self,
        ticket: &Ticket,
        record: Versioned<TicketRecord>,
    ) -> Result<Step, SyncError> {
        let api = self.session.api().await?;
        match api.show_ticket(ticket.id).await {
            Ok(fresh) => {
                self.confirmed_live = true;
                self.book.add_users(fresh.users);
                Ok(Step::Redo(Some(Box::new(fresh.ticket))))
            }
            Err(ZendeskError::NotFound { .. }) => {
                let mut marked = record.value.clone();
                marked.status = Some("deleted".into());
                let store = self.session.ctx.store.clone();
                if marked != record.value
                    && conflict_or_else(store.update_ticket_record(&marked, record.version).await)?
                        .is_none()
                {
                    return Ok(Step::Redo(None));
                }
                Ok(self.report(ApplyOutcome::Deleted, Some(record.value.case_id), 0))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn update(
        &mut self,
        ticket: &Ticket,
        people: &TicketPeople,
        record: Versioned<TicketRecord>,
    ) -> Result<Step, SyncError> {
        let store = self.session.ctx.store.clone();
        let case_id = record.value.case_id.clone();
        let Some(case) = store.get_case(&case_id).await? else {
            return Err(SyncError::Inconsistent(format!(
                "ticket {} is linked to case {case_id}, which does not exist",
                ticket.id
            )));
        };
        let mut rules = MergeRules::for_ticket(&self.session.integration, Some(&record.value));
        let shadow = &record.value.shadow;
        let crm_moved_assignee =
            !shadow.recorded || shadow.crm.assigned_to != case.value.assigned_to;
        let assignee_in_zendesk = if rules.push_to_zendesk && crm_moved_assignee {
            self.book
                .zendesk_assignee(self.session, case.value.assigned_to.as_ref())
                .await?
        } else if case.value.assigned_to == people.assignee {
            // Not a CRM change: only used to see that both sides agree.
            ticket.assignee_id
        } else {
            None
        };
        let case_side = CaseSide::new(&case.value, assignee_in_zendesk);
        let ticket_side = TicketSide::new(ticket, people);
        let mut merge = merge_fields(shadow, &case_side, &ticket_side, rules);
        hold_unpushable_assignee(&mut merge, shadow);
        // Judged against the ticket as merged: if Zendesk moved since, the safe update below
        // answers 409 and the redo judges again with Zendesk's state now.
        self.reopen_withheld = withhold_reopen(&mut merge, shadow, ticket.status.as_ref());
        let mut closed = record.value.closed_in_zendesk;
        let mut after_push: Option<Ticket> = None;
        let to_push = without_pushed(merge.zendesk_changes.clone(), &self.pushed);
        let (changes, fields) = ticket_changes(&to_push);
        if rules.push_to_zendesk && !changes.is_empty() {
            let api = self.session.api().await?;
            let stamp = ticket
                .updated_at
                .unwrap_or_else(|| self.session.ctx.clock.now());
            match api.update_ticket(ticket.id, &changes, stamp).await {
                Ok(updated) => {
                    note_pushed(&mut self.pushed, &to_push);
                    self.pushed_fields.extend(fields);
                    after_push = Some(updated);
                }
                Err(ZendeskError::Conflict { .. }) => {
                    // Zendesk changed since the state we merged: merge again with its state now.
                    self.zendesk_conflicts += 1;
                    if self.zendesk_conflicts > MAX_ZENDESK_CONFLICTS {
                        return Err(SyncError::Contended {
                            attempts: self.zendesk_conflicts,
                            what: format!("safe update of Zendesk ticket {}", ticket.id),
                        });
                    }
                    let fresh = api.show_ticket(ticket.id).await?;
                    self.book.add_users(fresh.users);
                    return Ok(Step::Redo(Some(Box::new(fresh.ticket))));
                }
                Err(ZendeskError::ClosedTicket { .. }) => {
                    // Never retried: the CRM keeps its values, Zendesk stays as it is.
                    self.closed_now = true;
                    closed = true;
                    rules.push_to_zendesk = false;
                    merge = merge_fields(shadow, &case_side, &ticket_side, rules);
                    hold_unpushable_assignee(&mut merge, shadow);
                }
                Err(e) => return Err(e.into()),
            }
        }
        for field in &merge.conflicts {
            if !self.conflicts.contains(field) {
                self.conflicts.push(*field);
            }
        }
        self.write(ticket, people, record, case, merge, closed, after_push)
            .await
    }
}
