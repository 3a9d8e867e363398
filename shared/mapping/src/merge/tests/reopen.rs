//! docs/sync-rules.md §4 "Reopening": a solved or closed ticket is never reopened from the CRM.

use proptest::prelude::*;

use super::super::*;
use super::properties::{any_case, any_rules, any_shadow, any_ticket};
use super::{LOCAL, REMOTE, case, ticket};
use crate::domain::{CasePriority, CaseStatus};

fn solved_ticket() -> TicketSide {
    TicketSide {
        status: Some(TicketStatus::Solved),
        ..ticket()
    }
}

fn closed_case() -> CaseSide {
    CaseSide {
        status: CaseStatus::Closed,
        ..case()
    }
}

#[test]
fn a_reopened_case_leaves_a_solved_ticket_solved_and_its_other_changes_go() {
    let shadow = Shadow::agreed(&closed_case(), &solved_ticket());
    let reopened = CaseSide {
        status: CaseStatus::Open,
        priority: CasePriority::High,
        ..closed_case()
    };
    let mut merge = merge_fields(&shadow, &reopened, &solved_ticket(), REMOTE);
    let withheld = withhold_reopen(&mut merge, &shadow, Some(&TicketStatus::Solved));
    assert_eq!(
        withheld,
        Some(WithheldReopen {
            zendesk_status: TicketStatus::Solved,
            requested: TicketStatus::Open,
        })
    );
    assert_eq!(
        merge.zendesk_changes,
        ZendeskChanges {
            priority: Some(TicketPriority::High),
            ..ZendeskChanges::default()
        }
    );
    // The status keeps its agreement, so the reopen is neither lost nor taken as agreed.
    assert_eq!(merge.new_shadow.crm.status, Some(CaseStatus::Closed));
    assert_eq!(merge.new_shadow.zendesk.status.as_deref(), Some("solved"));
    assert_eq!(merge.new_shadow.crm.priority, Some(CasePriority::High));
}

#[test]
fn in_progress_on_a_closed_ticket_is_withheld_too() {
    let closed = TicketSide {
        status: Some(TicketStatus::Closed),
        ..ticket()
    };
    let shadow = Shadow::agreed(&closed_case(), &closed);
    let working = CaseSide {
        status: CaseStatus::InProgress,
        ..closed_case()
    };
    let mut merge = merge_fields(&shadow, &working, &closed, LOCAL);
    let withheld = withhold_reopen(&mut merge, &shadow, Some(&TicketStatus::Closed));
    assert_eq!(withheld.map(|w| w.requested), Some(TicketStatus::Pending));
    assert!(merge.zendesk_changes.is_empty());
}

#[test]
fn status_changes_of_unfinished_tickets_and_closing_still_go() {
    // Open ticket, case moved to in_progress: pushed as pending.
    let shadow = Shadow::agreed(&case(), &ticket());
    let working = CaseSide {
        status: CaseStatus::InProgress,
        ..case()
    };
    let mut merge = merge_fields(&shadow, &working, &ticket(), REMOTE);
    assert_eq!(
        withhold_reopen(&mut merge, &shadow, Some(&TicketStatus::Open)),
        None
    );
    assert_eq!(merge.zendesk_changes.status, Some(TicketStatus::Pending));
    // Case closed while the ticket is open: solving is not a reopen.
    let mut merge = merge_fields(&shadow, &closed_case(), &ticket(), REMOTE);
    assert_eq!(
        withhold_reopen(&mut merge, &shadow, Some(&TicketStatus::Open)),
        None
    );
    assert_eq!(merge.zendesk_changes.status, Some(TicketStatus::Solved));
}

#[test]
fn only_solved_and_closed_are_finished() {
    for status in ["solved", "closed", "SOLVED"] {
        assert!(is_finished(&TicketStatus::parse(status)), "{status}");
    }
    for status in ["new", "open", "pending", "hold", "deleted", "custom"] {
        assert!(!is_finished(&TicketStatus::parse(status)), "{status}");
    }
    assert!(!would_reopen(None, &TicketStatus::Open));
    assert!(!would_reopen(
        Some(&TicketStatus::Solved),
        &TicketStatus::Closed
    ));
    assert!(would_reopen(
        Some(&TicketStatus::Closed),
        &TicketStatus::Hold
    ));
}

proptest! {
    /// For every finished Zendesk status and any case, shadow and rules: the push never holds
    /// an unfinished status, and every other pushed field is kept.
    #[test]
    fn a_finished_ticket_is_never_reopened_and_other_fields_still_go(
        shadow in any_shadow(),
        case in any_case(),
        ticket in any_ticket(),
        rules in any_rules(),
        finished in prop::sample::select(vec![TicketStatus::Solved, TicketStatus::Closed]),
    ) {
        let ticket = TicketSide { status: Some(finished.clone()), ..ticket };
        let merged = merge_fields(&shadow, &case, &ticket, rules);
        let mut withheld = merged.clone();
        let reported = withhold_reopen(&mut withheld, &shadow, Some(&finished));
        if let Some(status) = &withheld.zendesk_changes.status {
            prop_assert!(is_finished(status), "{status} pushed to a {finished} ticket");
        }
        prop_assert_eq!(reported.is_some(), withheld.zendesk_changes.status != merged.zendesk_changes.status);
        prop_assert_eq!(
            ZendeskChanges { status: None, ..withheld.zendesk_changes.clone() },
            ZendeskChanges { status: None, ..merged.zendesk_changes.clone() }
        );
        prop_assert_eq!(&withheld.case_changes, &merged.case_changes);
        // Merging again with the shadow it leaves withholds the same reopen: it stays pending.
        if let Some(reported) = reported {
            let mut again = merge_fields(&withheld.new_shadow, &case, &ticket, rules);
            let second = withhold_reopen(&mut again, &withheld.new_shadow, Some(&finished));
            prop_assert_eq!(second, Some(reported));
        }
    }

    /// An unfinished ticket's status push is never touched.
    #[test]
    fn unfinished_tickets_are_left_alone(
        shadow in any_shadow(), case in any_case(), ticket in any_ticket(), rules in any_rules(),
    ) {
        prop_assume!(!ticket.status.as_ref().is_some_and(is_finished));
        let merged = merge_fields(&shadow, &case, &ticket, rules);
        let mut same = merged.clone();
        prop_assert_eq!(withhold_reopen(&mut same, &shadow, ticket.status.as_ref()), None);
        prop_assert_eq!(same, merged);
    }
}
