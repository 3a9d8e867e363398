//! Cases as the CRM front end sees them: list, create, show (with the ticket record and the
//! comments), edit, comment. Changes to a linked case with two-way sync on are recorded in the
//! push outbox with the write itself and queued for the push to Zendesk (docs/sync-rules.md §4
//! "Updates"; see `sync::outbox`); the mapper pushes only what changed.

use zsync_mapping::publish_mapping::outbound_description;
use zsync_mapping::{
    Case, CaseComment, CaseId, CasePriority, CaseStatus, CommentId, ContactId, IntegrationId,
    PersonRef, TicketRecord, UserId,
};

use super::caller::Caller;
use super::error::{AdminError, AdminResult, FieldCheck};
use super::people::cursor_error;
use super::support::new_id;
use crate::context::SyncContext;
use crate::message::SyncMessage;
use crate::ports::{CaseFilter, Page, StoreError, Versioned};

const WRITE_ATTEMPTS: usize = 3;
const MAX_SUBJECT_CHARS: usize = 255;

/// A case with its Zendesk side and its comments (oldest first).
#[derive(Clone, Debug, PartialEq)]
pub struct CaseView {
    pub case: Case,
    pub ticket: Option<TicketRecord>,
    pub comments: Vec<CaseComment>,
}

/// A case in a list: with its ticket record (linked cases), without its comments.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseSummary {
    pub case: Case,
    pub ticket: Option<TicketRecord>,
}

/// `POST /cases` input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewCase {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<CaseStatus>,
    pub priority: Option<CasePriority>,
    pub assigned_to: Option<UserId>,
    pub contact_id: Option<ContactId>,
}

/// `PATCH /cases/{id}` input: absent fields stay; `Some(None)` clears a reference.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CasePatch {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<CaseStatus>,
    pub priority: Option<CasePriority>,
    pub assigned_to: Option<Option<UserId>>,
    pub contact_id: Option<Option<ContactId>>,
}

/// `POST /cases/{id}/comments` input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewCaseComment {
    pub body: Option<String>,
    /// Defaults to public.
    pub public: Option<bool>,
    /// The `Idempotency-Key` header: a retried request with the same key (same case, same
    /// caller) creates no second comment and answers with the first.
    pub idempotency_key: Option<String>,
}

const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The id of the comment a keyed request creates: the same for every retry of it, different
/// for another case or caller.
fn keyed_comment_id(case_id: &CaseId, caller: &Caller, key: &str) -> CommentId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{case_id}\n{}\n{key}", caller.email).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    CommentId::new(format!("ik-{hex}"))
}

pub async fn list_cases(
    ctx: &SyncContext,
    filter: &CaseFilter,
    cursor: Option<&str>,
    limit: usize,
) -> AdminResult<Page<CaseSummary>> {
    let page = ctx
        .store
        .list_cases(filter, cursor, limit)
        .await
        .map_err(cursor_error)?;
    // A page is at most a few hundred cases: read their ticket records side by side.
    let records = futures::future::try_join_all(page.items.iter().map(|case| async move {
        match case.integration_id {
            Some(_) => ctx.store.get_ticket_record_for_case(&case.id).await,
            None => Ok(None),
        }
    }))
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .zip(records)
            .map(|(case, record)| CaseSummary {
                case,
                ticket: record.map(|r| r.value),
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

fn check_subject(subject: &str, check: &mut FieldCheck) {
    if subject.trim().is_empty() {
        check.push("subject", "must not be empty");
    } else if subject.chars().count() > MAX_SUBJECT_CHARS {
        check.push(
            "subject",
            format!("must be at most {MAX_SUBJECT_CHARS} characters"),
        );
    }
}

async fn check_references(
    ctx: &SyncContext,
    assigned_to: Option<&UserId>,
    contact_id: Option<&ContactId>,
    check: &mut FieldCheck,
) -> AdminResult<()> {
    if let Some(user) = assigned_to
        && ctx.store.get_user(user).await?.is_none()
    {
        check.push("assigned_to", format!("no CRM user with id {user}"));
    }
    if let Some(contact) = contact_id
        && ctx.store.get_contact(contact).await?.is_none()
    {
        check.push("contact_id", format!("no contact with id {contact}"));
    }
    Ok(())
}

/// Creates an unlinked case and its description comment (the case's first public comment,
/// docs/sync-rules.md §3.1 — publishing links it to the ticket's description instead of pushing it
/// again).
pub async fn create_case(
    ctx: &SyncContext,
    caller: &Caller,
    input: NewCase,
) -> AdminResult<CaseView> {
    let mut check = FieldCheck::default();
    match &input.subject {
        Some(subject) => check_subject(subject, &mut check),
        None => check.push("subject", "is required"),
    }
    check_references(
        ctx,
        input.assigned_to.as_ref(),
        input.contact_id.as_ref(),
        &mut check,
    )
    .await?;
    check.finish()?;
    let now = ctx.clock.now();
    let description = input.description.unwrap_or_default();
    let case = Case {
        id: CaseId::new(new_id()),
        subject: input.subject.unwrap_or_default().trim().to_owned(),
        description: description.clone(),
        status: input.status.unwrap_or(CaseStatus::Open),
        priority: input.priority.unwrap_or(CasePriority::Normal),
        assigned_to: input.assigned_to,
        contact_id: input.contact_id,
        integration_id: None,
        created_at: now,
        updated_at: now,
    };
    ctx.store.create_case(&case).await?;
    let comment = CaseComment {
        id: CommentId::new(new_id()),
        case_id: case.id.clone(),
        body: outbound_description(&description),
        public: true,
        author: caller.user_id().cloned().map(PersonRef::User),
        created_at: now,
        zendesk_comment_id: None,
    };
    ctx.store.put_comment(&comment).await?;
    Ok(CaseView {
        case,
        ticket: None,
        comments: vec![comment],
    })
}

pub async fn load_case(ctx: &SyncContext, id: &CaseId) -> AdminResult<Versioned<Case>> {
    ctx.store
        .get_case(id)
        .await?
        .ok_or_else(|| AdminError::not_found("case", id))
}

pub async fn show_case(ctx: &SyncContext, id: &CaseId) -> AdminResult<CaseView> {
    let case = load_case(ctx, id).await?.value;
    view_of(ctx, case).await
}

pub async fn view_of(ctx: &SyncContext, case: Case) -> AdminResult<CaseView> {
    let ticket = ctx
        .store
        .get_ticket_record_for_case(&case.id)
        .await?
        .map(|v| v.value);
    let comments = ctx.store.list_comments(&case.id).await?;
    Ok(CaseView {
        case,
        ticket,
        comments,
    })
}

/// Applies the patch; true if a field synced with Zendesk changed.
fn apply_patch(case: &mut Case, patch: &CasePatch) -> bool {
    let before = case.clone();
    if let Some(subject) = &patch.subject {
        case.subject = subject.trim().to_owned();
    }
    if let Some(description) = &patch.description {
        case.description = description.clone();
    }
    if let Some(status) = patch.status {
        case.status = status;
    }
    if let Some(priority) = patch.priority {
        case.priority = priority;
    }
    if let Some(assigned_to) = &patch.assigned_to {
        case.assigned_to = assigned_to.clone();
    }
    if let Some(contact_id) = &patch.contact_id {
        case.contact_id = contact_id.clone();
    }
    case.subject != before.subject
        || case.description != before.description
        || case.status != before.status
        || case.priority != before.priority
        || case.assigned_to != before.assigned_to
}

pub async fn edit_case(ctx: &SyncContext, id: &CaseId, patch: CasePatch) -> AdminResult<CaseView> {
    let mut check = FieldCheck::default();
    if let Some(subject) = &patch.subject {
        check_subject(subject, &mut check);
    }
    check_references(
        ctx,
        patch.assigned_to.as_ref().and_then(Option::as_ref),
        patch.contact_id.as_ref().and_then(Option::as_ref),
        &mut check,
    )
    .await?;
    check.finish()?;
    for _ in 0..WRITE_ATTEMPTS {
        let stored = load_case(ctx, id).await?;
        let mut case = stored.value.clone();
        let synced_change = apply_patch(&mut case, &patch);
        if case == stored.value {
            return view_of(ctx, case).await;
        }
        case.updated_at = ctx.clock.now();
        let push_to = match synced_change {
            true => pushes_to(ctx, record_of(ctx, id).await?.as_ref()).await?,
            false => None,
        };
        // The outbox entry is written with the case: a failed send below loses nothing.
        let written = match &push_to {
            Some(integration) => {
                ctx.store
                    .update_case_marking_push(&case, stored.version, integration)
                    .await
            }
            None => ctx.store.update_case(&case, stored.version).await,
        };
        match written {
            Ok(_) => {
                let view = view_of(ctx, case).await?;
                if let Some(integration) = push_to {
                    enqueue_push(
                        ctx,
                        SyncMessage::CaseChanged {
                            integration_id: integration,
                            case_id: id.clone(),
                        },
                    )
                    .await;
                }
                return Ok(view);
            }
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::conflict(
        "concurrent_update",
        format!("case {id} kept changing while it was edited; retry"),
    ))
}

async fn record_of(ctx: &SyncContext, case_id: &CaseId) -> AdminResult<Option<TicketRecord>> {
    Ok(ctx
        .store
        .get_ticket_record_for_case(case_id)
        .await?
        .map(|v| v.value))
}

/// The fast path of a push whose outbox entry is already stored: a failed send is only
/// logged (the scheduler's sweep enqueues the entry again), so the client's edit succeeded.
async fn enqueue_push(ctx: &SyncContext, message: SyncMessage) {
    if let Err(e) = ctx.queue.send(&[message]).await {
        tracing::warn!(error = %e, "push not enqueued; it stays in the outbox for the next sweep");
    }
}

/// The integration a linked case's changes go to: two-way sync on and the ticket not deleted
/// in Zendesk. `None` if nothing is to be pushed.
async fn pushes_to(
    ctx: &SyncContext,
    record: Option<&TicketRecord>,
) -> AdminResult<Option<IntegrationId>> {
    let Some(record) = record else {
        return Ok(None);
    };
    if record.deleted {
        return Ok(None);
    }
    let integration = ctx.store.get_integration(&record.integration_id).await?;
    Ok(integration
        .filter(|i| i.value.two_way_sync)
        .map(|i| i.value.id))
}

pub async fn add_comment(
    ctx: &SyncContext,
    caller: &Caller,
    case_id: &CaseId,
    input: NewCaseComment,
) -> AdminResult<CaseComment> {
    let mut check = FieldCheck::default();
    match &input.body {
        Some(body) if body.trim().is_empty() => check.push("body", "must not be empty"),
        Some(_) => {}
        None => check.push("body", "is required"),
    }
    if let Some(key) = &input.idempotency_key
        && (key.is_empty()
            || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS
            || !key.chars().all(|c| c.is_ascii_graphic()))
    {
        check.push(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
        );
    }
    check.finish()?;
    let case = load_case(ctx, case_id).await?.value;
    let id = match &input.idempotency_key {
        Some(key) => {
            let id = keyed_comment_id(case_id, caller, key);
            let existing = ctx.store.list_comments(case_id).await?;
            if let Some(first) = existing.into_iter().find(|c| c.id == id) {
                return Ok(first);
            }
            id
        }
        None => CommentId::new(new_id()),
    };
    let comment = CaseComment {
        id,
        case_id: case.id.clone(),
        body: input.body.unwrap_or_default(),
        public: input.public.unwrap_or(true),
        author: caller.user_id().cloned().map(PersonRef::User),
        created_at: ctx.clock.now(),
        zendesk_comment_id: None,
    };
    let Some(integration) = pushes_to(ctx, record_of(ctx, &case.id).await?.as_ref()).await? else {
        ctx.store.put_comment(&comment).await?;
        return Ok(comment);
    };
    // The outbox entry is written with the comment: a failed send below loses nothing.
    ctx.store
        .put_comment_marking_push(&comment, &integration)
        .await?;
    enqueue_push(
        ctx,
        SyncMessage::CommentAdded {
            integration_id: integration,
            case_id: case_id.clone(),
            comment_id: comment.id.clone(),
        },
    )
    .await;
    Ok(comment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn case() -> Case {
        let now = Utc::now();
        Case {
            id: CaseId::new("c"),
            subject: "s".into(),
            description: "d".into(),
            status: CaseStatus::Open,
            priority: CasePriority::Normal,
            assigned_to: None,
            contact_id: None,
            integration_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn only_synced_fields_count_as_changes_to_push() {
        let mut c = case();
        let contact_only = CasePatch {
            contact_id: Some(Some(ContactId::new("k"))),
            ..CasePatch::default()
        };
        assert!(!apply_patch(&mut c, &contact_only));
        assert_eq!(c.contact_id, Some(ContactId::new("k")));
        let same_status = CasePatch {
            status: Some(CaseStatus::Open),
            ..CasePatch::default()
        };
        assert!(!apply_patch(&mut c, &same_status));
        let new_status = CasePatch {
            status: Some(CaseStatus::Resolved),
            ..CasePatch::default()
        };
        assert!(apply_patch(&mut c, &new_status));
        let unassign = CasePatch {
            assigned_to: Some(None),
            ..CasePatch::default()
        };
        c.assigned_to = Some(UserId::new("u"));
        assert!(apply_patch(&mut c, &unassign));
        assert_eq!(c.assigned_to, None);
    }
}
