//! The CRM → Zendesk flows (docs/sync-rules.md §4, two-way sync only): a changed linked case pushes
//! only the fields the merge gives the CRM; a new case comment is added to the ticket and linked,
//! so its echo is recognised.

use zsync_mapping::comment_mapping::crm_description_comment;
use zsync_mapping::{CaseId, CommentId, IntegrationId, LogOutcome, TicketRecord, ZendeskId};

use crate::context::SyncContext;
use crate::ports::{NewComment, StoreError, Versioned, ZendeskError};
use crate::sync::SyncError;
use crate::sync::apply::{ApplyReport, apply_state};
use crate::sync::inbound::{mark_gone, record_outcome};
use crate::sync::people::PeopleBook;
use crate::sync::session::Session;

/// The linked, writable ticket record of a case, or `None` (with the reason logged) when
/// nothing may be pushed.
async fn pushable_record(
    session: &Session<'_>,
    case_id: &CaseId,
) -> Result<Option<Versioned<TicketRecord>>, SyncError> {
    if !session.integration.two_way_sync {
        tracing::info!(integration = %session.id(), case = %case_id, "two-way sync is off; nothing pushed");
        return Ok(None);
    }
    let record = session
        .ctx
        .store
        .get_ticket_record_for_case(case_id)
        .await?;
    let Some(record) = record.filter(|r| &r.value.integration_id == session.id()) else {
        tracing::info!(integration = %session.id(), case = %case_id, "case is not linked to this integration");
        return Ok(None);
    };
    let ticket = Some(record.value.ticket_number);
    if record.value.deleted {
        let message =
            format!("case {case_id} changed, but its ticket is deleted in Zendesk: not pushed");
        session.log(ticket, LogOutcome::Deleted, message).await;
        return Ok(None);
    }
    if record.value.closed_in_zendesk {
        let message =
            format!("case {case_id} changed, but its Zendesk ticket is closed: not pushed");
        session
            .log(ticket, LogOutcome::ClosedInZendesk, message)
            .await;
        return Ok(None);
    }
    Ok(Some(record))
}

/// A linked case changed in the CRM: fetch the ticket (one request), merge, push the fields the
/// CRM wins and apply the ones Zendesk wins. `None`: nothing to push (integration inactive,
/// two-way off, case not linked, ticket deleted or closed).
pub async fn push_case_change(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    case_id: &CaseId,
) -> Result<Option<ApplyReport>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, None).await? else {
        return Ok(None);
    };
    let Some(record) = pushable_record(&session, case_id).await? else {
        return Ok(None);
    };
    let ticket_id = record.value.ticket_number;
    let fetched = match session.api().await?.show_ticket(ticket_id).await {
        Ok(envelope) => envelope,
        Err(ZendeskError::NotFound { .. }) => {
            return mark_gone(&session, ticket_id).await.map(Some);
        }
        Err(e) => return Err(e.into()),
    };
    let mut book = PeopleBook::new(fetched.users);
    let report = apply_state(&mut session, &mut book, fetched.ticket, &[]).await?;
    record_outcome(&session, ticket_id, &report, false).await;
    Ok(Some(report))
}

/// A new comment on a linked case: add it to the Zendesk ticket (as the API user) and record
/// its Zendesk id. Idempotent: a comment already linked, or already in Zendesk from an earlier
/// attempt (same text, not linked to another case comment), is not added again. Returns the
/// Zendesk comment id when known.
pub async fn push_case_comment(
    ctx: &SyncContext,
    integration_id: &IntegrationId,
    case_id: &CaseId,
    comment_id: &CommentId,
) -> Result<Option<ZendeskId>, SyncError> {
    let Some(mut session) = Session::open(ctx, integration_id, None).await? else {
        return Ok(None);
    };
    let Some(record) = pushable_record(&session, case_id).await? else {
        return Ok(None);
    };
    let ticket_id = record.value.ticket_number;
    let store = ctx.store.clone();
    let case_comments = store.list_comments(case_id).await?;
    let Some(comment) = case_comments.iter().find(|c| &c.id == comment_id).cloned() else {
        return Err(SyncError::Inconsistent(format!(
            "comment {comment_id} of case {case_id} does not exist"
        )));
    };
    if comment.zendesk_comment_id.is_some() {
        return Ok(comment.zendesk_comment_id);
    }
    if crm_description_comment(&case_comments).is_some_and(|d| d.id == comment.id) {
        // The ticket's description already carries it (docs/sync-rules.md §3.3: never duplicated).
        return Ok(None);
    }
    let api = session.api().await?;
    let linked: Vec<ZendeskId> = case_comments
        .iter()
        .filter_map(|c| c.zendesk_comment_id)
        .collect();
    let twin = |zendesk: &[zsync_mapping::zendesk::Comment]| {
        zendesk
            .iter()
            .rev()
            .find(|z| {
                !linked.contains(&z.id)
                    && z.public == comment.public
                    && z.body.trim() == comment.body.trim()
            })
            .map(|z| z.id)
    };
    let mut zendesk_id = twin(&api.ticket_comments(ticket_id).await?.comments);
    if zendesk_id.is_none() {
        let new = NewComment {
            body: comment.body.clone(),
            public: comment.public,
            author_id: None,
        };
        match api.add_comment(ticket_id, &new).await {
            Ok(_) => {}
            Err(ZendeskError::ClosedTicket { .. }) => {
                mark_closed(&session, &record).await?;
                let message = format!(
                    "comment {comment_id} of case {case_id} not added: Zendesk ticket #{ticket_id} is closed (not retried)"
                );
                session
                    .log(Some(ticket_id), LogOutcome::ClosedInZendesk, message)
                    .await;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        zendesk_id = twin(&api.ticket_comments(ticket_id).await?.comments);
    }
    if let Some(id) = zendesk_id {
        let mut pushed = comment.clone();
        pushed.zendesk_comment_id = Some(id);
        store.put_comment(&pushed).await?;
    }
    let message =
        format!("comment {comment_id} of case {case_id} added to Zendesk ticket #{ticket_id}");
    session
        .log(Some(ticket_id), LogOutcome::Pushed, message)
        .await;
    Ok(zendesk_id)
}

/// Records a 422 "closed" on the ticket record (re-reading on a lost race).
async fn mark_closed(
    session: &Session<'_>,
    record: &Versioned<TicketRecord>,
) -> Result<(), SyncError> {
    let store = &session.ctx.store;
    let mut current = record.clone();
    for _ in 0..3 {
        if current.value.closed_in_zendesk {
            return Ok(());
        }
        let mut closed = current.value.clone();
        closed.closed_in_zendesk = true;
        match store.update_ticket_record(&closed, current.version).await {
            Ok(_) => return Ok(()),
            Err(StoreError::VersionConflict { .. }) => {
                match store
                    .get_ticket_record(session.id(), current.value.ticket_number)
                    .await?
                {
                    Some(fresh) => current = fresh,
                    None => return Ok(()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::Contended {
        attempts: 3,
        what: format!("ticket record {}", record.value.ticket_number),
    })
}
