//! Zendesk comments ↔ case comments (docs/sync-rules.md §3.3). The description is the first public
//! comment on both sides and must never be duplicated: Zendesk's description comment is linked to
//! the case's description comment instead of being imported a second time, and the case's
//! description comment is never pushed as an extra comment.
//!
//! Decisions where docs/sync-rules.md is silent:
//! - "First" is by `created_at`, then by id (Zendesk ids grow with time); a comment without a
//!   time sorts after dated ones.
//! - The case comment body is Zendesk's `body` (what Zendesk shows as the comment text).
//! - An unlinked CRM comment counts as the description comment only while it is the case's first
//!   public comment; then the Zendesk description comment links to it.

use crate::domain::{CaseComment, CaseId, CommentId, PersonRef, Timestamp};
use crate::zendesk::Comment;

/// Zendesk's description comment: the ticket's first public comment.
pub fn description_comment(comments: &[Comment]) -> Option<&Comment> {
    comments
        .iter()
        .filter(|c| c.public)
        .min_by_key(|c| (c.created_at.is_none(), c.created_at, c.id))
}

/// The case's description comment: its first public comment.
pub fn crm_description_comment(comments: &[CaseComment]) -> Option<&CaseComment> {
    comments
        .iter()
        .filter(|c| c.public)
        .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)))
}

/// Where an imported Zendesk comment goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentTarget {
    /// Already imported (or pushed by us): update it if it changed (edit, redaction).
    Existing(CommentId),
    /// Zendesk's description comment and the case's unlinked description comment: link them
    /// (set `zendesk_comment_id`), do not create another comment.
    LinkDescription(CommentId),
    /// A new case comment.
    New,
}

pub fn comment_target(
    comment: &Comment,
    all_zendesk_comments: &[Comment],
    case_comments: &[CaseComment],
) -> CommentTarget {
    if let Some(existing) = case_comments
        .iter()
        .find(|c| c.zendesk_comment_id == Some(comment.id))
    {
        return CommentTarget::Existing(existing.id.clone());
    }
    let is_description =
        description_comment(all_zendesk_comments).is_some_and(|d| d.id == comment.id);
    match crm_description_comment(case_comments) {
        Some(crm) if is_description && crm.zendesk_comment_id.is_none() => {
            CommentTarget::LinkDescription(crm.id.clone())
        }
        _ => CommentTarget::New,
    }
}

/// A new case comment for a Zendesk comment.
pub fn new_case_comment(
    comment: &Comment,
    id: CommentId,
    case_id: CaseId,
    author: Option<PersonRef>,
    now: Timestamp,
) -> CaseComment {
    CaseComment {
        id,
        case_id,
        body: comment.body.clone(),
        public: comment.public,
        author,
        created_at: comment.created_at.unwrap_or(now),
        zendesk_comment_id: Some(comment.id),
    }
}

/// The character Zendesk puts in place of each redacted character ("The characters in the
/// redact tag will be replaced by the ▇ symbol": Zendesk's Ticket Comments API, "Redact String
/// in Comment").
pub const REDACTION_MARK: char = '▇';

/// Whether `incoming` is a copy of the comment from before a redaction that `current` already
/// shows: the same text, except that characters `current` has masked are readable again.
/// Zendesk's redaction is permanent, so such a copy is out of date (a message queued before the
/// redaction, delivered after it) and must not bring the text back (docs/sync-rules.md §3.3).
pub fn undoes_redaction(current: &str, incoming: &str) -> bool {
    if current == incoming || !current.contains(REDACTION_MARK) {
        return false;
    }
    let mut current = current.chars();
    let mut incoming = incoming.chars();
    loop {
        match (current.next(), incoming.next()) {
            (None, None) => return true,
            (Some(c), Some(i)) if c == i || c == REDACTION_MARK => {}
            _ => return false,
        }
    }
}

/// Applies a Zendesk comment to its case comment; `true` if anything changed (so the caller
/// writes only real changes). A copy older than a redaction the case comment already shows
/// changes nothing ([`undoes_redaction`]).
pub fn update_case_comment(
    existing: &mut CaseComment,
    comment: &Comment,
    author: Option<PersonRef>,
) -> bool {
    if undoes_redaction(&existing.body, &comment.body) {
        return false;
    }
    let before = existing.clone();
    existing.body = comment.body.clone();
    existing.public = comment.public;
    if author.is_some() {
        existing.author = author;
    }
    existing.zendesk_comment_id = Some(comment.id);
    *existing != before
}

/// Case comments to push to Zendesk: not in Zendesk yet, and not the description comment of
/// a linked case (a new ticket carries the description as its first comment).
pub fn comments_to_push(case_comments: &[CaseComment]) -> Vec<&CaseComment> {
    let description = crm_description_comment(case_comments).map(|c| &c.id);
    let mut pending: Vec<&CaseComment> = case_comments
        .iter()
        .filter(|c| c.zendesk_comment_id.is_none() && Some(&c.id) != description)
        .collect();
    pending.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    pending
}

#[cfg(test)]
#[path = "comment_mapping_tests.rs"]
mod tests;
