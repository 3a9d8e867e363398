//! Merge properties over every combination of small value sets.

use proptest::prelude::*;

use super::super::*;
use super::{LOCAL, ONE_WAY, REMOTE};
use crate::domain::{CasePriority, CaseStatus, UserId};

const USERS: [&str; 3] = ["alice", "bob", "owner"];

/// The caller's resolution, as a fixed function of the ids (what a loaded directory gives).
fn crm_user_for(zendesk: Option<ZendeskId>) -> Option<UserId> {
    zendesk.map(|id| UserId::new(USERS[(id % 3) as usize]))
}

fn zendesk_user_for(crm: Option<&UserId>) -> Option<ZendeskId> {
    crm.and_then(|u| USERS.iter().position(|n| *n == u.as_str()))
        .map(|i| i as u64 + 100)
}

pub(super) fn any_case() -> impl Strategy<Value = CaseSide> {
    (
        prop::sample::select(vec!["", "A", "B", "N/A"]),
        prop::sample::select(vec!["", "D", "E"]),
        prop::sample::select(vec![
            CaseStatus::Open,
            CaseStatus::InProgress,
            CaseStatus::Resolved,
            CaseStatus::Closed,
        ]),
        prop::sample::select(vec![
            CasePriority::Low,
            CasePriority::Normal,
            CasePriority::High,
        ]),
        prop::option::of(prop::sample::select(USERS.to_vec())),
    )
        .prop_map(|(subject, description, status, priority, user)| {
            let assigned_to = user.map(UserId::new);
            CaseSide {
                subject: subject.into(),
                description: description.into(),
                status,
                priority,
                assignee_in_zendesk: zendesk_user_for(assigned_to.as_ref()),
                assigned_to,
            }
        })
}

pub(super) fn any_ticket() -> impl Strategy<Value = TicketSide> {
    let text = || prop::option::of(prop::sample::select(vec!["", "A", "B", "N/A", "D", "E"]));
    (
        text(),
        text(),
        prop::option::of(prop::sample::select(vec![
            "new", "open", "pending", "hold", "solved", "closed", "deleted", "CUSTOM", "Open",
        ])),
        prop::option::of(prop::sample::select(vec![
            "low", "normal", "high", "urgent", "p1",
        ])),
        prop::option::of(100u64..106),
    )
        .prop_map(|(subject, description, status, priority, assignee)| {
            ticket_side(
                subject.map(str::to_owned),
                description.map(str::to_owned),
                status.map(TicketStatus::parse),
                priority.map(TicketPriority::parse),
                assignee,
            )
        })
}

fn ticket_side(
    subject: Option<String>,
    description: Option<String>,
    status: Option<TicketStatus>,
    priority: Option<TicketPriority>,
    assignee_id: Option<ZendeskId>,
) -> TicketSide {
    TicketSide {
        subject,
        description,
        status,
        priority,
        assignee_id,
        assignee_in_crm: crm_user_for(assignee_id),
    }
}

pub(super) fn any_rules() -> impl Strategy<Value = MergeRules> {
    prop::sample::select(vec![
        REMOTE,
        LOCAL,
        ONE_WAY,
        MergeRules {
            push_to_zendesk: false,
            ..LOCAL
        },
    ])
}

/// What Zendesk looks like after the pushed changes were applied.
fn pushed(ticket: &TicketSide, changes: &ZendeskChanges) -> TicketSide {
    let assignee = changes.assignee_id.unwrap_or(ticket.assignee_id);
    ticket_side(
        changes.subject.clone().or(ticket.subject.clone()),
        // Zendesk keeps its description (the first comment) whatever we send.
        ticket.description.clone(),
        changes.status.clone().or(ticket.status.clone()),
        changes.priority.clone().or(ticket.priority.clone()),
        assignee,
    )
}

fn applied(case: &CaseSide, changes: &CaseChanges) -> CaseSide {
    let assigned_to = changes
        .assigned_to
        .clone()
        .unwrap_or(case.assigned_to.clone());
    CaseSide {
        subject: changes.subject.clone().unwrap_or(case.subject.clone()),
        description: changes
            .description
            .clone()
            .unwrap_or(case.description.clone()),
        status: changes.status.unwrap_or(case.status),
        priority: changes.priority.unwrap_or(case.priority),
        assignee_in_zendesk: zendesk_user_for(assigned_to.as_ref()),
        assigned_to,
    }
}

pub(super) fn any_shadow() -> impl Strategy<Value = Shadow> {
    prop_oneof![
        Just(Shadow::default()),
        (any_case(), any_ticket()).prop_map(|(c, t)| Shadow::agreed(&c, &t)),
    ]
}

proptest! {
    /// Applying a merge's result to both sides and merging again finds nothing to do.
    #[test]
    fn merging_the_applied_result_again_is_a_fixed_point(
        shadow in any_shadow(), case in any_case(), ticket in any_ticket(), rules in any_rules(),
    ) {
        let first = merge_fields(&shadow, &case, &ticket, rules);
        let case = applied(&case, &first.case_changes);
        let ticket = pushed(&ticket, &first.zendesk_changes);
        let second = merge_fields(&first.new_shadow, &case, &ticket, rules);
        prop_assert!(second.is_empty(), "{:?}", second);
        prop_assert_eq!(second.new_shadow, first.new_shadow);
    }

    /// With pushes off nothing ever goes to Zendesk.
    #[test]
    fn no_pushes_when_pushes_are_off(
        shadow in any_shadow(), case in any_case(), ticket in any_ticket(), priority in prop::sample::select(vec![SyncPriority::Remote, SyncPriority::Local]),
    ) {
        let rules = MergeRules { priority, push_to_zendesk: false };
        prop_assert!(merge_fields(&shadow, &case, &ticket, rules).zendesk_changes.is_empty());
    }

    /// A side that did not change since the shadow never has its value overwritten by a
    /// conflict, and a field changed on one side only never reports a conflict.
    #[test]
    fn one_sided_changes_are_never_conflicts(
        case in any_case(), ticket in any_ticket(), edited in any_case(), rules in any_rules(),
    ) {
        let shadow = Shadow::agreed(&case, &ticket);
        let result = merge_fields(&shadow, &edited, &ticket, rules);
        prop_assert!(result.conflicts.is_empty());
        prop_assert!(result.case_changes.is_empty());
    }
}
