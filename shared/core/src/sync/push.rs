//! CRM → Zendesk field pushes (docs/sync-rules.md §4): only the fields the merge says the CRM wins,
//! as a safe update against the ticket state the merge saw.

use zsync_mapping::merge::{SyncedField, ZendeskChanges};

use crate::ports::{NewComment, TicketChanges};

/// The ticket update for `changes`, and the fields it carries.
///
/// Decisions where docs/sync-rules.md is silent:
/// - Zendesk cannot rewrite a ticket's description (its first comment); a changed CRM
///   description is added as a private note so agents see it without mailing the requester.
/// - Unassigning in the CRM is not pushed (the port cannot clear an assignee); the next
///   Zendesk state then wins that field back.
pub(crate) fn ticket_changes(changes: &ZendeskChanges) -> (TicketChanges, Vec<SyncedField>) {
    let mut fields = Vec::new();
    let mut out = TicketChanges::default();
    if let Some(subject) = &changes.subject {
        out.subject = Some(subject.clone());
        fields.push(SyncedField::Subject);
    }
    if let Some(status) = &changes.status {
        out.status = Some(status.clone());
        fields.push(SyncedField::Status);
    }
    if let Some(priority) = &changes.priority {
        out.priority = Some(priority.clone());
        fields.push(SyncedField::Priority);
    }
    if let Some(Some(assignee)) = changes.assignee_id {
        out.assignee_id = Some(assignee);
        fields.push(SyncedField::Assignee);
    }
    if let Some(description) = &changes.description {
        out.comment = Some(NewComment {
            body: format!("Description changed in the CRM:\n\n{description}"),
            public: false,
            author_id: None,
        });
        fields.push(SyncedField::Description);
    }
    (out, fields)
}

/// Drops from `changes` what this invocation already pushed (a redo after a lost store race
/// must not push the same values, or the same description note, twice).
pub(crate) fn without_pushed(
    mut changes: ZendeskChanges,
    pushed: &ZendeskChanges,
) -> ZendeskChanges {
    fn drop_same<T: PartialEq>(slot: &mut Option<T>, pushed: &Option<T>) {
        if slot.is_some() && slot == pushed {
            *slot = None;
        }
    }
    drop_same(&mut changes.subject, &pushed.subject);
    drop_same(&mut changes.description, &pushed.description);
    drop_same(&mut changes.status, &pushed.status);
    drop_same(&mut changes.priority, &pushed.priority);
    drop_same(&mut changes.assignee_id, &pushed.assignee_id);
    changes
}

/// Remembers what was pushed, field by field.
pub(crate) fn note_pushed(pushed: &mut ZendeskChanges, changes: &ZendeskChanges) {
    fn keep<T: Clone>(slot: &mut Option<T>, new: &Option<T>) {
        if new.is_some() {
            slot.clone_from(new);
        }
    }
    keep(&mut pushed.subject, &changes.subject);
    keep(&mut pushed.description, &changes.description);
    keep(&mut pushed.status, &changes.status);
    keep(&mut pushed.priority, &changes.priority);
    keep(&mut pushed.assignee_id, &changes.assignee_id);
}

pub(crate) fn field_names(fields: &[SyncedField]) -> String {
    fields
        .iter()
        .map(|f| match f {
            SyncedField::Subject => "subject",
            SyncedField::Description => "description",
            SyncedField::Status => "status",
            SyncedField::Priority => "priority",
            SyncedField::Assignee => "assignee",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zsync_mapping::zendesk::{TicketPriority, TicketStatus};

    #[test]
    fn only_changed_fields_are_sent() {
        let changes = ZendeskChanges {
            priority: Some(TicketPriority::High),
            ..ZendeskChanges::default()
        };
        let (update, fields) = ticket_changes(&changes);
        assert_eq!(
            update,
            TicketChanges {
                priority: Some(TicketPriority::High),
                ..TicketChanges::default()
            }
        );
        assert_eq!(fields, vec![SyncedField::Priority]);
    }

    #[test]
    fn a_description_change_becomes_a_private_note_and_unassigning_is_not_sent() {
        let changes = ZendeskChanges {
            description: Some("new text".into()),
            assignee_id: Some(None),
            ..ZendeskChanges::default()
        };
        let (update, fields) = ticket_changes(&changes);
        let note = update.comment.expect("a note");
        assert!(!note.public && note.body.contains("new text"));
        assert_eq!(update.assignee_id, None);
        assert_eq!(fields, vec![SyncedField::Description]);
    }

    #[test]
    fn what_was_pushed_is_not_pushed_again() {
        let first = ZendeskChanges {
            status: Some(TicketStatus::Pending),
            description: Some("d".into()),
            ..ZendeskChanges::default()
        };
        let mut pushed = ZendeskChanges::default();
        note_pushed(&mut pushed, &first);
        let again = ZendeskChanges {
            status: Some(TicketStatus::Pending),
            description: Some("d".into()),
            subject: Some("new".into()),
            ..ZendeskChanges::default()
        };
        let left = without_pushed(again, &pushed);
        assert_eq!(
            left,
            ZendeskChanges {
                subject: Some("new".into()),
                ..ZendeskChanges::default()
            }
        );
    }
}
