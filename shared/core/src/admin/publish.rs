//! Publish a CRM case to Zendesk as a new ticket (docs/sync-rules.md §4). Exactly one ticket per case, even
//! for a second call, a retry after a timeout or two concurrent calls: a lease per case
//! serialises attempts, and the ticket's `external_id` (the case id) finds an earlier attempt
//! whose ticket was created but whose record was never saved. Comments written before the
//! publish are pushed right after it (through the push outbox, `sync::outbox`).

use zsync_mapping::comment_mapping::crm_description_comment;
use zsync_mapping::email::usable_email;
use zsync_mapping::merge::{CaseSide, TicketSide};
use zsync_mapping::people::{KnownPeople, TicketPeople, zendesk_assignee_for};
use zsync_mapping::publish_mapping::{PublishRequester, publish_requester, ticket_for_case};
use zsync_mapping::record_mapping::new_ticket_record;
use zsync_mapping::zendesk::Ticket;
use zsync_mapping::{
    Case, CaseId, Contact, Integration, IntegrationId, PersonRef, Shadow, TicketRecord, UserId,
};

use super::cases::{CaseView, load_case, view_of};
use super::error::{AdminError, AdminResult};
use super::support::{Lease, load_integration, zendesk_for};
use crate::context::SyncContext;
use crate::message::SyncMessage;
use crate::ports::{NewComment, NewTicket, Requester, StoreError, ZendeskApi};

const WRITE_ATTEMPTS: usize = 3;

pub fn publish_lease(case: &CaseId) -> String {
    format!("publish#{case}")
}

pub async fn publish_case(
    ctx: &SyncContext,
    case_id: &CaseId,
    integration_id: &IntegrationId,
) -> AdminResult<CaseView> {
    let case = load_case(ctx, case_id).await?.value;
    let integration = load_integration(ctx, integration_id).await?.value;
    if !integration.two_way_sync {
        return Err(AdminError::conflict(
            "two_way_sync_off",
            format!(
                "integration {integration_id} does not have two-way sync on; cases cannot be published to it"
            ),
        ));
    }
    if !integration.active {
        return Err(AdminError::conflict(
            "integration_inactive",
            format!("integration {integration_id} is not active; activate it first"),
        ));
    }
    refuse_if_linked(ctx, &case).await?;
    let lease = Lease::take(
        ctx,
        publish_lease(case_id),
        format!("case {case_id} is being published by another request"),
    )
    .await?;
    let result = publish_locked(ctx, case_id, &integration).await;
    lease.release(ctx).await;
    result
}

async fn refuse_if_linked(ctx: &SyncContext, case: &Case) -> AdminResult<()> {
    let record = ctx.store.get_ticket_record_for_case(&case.id).await?;
    if let Some(record) = record {
        return Err(AdminError::conflict(
            "already_published",
            format!(
                "case {} is already linked to Zendesk ticket {}",
                case.id, record.value.ticket_number
            ),
        ));
    }
    if case.integration_id.is_some() {
        return Err(AdminError::conflict(
            "already_published",
            format!("case {} is already linked to Zendesk", case.id),
        ));
    }
    Ok(())
}

async fn publish_locked(
    ctx: &SyncContext,
    case_id: &CaseId,
    integration: &Integration,
) -> AdminResult<CaseView> {
    // Re-read under the lease: a concurrent publish may have finished in between.
    let case = load_case(ctx, case_id).await?.value;
    refuse_if_linked(ctx, &case).await?;
    let zendesk = zendesk_for(ctx, integration).await?;
    let external_id = zsync_mapping::publish_mapping::publish_external_id(case_id);
    let earlier = zendesk
        .find_tickets_by_external_id(&external_id)
        .await?
        .into_iter()
        .find(|t| !t.is_deleted());
    let contact = match &case.contact_id {
        Some(id) => ctx.store.get_contact(id).await?,
        None => None,
    };
    let ticket = match earlier {
        Some(ticket) => ticket,
        None => create_ticket(ctx, zendesk.as_ref(), integration, &case, contact.as_ref()).await?,
    };
    let people = ticket_people(ctx, integration, &case, contact.as_ref(), &ticket).await?;
    let mut record = new_ticket_record(&ticket, integration.id.clone(), case.id.clone(), &people);
    record.shadow = Shadow::agreed(
        &CaseSide::new(&case, ticket.assignee_id),
        &TicketSide::new(&ticket, &people),
    );
    save_link(ctx, &record).await?;
    let linked = link_case(ctx, case_id, &integration.id).await?;
    if let Err(e) = push_earlier_comments(ctx, case_id, &integration.id).await {
        // The case is published; answering an error would only make the retry a conflict.
        tracing::warn!(case = %case_id, error = %e, "comments written before the publish not queued for Zendesk");
    }
    view_of(ctx, linked).await
}

/// Comments written before the publish (other than the description, which the new ticket
/// carries) go to Zendesk right after it: the case is marked in the push outbox (re-writing
/// its newest such comment, unchanged, with the mark) and a push is enqueued.
async fn push_earlier_comments(
    ctx: &SyncContext,
    case_id: &CaseId,
    integration_id: &IntegrationId,
) -> AdminResult<()> {
    let comments = ctx.store.list_comments(case_id).await?;
    let description = crm_description_comment(&comments).map(|d| d.id.clone());
    let Some(newest) = comments
        .iter()
        .rev()
        .find(|c| c.zendesk_comment_id.is_none() && Some(&c.id) != description.as_ref())
    else {
        return Ok(());
    };
    ctx.store
        .put_comment_marking_push(newest, integration_id)
        .await?;
    let message = SyncMessage::CaseChanged {
        integration_id: integration_id.clone(),
        case_id: case_id.clone(),
    };
    if let Err(e) = ctx.queue.send(&[message]).await {
        tracing::warn!(case = %case_id, error = %e, "push not enqueued; it stays in the outbox for the next sweep");
    }
    Ok(())
}

async fn create_ticket(
    ctx: &SyncContext,
    zendesk: &dyn ZendeskApi,
    integration: &Integration,
    case: &Case,
    contact: Option<&Contact>,
) -> AdminResult<Ticket> {
    let mut known = KnownPeople::default();
    let assigned_email = match &case.assigned_to {
        Some(id) => ctx.store.get_user(id).await?.map(|u| u.email),
        None => None,
    };
    let lookups = [
        assigned_email.as_deref(),
        integration.default_zendesk_user_email.as_deref(),
        contact.and_then(|c| c.email.as_deref()),
    ];
    for email in lookups.into_iter().filter_map(|e| usable_email(e)) {
        if let Some(user) = zendesk.find_user_by_email(&email).await? {
            known.add_zendesk_user(user);
        }
    }
    let assignee = zendesk_assignee_for(
        assigned_email.as_deref(),
        integration.default_zendesk_user_email.as_deref(),
        &known,
    );
    let requester = publish_requester(contact, &known);
    let published = ticket_for_case(case, assignee, requester);
    let new_ticket = NewTicket {
        subject: published.subject,
        comment: NewComment {
            body: published.description,
            public: true,
            author_id: None,
        },
        requester: match published.requester {
            PublishRequester::Existing(id) => Some(Requester::Id(id)),
            PublishRequester::NewEndUser { name, email } => Some(Requester::Named { name, email }),
            PublishRequester::ApiUser => None,
        },
        assignee_id: published.assignee_id,
        priority: Some(published.priority),
        status: Some(published.status),
        ticket_type: None,
        external_id: Some(published.external_id),
    };
    Ok(zendesk.create_ticket(&new_ticket).await?)
}

/// The CRM people of the new ticket, from what publishing chose (no Zendesk look-ups needed):
/// the case's contact requests it (else the API user's CRM user, else the owner), the API user
/// submits it, and the assignee is the case's user when Zendesk assigned someone.
async fn ticket_people(
    ctx: &SyncContext,
    integration: &Integration,
    case: &Case,
    contact: Option<&Contact>,
    ticket: &Ticket,
) -> AdminResult<TicketPeople> {
    let api_user = crm_user_or_owner(ctx, &integration.api_email, &integration.owner_id).await?;
    let requester = match contact {
        Some(c) if usable_email(c.email.as_deref()).is_some() => PersonRef::Contact(c.id.clone()),
        _ => PersonRef::User(api_user.clone()),
    };
    let assignee = match (ticket.assignee_id, &case.assigned_to) {
        (None, _) => None,
        (Some(_), Some(user)) => Some(user.clone()),
        (Some(_), None) => Some(match &integration.default_zendesk_user_email {
            Some(email) => crm_user_or_owner(ctx, email, &integration.owner_id).await?,
            None => integration.owner_id.clone(),
        }),
    };
    Ok(TicketPeople {
        requester: Some(requester),
        submitter: Some(PersonRef::User(api_user)),
        assignee,
        collaborators: Vec::new(),
    })
}

async fn crm_user_or_owner(ctx: &SyncContext, email: &str, owner: &UserId) -> AdminResult<UserId> {
    Ok(ctx
        .store
        .find_user_by_email(email)
        .await?
        .map_or_else(|| owner.clone(), |u| u.id))
}

/// Stores the ticket record. If the ticket is already linked (an import of our own ticket got
/// there first), the existing record is the link and is kept.
async fn save_link(ctx: &SyncContext, record: &TicketRecord) -> AdminResult<()> {
    match ctx.store.create_ticket_record(record).await {
        Ok(()) => Ok(()),
        Err(StoreError::AlreadyExists { .. }) => {
            let existing = ctx
                .store
                .get_ticket_record(&record.integration_id, record.ticket_number)
                .await?;
            match existing {
                Some(found) if found.value.case_id == record.case_id => Ok(()),
                _ => Err(AdminError::conflict(
                    "already_published",
                    format!(
                        "Zendesk ticket {} is already linked to another case",
                        record.ticket_number
                    ),
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

async fn link_case(
    ctx: &SyncContext,
    case_id: &CaseId,
    integration: &IntegrationId,
) -> AdminResult<Case> {
    for _ in 0..WRITE_ATTEMPTS {
        let stored = load_case(ctx, case_id).await?;
        let mut case = stored.value;
        if case.integration_id.as_ref() == Some(integration) {
            return Ok(case);
        }
        case.integration_id = Some(integration.clone());
        case.updated_at = ctx.clock.now();
        match ctx.store.update_case(&case, stored.version).await {
            Ok(_) => return Ok(case),
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::conflict(
        "concurrent_update",
        format!("case {case_id} kept changing while it was linked; retry"),
    ))
}
