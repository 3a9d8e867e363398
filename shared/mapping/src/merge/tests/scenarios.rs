//! The merge on a table of scenarios (docs/sync-rules.md §5).

use super::super::*;
use super::{LOCAL, ONE_WAY, REMOTE, agreed, case, ticket};
use crate::domain::{CasePriority, CaseStatus, UserId};

struct Scenario {
    name: &'static str,
    shadow: Shadow,
    case: CaseSide,
    ticket: TicketSide,
    rules: MergeRules,
    case_changes: CaseChanges,
    zendesk_changes: ZendeskChanges,
    conflicts: Vec<SyncedField>,
}

fn scenarios() -> Vec<Scenario> {
    let none_c = CaseChanges::default;
    let none_z = ZendeskChanges::default;
    vec![
        Scenario {
            name: "nothing changed: empty diff",
            shadow: agreed(),
            case: case(),
            ticket: ticket(),
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "Zendesk changed the status only: the case follows",
            shadow: agreed(),
            case: case(),
            ticket: TicketSide {
                status: Some(TicketStatus::Pending),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: CaseChanges {
                status: Some(CaseStatus::InProgress),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "CRM changed the priority only: it is pushed",
            shadow: agreed(),
            case: CaseSide {
                priority: CasePriority::High,
                ..case()
            },
            ticket: ticket(),
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: ZendeskChanges {
                priority: Some(TicketPriority::High),
                ..none_z()
            },
            conflicts: vec![],
        },
        Scenario {
            name: "both changed the subject, remote: Zendesk's subject applied to the case",
            shadow: agreed(),
            case: CaseSide {
                subject: "CRM subject".into(),
                ..case()
            },
            ticket: TicketSide {
                subject: Some("Zendesk subject".into()),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: CaseChanges {
                subject: Some("Zendesk subject".into()),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![SyncedField::Subject],
        },
        Scenario {
            name: "both changed the subject, local: the CRM subject is kept and pushed",
            shadow: agreed(),
            case: CaseSide {
                subject: "CRM subject".into(),
                ..case()
            },
            ticket: TicketSide {
                subject: Some("Zendesk subject".into()),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: none_c(),
            zendesk_changes: ZendeskChanges {
                subject: Some("CRM subject".into()),
                ..none_z()
            },
            conflicts: vec![SyncedField::Subject],
        },
        Scenario {
            name: "different fields changed on each side: merged, both priorities alike",
            shadow: agreed(),
            case: CaseSide {
                priority: CasePriority::Low,
                ..case()
            },
            ticket: TicketSide {
                status: Some(TicketStatus::Solved),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: CaseChanges {
                status: Some(CaseStatus::Closed),
                ..none_c()
            },
            zendesk_changes: ZendeskChanges {
                priority: Some(TicketPriority::Low),
                ..none_z()
            },
            conflicts: vec![],
        },
        Scenario {
            name: "different fields, remote",
            shadow: agreed(),
            case: CaseSide {
                assigned_to: None,
                assignee_in_zendesk: None,
                ..case()
            },
            ticket: TicketSide {
                subject: Some("New".into()),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: CaseChanges {
                subject: Some("New".into()),
                ..none_c()
            },
            zendesk_changes: ZendeskChanges {
                assignee_id: Some(None),
                ..none_z()
            },
            conflicts: vec![],
        },
        Scenario {
            name: "both moved to the same value: no push, no conflict",
            shadow: agreed(),
            case: CaseSide {
                status: CaseStatus::InProgress,
                ..case()
            },
            ticket: TicketSide {
                status: Some(TicketStatus::Pending),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "CRM resolved, Zendesk already solved: the same meaning, no push",
            shadow: agreed(),
            case: CaseSide {
                status: CaseStatus::Resolved,
                ..case()
            },
            ticket: TicketSide {
                status: Some(TicketStatus::Solved),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "Zendesk new → open is the same CRM status: nothing to write",
            shadow: Shadow::agreed(
                &case(),
                &TicketSide {
                    status: Some(TicketStatus::New),
                    ..ticket()
                },
            ),
            case: case(),
            ticket: ticket(),
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "Zendesk high → urgent on a high case: no downgrade push",
            shadow: Shadow::agreed(
                &CaseSide {
                    priority: CasePriority::High,
                    ..case()
                },
                &TicketSide {
                    priority: Some(TicketPriority::High),
                    ..ticket()
                },
            ),
            case: CaseSide {
                priority: CasePriority::High,
                ..case()
            },
            ticket: TicketSide {
                priority: Some(TicketPriority::Urgent),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "Zendesk priority cleared to null: the case keeps its priority",
            shadow: agreed(),
            case: case(),
            ticket: TicketSide {
                priority: None,
                ..ticket()
            },
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "unknown Zendesk status: the case keeps its status",
            shadow: agreed(),
            case: case(),
            ticket: TicketSide {
                status: Some(TicketStatus::parse("awaiting_vendor")),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "first sync (no shadow): Zendesk wins every differing field",
            shadow: Shadow::default(),
            case: CaseSide {
                subject: "Old".into(),
                priority: CasePriority::Low,
                ..case()
            },
            ticket: TicketSide {
                status: Some(TicketStatus::Hold),
                ..ticket()
            },
            rules: LOCAL,
            case_changes: CaseChanges {
                subject: Some("Printer on fire".into()),
                priority: Some(CasePriority::Normal),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "first sync of an empty Zendesk subject: N/A",
            shadow: Shadow::default(),
            case: case(),
            ticket: TicketSide {
                subject: Some(String::new()),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: CaseChanges {
                subject: Some("N/A".into()),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "two-way off: a CRM change is never pushed",
            shadow: agreed(),
            case: CaseSide {
                status: CaseStatus::Closed,
                subject: "Mine".into(),
                ..case()
            },
            ticket: ticket(),
            rules: ONE_WAY,
            case_changes: none_c(),
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "two-way off, both changed: Zendesk's value applied",
            shadow: agreed(),
            case: CaseSide {
                subject: "Mine".into(),
                ..case()
            },
            ticket: TicketSide {
                subject: Some("Theirs".into()),
                ..ticket()
            },
            rules: ONE_WAY,
            case_changes: CaseChanges {
                subject: Some("Theirs".into()),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![SyncedField::Subject],
        },
        Scenario {
            name: "Zendesk reassigned: the case takes the resolved CRM user",
            shadow: agreed(),
            case: case(),
            ticket: TicketSide {
                assignee_id: Some(202),
                assignee_in_crm: Some(UserId::new("owner")),
                ..ticket()
            },
            rules: REMOTE,
            case_changes: CaseChanges {
                assigned_to: Some(Some(UserId::new("owner"))),
                ..none_c()
            },
            zendesk_changes: none_z(),
            conflicts: vec![],
        },
        Scenario {
            name: "CRM reassigned to a user without Zendesk match: the default user is pushed",
            shadow: agreed(),
            case: CaseSide {
                assigned_to: Some(UserId::new("bob")),
                assignee_in_zendesk: Some(999),
                ..case()
            },
            ticket: ticket(),
            rules: REMOTE,
            case_changes: none_c(),
            zendesk_changes: ZendeskChanges {
                assignee_id: Some(Some(999)),
                ..none_z()
            },
            conflicts: vec![],
        },
    ]
}

#[test]
fn merge_scenarios() {
    for s in scenarios() {
        let result = merge_fields(&s.shadow, &s.case, &s.ticket, s.rules);
        assert_eq!(result.case_changes, s.case_changes, "{}", s.name);
        assert_eq!(result.zendesk_changes, s.zendesk_changes, "{}", s.name);
        assert_eq!(result.conflicts, s.conflicts, "{}", s.name);
        assert!(result.new_shadow.recorded, "{}", s.name);
    }
}
