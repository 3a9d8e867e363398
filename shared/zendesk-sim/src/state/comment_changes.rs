//! Changes to existing comments, as Zendesk makes them: a redaction (`PUT
//! tickets/{id}/comments/{id}/redact`), a comment made private (`PUT …/make_private`) and a
//! free edit (tests only). Each writes an audit with its child event — `CommentRedactionEvent`
//! or `CommentPrivacyChange` (Zendesk's "Ticket Audit events reference",
//! developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference)
//! — bumps the ticket's `updated_at`, and emits `ticket.comment_redacted` /
//! `ticket.comment_made_private` to the webhooks subscribed to them.

use zsync_mapping::comment_mapping::REDACTION_MARK;
use zsync_mapping::zendesk::{Comment, Ticket, TicketStatus};

use super::webhook_events::TicketEvent;
use super::{AuditEvent, State};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CommentChangeError {
    /// No such live ticket, or no such comment on it.
    NotFound,
    /// Closed tickets refuse the change (as every other update).
    Closed,
}

/// `body` with every occurrence of `text` masked character by character ("▇").
pub(crate) fn redacted(body: &str, text: &str) -> String {
    if text.is_empty() {
        return body.to_owned();
    }
    let mask: String = std::iter::repeat_n(REDACTION_MARK, text.chars().count()).collect();
    body.replace(text, &mask)
}

impl State {
    /// Redacts every occurrence of `text` in the comment. The description is the first
    /// comment, so redacting that comment redacts the ticket's description too. Nothing to
    /// redact: the comment is returned as it is, and nothing is recorded.
    pub fn redact_comment(
        &mut self,
        ticket_id: u64,
        comment_id: u64,
        text: &str,
    ) -> Result<Comment, CommentChangeError> {
        let current = self.changeable_comment(ticket_id, comment_id)?;
        let body = redacted(&current.body, text);
        if body == current.body {
            return Ok(current);
        }
        self.change_comment(
            ticket_id,
            comment_id,
            |c| {
                c.body = body.clone();
                c.plain_body = Some(body.clone());
            },
            AuditEvent::CommentRedaction(comment_id),
            TicketEvent::CommentRedacted(comment_id),
        )
    }

    /// Makes a public comment private (Zendesk has no way back). Already private: unchanged,
    /// nothing recorded.
    pub fn make_comment_private(
        &mut self,
        ticket_id: u64,
        comment_id: u64,
    ) -> Result<Comment, CommentChangeError> {
        let current = self.changeable_comment(ticket_id, comment_id)?;
        if !current.public {
            return Ok(current);
        }
        self.change_comment(
            ticket_id,
            comment_id,
            |c| c.public = false,
            AuditEvent::CommentPrivacyChange {
                comment_id,
                public: false,
            },
            TicketEvent::CommentMadePrivate(comment_id),
        )
    }

    /// Replaces a comment's body outright (a test's free edit), recorded as a redaction.
    pub fn edit_comment(&mut self, ticket_id: u64, comment_id: u64, body: &str) -> Option<Ticket> {
        self.changeable_comment(ticket_id, comment_id).ok()?;
        let owned = body.to_owned();
        self.change_comment(
            ticket_id,
            comment_id,
            |c| {
                c.body = owned.clone();
                c.plain_body = Some(owned.clone());
            },
            AuditEvent::CommentRedaction(comment_id),
            TicketEvent::CommentRedacted(comment_id),
        )
        .ok()?;
        self.live_ticket(ticket_id).cloned()
    }

    fn changeable_comment(
        &self,
        ticket_id: u64,
        comment_id: u64,
    ) -> Result<Comment, CommentChangeError> {
        let ticket = self
            .live_ticket(ticket_id)
            .ok_or(CommentChangeError::NotFound)?;
        if ticket.status == Some(TicketStatus::Closed) {
            return Err(CommentChangeError::Closed);
        }
        self.current_comment(ticket_id, comment_id)
            .cloned()
            .ok_or(CommentChangeError::NotFound)
    }

    fn change_comment(
        &mut self,
        ticket_id: u64,
        comment_id: u64,
        change: impl Fn(&mut Comment),
        audit: AuditEvent,
        event: TicketEvent,
    ) -> Result<Comment, CommentChangeError> {
        let mut ticket = self
            .live_ticket(ticket_id)
            .cloned()
            .ok_or(CommentChangeError::NotFound)?;
        let comments = self
            .comments
            .get_mut(&ticket_id)
            .ok_or(CommentChangeError::NotFound)?;
        let is_first = comments.first().is_some_and(|c| c.id == comment_id);
        let comment = comments
            .iter_mut()
            .find(|c| c.id == comment_id)
            .ok_or(CommentChangeError::NotFound)?;
        change(comment);
        let changed = comment.clone();
        if is_first {
            ticket.description = Some(changed.body.clone());
        }
        let previous_ts = ticket.updated_at.map_or(0, |t| t.timestamp());
        let ts = self.tick(previous_ts + 1);
        let actor = self.first_staff();
        self.commit(ticket, ts, actor, "web", vec![audit], &[event])
            .map_err(|_| CommentChangeError::NotFound)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_each_character_of_every_occurrence() {
        assert_eq!(
            redacted("card 4111, again 4111", "4111"),
            "card ▇▇▇▇, again ▇▇▇▇"
        );
        assert_eq!(redacted("née", "é"), "n▇e");
        assert_eq!(redacted("nothing here", "4111"), "nothing here");
        assert_eq!(redacted("empty text", ""), "empty text");
    }
}
