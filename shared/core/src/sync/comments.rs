//! Zendesk comments → case comments (docs/sync-rules.md §3.3), applied to a case whether or not the
//! case exists yet (its id is derived, or found through the ticket record), so comments may arrive
//! before or after their ticket.

use zsync_mapping::comment_mapping::{
    CommentTarget, comment_target, crm_description_comment, new_case_comment, update_case_comment,
};
use zsync_mapping::people::{PeopleToLoad, PersonResolution, resolve_person};
use zsync_mapping::zendesk::Comment;
use zsync_mapping::{CaseComment, CaseId, PersonRef, ZendeskId};

use crate::ids::comment_id_for_zendesk;
use crate::sync::SyncError;
use crate::sync::people::{PeopleBook, referenced_by};
use crate::sync::session::Session;

/// Whether comments already imported are updated (edits, redactions) or only missing ones
/// added — the latter for comments carried by a state older than the one applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommentMode {
    UpdateExisting,
    AddMissing,
}

/// Upserts `comments` on `case_id`; returns how many case comments were written.
pub(crate) async fn apply_comments(
    session: &mut Session<'_>,
    book: &mut PeopleBook,
    case_id: &CaseId,
    comments: &[Comment],
    mode: CommentMode,
) -> Result<usize, SyncError> {
    if comments.is_empty() {
        return Ok(0);
    }
    let owner = session.integration.owner_id.clone();
    let authors = book
        .resolve(session, &referenced_by(None, comments), |known| {
            let mut load = PeopleToLoad::default();
            let mut authors = Vec::with_capacity(comments.len());
            for comment in comments {
                match resolve_person(comment.author_id, known, &owner) {
                    PersonResolution::Found(person) => authors.push(Some(person)),
                    PersonResolution::NoReference => authors.push(None),
                    PersonResolution::NeedsFetch(id) => load.fetch.push(id),
                    PersonResolution::NeedsContact(id) => load.contacts.push(id),
                }
            }
            if load.fetch.is_empty() && load.contacts.is_empty() {
                Ok(authors)
            } else {
                load.fetch.sort_unstable();
                load.fetch.dedup();
                load.contacts.sort_unstable();
                load.contacts.dedup();
                Err(load)
            }
        })
        .await?;

    let store = &session.ctx.store;
    let now = session.ctx.clock.now();
    let mut existing = store.list_comments(case_id).await?;
    let mut changed: Vec<CaseComment> = Vec::new();
    let mut ordered: Vec<(&Comment, Option<PersonRef>)> = comments.iter().zip(authors).collect();
    ordered.sort_by_key(|(c, _)| (c.created_at.is_none(), c.created_at, c.id));
    for (comment, author) in ordered {
        let target = match comment_target(comment, comments, &existing) {
            CommentTarget::LinkDescription(id) if !same_text(&existing, &id, comment) => {
                // Only a partial comment list was seen (a split snapshot, an events page): its
                // first public comment need not be the description. Link by content only.
                CommentTarget::New
            }
            other => other,
        };
        let updated = match target {
            CommentTarget::Existing(id) if mode == CommentMode::UpdateExisting => {
                existing_update(&existing, &id, comment, author)
            }
            CommentTarget::Existing(_) => None,
            CommentTarget::LinkDescription(id) => link(&existing, &id, comment.id),
            CommentTarget::New => match unlinked_twin(&existing, comment) {
                // Our own push of a CRM comment, seen before the push recorded its id.
                Some(id) => link(&existing, &id, comment.id),
                None => Some(new_case_comment(
                    comment,
                    comment_id_for_zendesk(session.id(), comment.id),
                    case_id.clone(),
                    author,
                    now,
                )),
            },
        };
        if let Some(updated) = updated {
            match existing.iter_mut().find(|c| c.id == updated.id) {
                Some(slot) => *slot = updated.clone(),
                None => existing.push(updated.clone()),
            }
            changed.push(updated);
        }
    }
    // One write for the lot: a first sync stores every comment of every ticket.
    store.put_comments(&changed).await?;
    Ok(changed.len())
}

fn find<'a>(existing: &'a [CaseComment], id: &zsync_mapping::CommentId) -> Option<&'a CaseComment> {
    existing.iter().find(|c| &c.id == id)
}

fn same_text(existing: &[CaseComment], id: &zsync_mapping::CommentId, comment: &Comment) -> bool {
    find(existing, id).is_some_and(|c| c.body.trim() == comment.body.trim())
}

/// An edit or redaction in Zendesk; the author of a comment we already hold is kept (our own
/// pushes come back authored by the API user).
fn existing_update(
    existing: &[CaseComment],
    id: &zsync_mapping::CommentId,
    comment: &Comment,
    author: Option<PersonRef>,
) -> Option<CaseComment> {
    let mut updated = find(existing, id)?.clone();
    let author = if updated.author.is_some() {
        None
    } else {
        author
    };
    update_case_comment(&mut updated, comment, author).then_some(updated)
}

fn link(
    existing: &[CaseComment],
    id: &zsync_mapping::CommentId,
    zendesk_id: ZendeskId,
) -> Option<CaseComment> {
    let mut linked = find(existing, id)?.clone();
    linked.zendesk_comment_id = Some(zendesk_id);
    Some(linked)
}

/// A CRM comment not yet linked to Zendesk with exactly this text and visibility (and not the
/// description comment, which the description link handles).
fn unlinked_twin(existing: &[CaseComment], comment: &Comment) -> Option<zsync_mapping::CommentId> {
    let description = crm_description_comment(existing).map(|c| c.id.clone());
    existing
        .iter()
        .filter(|c| c.zendesk_comment_id.is_none() && Some(&c.id) != description.as_ref())
        .find(|c| c.public == comment.public && c.body.trim() == comment.body.trim())
        .map(|c| c.id.clone())
}
