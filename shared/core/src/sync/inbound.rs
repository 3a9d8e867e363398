//! The Zendesk → CRM flows of the mapper: a ticket snapshot from the export, comments from the
//! ticket-events export, and a webhook's "this ticket changed" (fetched, then applied).

use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{CaseId, IntegrationId, JobCounter, JobId, LogOutcome, ZendeskId};

use crate::context::SyncContext;
use crate::ids::case_id_for_ticket;
use crate::ports::{TicketComments, ZendeskError};
use crate::sync::SyncError;
use crate::sync::apply::{ApplyOutcome, ApplyReport, apply_state};
use crate::sync::comments::{CommentMode, apply_comments};
use crate::sync::people::PeopleBook;
use crate::sync::push::field_names;
use crate::sync::relink::relink_former_case;
use crate::sync::session::Session;
use crate::sync::sighting::first_sighting;

/// One Zendesk ticket state with the people it references and (some of) its comments.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketState {
    pub ticket: Ticket,
    pub users: Vec<User>,
    pub comments: Vec<Comment>,
}

/// Applies a ticket state (export snapshot or fetched). `None`: the integration is unknown or
/// inactive, nothing was done. `counts_ticket` is false for the later parts of a split
/// snapshot, so a job counts each ticket once.
pub async fn apply_ticket_snapshot(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    job_id: Option<&JobId>,
    state: TicketState,
    counts_ticket: bool,
) -> Result<Option<ApplyReport>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, job_id.cloned()).await? else {
        return Ok(None);
    };
    let mut book = PeopleBook::new(state.users);
    let ticket_id = state.ticket.id;
    let report = apply_state(&mut session, &mut book, state.ticket, &state.comments).await?;
    record_outcome(&session, ticket_id, &report, counts_ticket).await;
    Ok(Some(report))
}

/// Applies comments of one ticket to its case — found through the ticket record, else the
/// derived id, so they land on the right case even before its ticket arrives. Returns the
/// number of case comments written (`None`: integration unknown or inactive).
///
/// These come from the export's comment-creation events, so they only add what is missing: a
/// message queued before a redaction or privacy change may be delivered after it and must not
/// undo it. Changes to existing comments arrive through [`reread_ticket_comments`] and the
/// webhook's fetch, which read Zendesk's current comments (docs/sync-rules.md §3.3).
pub async fn apply_ticket_comments(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    job_id: Option<&JobId>,
    ticket_id: ZendeskId,
    comments: &[Comment],
    users: Vec<User>,
) -> Result<Option<usize>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, job_id.cloned()).await? else {
        return Ok(None);
    };
    let case_id = case_of_ticket(&mut session, ticket_id).await?;
    let mut book = PeopleBook::new(users);
    let written = apply_comments(
        &mut session,
        &mut book,
        &case_id,
        comments,
        CommentMode::AddMissing,
    )
    .await?;
    if written > 0 {
        let message =
            format!("{written} comment(s) of ticket #{ticket_id} imported to case {case_id}");
        session
            .log(Some(ticket_id), LogOutcome::Updated, message)
            .await;
    }
    Ok(Some(written))
}

/// The ticket-events export saw comments of this ticket change in Zendesk (redacted, made
/// private; docs/sync-rules.md §3.3). Those events carry no new text, so the ticket's comments
/// are read again — one request for the ticket, however many of its comments changed — and only
/// the case comments whose body or public flag differ are written. Returns that number (`None`:
/// integration unknown or inactive). A ticket Zendesk no longer serves is left to the ticket
/// export, whose deleted state marks the record (§3.5).
pub async fn reread_ticket_comments(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    job_id: Option<&JobId>,
    ticket_id: ZendeskId,
) -> Result<Option<usize>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, job_id.cloned()).await? else {
        return Ok(None);
    };
    let api = session.api().await?;
    let TicketComments { comments, users } = match api.ticket_comments(ticket_id).await {
        Ok(read) => read,
        Err(ZendeskError::NotFound { .. }) => {
            tracing::info!(integration = %integration_id, ticket = ticket_id, "comments changed on a ticket Zendesk no longer serves; the ticket export marks it deleted");
            return Ok(Some(0));
        }
        Err(e) => return Err(e.into()),
    };
    let case_id = case_of_ticket(&mut session, ticket_id).await?;
    let mut book = PeopleBook::new(users);
    let written = apply_comments(
        &mut session,
        &mut book,
        &case_id,
        &comments,
        CommentMode::UpdateExisting,
    )
    .await?;
    if written > 0 {
        let message = format!(
            "{written} comment(s) of ticket #{ticket_id} changed in Zendesk (redacted or made private) and were updated on case {case_id}"
        );
        session
            .log(Some(ticket_id), LogOutcome::Updated, message)
            .await;
    }
    Ok(Some(written))
}

/// A webhook said the ticket changed: fetch it with its users and its comments (two Zendesk
/// requests), then apply. A ticket Zendesk no longer serves (soft-deleted) marks the record
/// deleted.
pub async fn apply_ticket_changed(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    ticket_id: ZendeskId,
) -> Result<Option<ApplyReport>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, None).await? else {
        return Ok(None);
    };
    let api = session.api().await?;
    let fetched = match api.show_ticket(ticket_id).await {
        Ok(envelope) => envelope,
        Err(ZendeskError::NotFound { .. }) => {
            return mark_gone(&session, ticket_id).await.map(Some);
        }
        Err(e) => return Err(e.into()),
    };
    let TicketComments { comments, users } = api.ticket_comments(ticket_id).await?;
    let mut book = PeopleBook::new(fetched.users);
    book.add_users(users);
    let report = apply_state(&mut session, &mut book, fetched.ticket, &comments).await?;
    record_outcome(&session, ticket_id, &report, true).await;
    Ok(Some(report))
}

/// The ticket is gone from the REST API: deleted in Zendesk (docs/sync-rules.md §3.5).
pub(crate) async fn mark_gone(
    session: &Session<'_>,
    ticket_id: ZendeskId,
) -> Result<ApplyReport, SyncError> {
    let store = &session.ctx.store;
    let mut report = ApplyReport {
        outcome: ApplyOutcome::IgnoredDeleted,
        case_id: None,
        pushed: Vec::new(),
        conflicts: Vec::new(),
        closed_in_zendesk: false,
        reopen_withheld: None,
        comments_written: 0,
    };
    if store
        .get_ticket_record(session.id(), ticket_id)
        .await?
        .is_none()
    {
        // Leave a trace before reading again: a first sync of an older live state still in
        // the queue then marks its new record deleted (see `sighting`).
        first_sighting(session.ctx, session.id(), ticket_id).await?;
    }
    for _ in 0..3 {
        let Some(record) = store.get_ticket_record(session.id(), ticket_id).await? else {
            break;
        };
        report.outcome = ApplyOutcome::Deleted;
        report.case_id = Some(record.value.case_id.clone());
        if record.value.deleted {
            break;
        }
        let mut marked = record.value.clone();
        marked.deleted = true;
        marked.status = Some("deleted".into());
        match store.update_ticket_record(&marked, record.version).await {
            Ok(_) => break,
            Err(crate::ports::StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    record_outcome(session, ticket_id, &report, true).await;
    Ok(report)
}

/// The case a ticket's comments belong to: its record's, a deleted integration's case for the
/// same account (re-linked first, docs/sync-rules.md §2), or the id its case will be created with.
async fn case_of_ticket(
    session: &mut Session<'_>,
    ticket_id: ZendeskId,
) -> Result<CaseId, SyncError> {
    let store = session.ctx.store.clone();
    let mut record = store.get_ticket_record(session.id(), ticket_id).await?;
    if record.is_none() && relink_former_case(session, ticket_id).await? {
        record = store.get_ticket_record(session.id(), ticket_id).await?;
    }
    Ok(match record {
        Some(r) => r.value.case_id,
        None => case_id_for_ticket(session.id(), ticket_id),
    })
}

/// The sync log entries and job counters of one applied ticket state.
pub(crate) async fn record_outcome(
    session: &Session<'_>,
    ticket: ZendeskId,
    report: &ApplyReport,
    counts_ticket: bool,
) {
    let case = report
        .case_id
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    let comments = match report.comments_written {
        0 => String::new(),
        n => format!(" ({n} comment(s) written)"),
    };
    let (outcome, message, counter) = match report.outcome {
        ApplyOutcome::Created => (
            LogOutcome::Created,
            format!("case {case} created from ticket #{ticket}{comments}"),
            JobCounter::CasesCreated,
        ),
        ApplyOutcome::Updated => (
            LogOutcome::Updated,
            format!("case {case} updated from ticket #{ticket}{comments}"),
            JobCounter::CasesUpdated,
        ),
        ApplyOutcome::Unchanged => (
            LogOutcome::Unchanged,
            format!("ticket #{ticket} already in sync with case {case}"),
            JobCounter::Unchanged,
        ),
        ApplyOutcome::Stale => (
            LogOutcome::Stale,
            format!(
                "an older state of ticket #{ticket} arrived after a newer one and was ignored{comments}"
            ),
            JobCounter::Unchanged,
        ),
        ApplyOutcome::Deleted => (
            LogOutcome::Deleted,
            format!(
                "ticket #{ticket} is deleted in Zendesk; case {case} kept, pushes to Zendesk stopped"
            ),
            JobCounter::CasesUpdated,
        ),
        ApplyOutcome::IgnoredDeleted => (
            LogOutcome::Deleted,
            format!(
                "ticket #{ticket} was deleted in Zendesk before it was synced; nothing imported"
            ),
            JobCounter::Unchanged,
        ),
    };
    crate::telemetry::ticket_applied(
        session.id(),
        crate::telemetry::outcome_label(report.outcome),
    );
    if !report.conflicts.is_empty() {
        crate::telemetry::conflict(session.id(), session.integration.effective_priority());
        let winner = match session.integration.effective_priority() {
            zsync_mapping::SyncPriority::Remote => {
                "the Zendesk value was applied (sync priority remote)"
            }
            zsync_mapping::SyncPriority::Local => "the CRM value was kept (sync priority local)",
        };
        let message = format!(
            "{} changed in both Zendesk and the CRM; {winner}",
            field_names(&report.conflicts)
        );
        session
            .log(Some(ticket), LogOutcome::Conflict, message)
            .await;
    }
    if !report.pushed.is_empty() {
        let message = format!(
            "pushed {} of case {case} to Zendesk",
            field_names(&report.pushed)
        );
        session.log(Some(ticket), LogOutcome::Pushed, message).await;
    }
    if report.closed_in_zendesk {
        let message = format!(
            "Zendesk ticket #{ticket} is closed and refuses updates; the CRM changes of case {case} stay in the CRM and are not retried"
        );
        session
            .log(Some(ticket), LogOutcome::ClosedInZendesk, message)
            .await;
    }
    if let Some(withheld) = &report.reopen_withheld {
        tracing::info!(
            integration = %session.id(),
            ticket,
            case = %case,
            zendesk_status = %withheld.zendesk_status,
            requested = %withheld.requested,
            "case reopened in the CRM; its Zendesk ticket stays as it is"
        );
        let message = format!(
            "case {case} was reopened in the CRM, but Zendesk ticket #{ticket} is {}: status {} not pushed (reopening a case never reopens its ticket)",
            withheld.zendesk_status, withheld.requested
        );
        session
            .log(Some(ticket), LogOutcome::ReopenWithheld, message)
            .await;
    }
    session.log(Some(ticket), outcome, message).await;
    if counts_ticket {
        // `tickets_seen` is the export's count (tickets read); the mapper counts outcomes.
        session.count(&[counter]).await;
    }
}
