use proptest::prelude::*;

use super::*;
use crate::domain::{CasePriority, CaseStatus, UserId};

const REMOTE: MergeRules = MergeRules {
    priority: SyncPriority::Remote,
    push_to_zendesk: true,
};
const LOCAL: MergeRules = MergeRules {
    priority: SyncPriority::Local,
    push_to_zendesk: true,
};
const ONE_WAY: MergeRules = MergeRules {
    priority: SyncPriority::Remote,
    push_to_zendesk: false,
};

fn case() -> CaseSide {
    CaseSide {
        subject: "Printer on fire".into(),
        description: "It burns".into(),
        status: CaseStatus::Open,
        priority: CasePriority::Normal,
        assigned_to: Some(UserId::new("alice")),
        assignee_in_zendesk: Some(101),
    }
}

fn ticket() -> TicketSide {
    TicketSide {
        subject: Some("Printer on fire".into()),
        description: Some("It burns".into()),
        status: Some(TicketStatus::Open),
        priority: Some(TicketPriority::Normal),
        assignee_id: Some(101),
        assignee_in_crm: Some(UserId::new("alice")),
    }
}

fn agreed() -> Shadow {
    Shadow::agreed(&case(), &ticket())
}

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

#[test]
fn unchanged_input_keeps_the_shadow() {
    let result = merge_fields(&agreed(), &case(), &ticket(), REMOTE);
    assert!(result.is_empty());
    assert_eq!(result.new_shadow, agreed());
}

#[test]
fn the_echo_of_our_own_push_is_no_change() {
    let case = CaseSide {
        status: CaseStatus::InProgress,
        subject: "Renamed".into(),
        ..case()
    };
    let pushed = merge_fields(&agreed(), &case, &ticket(), LOCAL);
    assert_eq!(
        pushed.zendesk_changes,
        ZendeskChanges {
            subject: Some("Renamed".into()),
            status: Some(TicketStatus::Pending),
            ..ZendeskChanges::default()
        }
    );
    // Zendesk sends the ticket back (webhook / export) with what we pushed.
    let echo = TicketSide {
        subject: Some("Renamed".into()),
        status: Some(TicketStatus::Pending),
        ..ticket()
    };
    let again = merge_fields(&pushed.new_shadow, &case, &echo, LOCAL);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(again.new_shadow, pushed.new_shadow);
    // An older copy of the ticket (before our push) arriving late is not re-applied either
    // way round: it looks like Zendesk changed back, and Zendesk-side changes win…
    let late = merge_fields(&pushed.new_shadow, &case, &ticket(), LOCAL);
    assert_eq!(
        late.case_changes.subject.as_deref(),
        Some("Printer on fire")
    );
    // …which is why stale states are dropped before the merge (case_mapping::disposition).
}

#[test]
fn an_unpushed_crm_change_stays_pending_until_two_way_is_on() {
    let case = CaseSide {
        priority: CasePriority::High,
        ..case()
    };
    let off = merge_fields(&agreed(), &case, &ticket(), ONE_WAY);
    assert!(off.is_empty());
    assert_eq!(off.new_shadow, agreed());
    let on = merge_fields(&off.new_shadow, &case, &ticket(), REMOTE);
    assert_eq!(on.zendesk_changes.priority, Some(TicketPriority::High));
}

fn rules_for(
    two_way: bool,
    deleted: bool,
    closed: bool,
    priority: Option<SyncPriority>,
) -> MergeRules {
    let now = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
    let integration = Integration {
        id: "i".into(),
        name: "n".into(),
        url: "https://a.zendesk.com".into(),
        api_email: "a@b.co".into(),
        api_token_set: true,
        default_zendesk_user_email: None,
        owner_id: "o".into(),
        two_way_sync: two_way,
        sync_priority: priority,
        active: true,
        webhook_id: None,
        created_at: now,
        updated_at: now,
    };
    let mut record = crate::record_mapping::new_ticket_record(
        &serde_json::from_value(serde_json::json!({"id": 1})).expect("ticket"),
        "i".into(),
        "c".into(),
        &TicketPeople::default(),
    );
    record.deleted = deleted;
    record.closed_in_zendesk = closed;
    MergeRules::for_ticket(&integration, Some(&record))
}

#[test]
fn rules_follow_the_integration_and_the_ticket() {
    let local = Some(SyncPriority::Local);
    assert_eq!(rules_for(true, false, false, local), LOCAL);
    assert_eq!(rules_for(false, false, false, local), ONE_WAY);
    let no_push_local = MergeRules {
        push_to_zendesk: false,
        ..LOCAL
    };
    assert_eq!(rules_for(true, true, false, local), no_push_local);
    assert_eq!(rules_for(true, false, true, local), no_push_local);
}

// ---- properties ----

const USERS: [&str; 3] = ["alice", "bob", "owner"];

/// The caller's resolution, as a fixed function of the ids (what a loaded directory gives).
fn crm_user_for(zendesk: Option<ZendeskId>) -> Option<UserId> {
    zendesk.map(|id| UserId::new(USERS[(id % 3) as usize]))
}

fn zendesk_user_for(crm: Option<&UserId>) -> Option<ZendeskId> {
    crm.and_then(|u| USERS.iter().position(|n| *n == u.as_str()))
        .map(|i| i as u64 + 100)
}

fn any_case() -> impl Strategy<Value = CaseSide> {
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

fn any_ticket() -> impl Strategy<Value = TicketSide> {
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

fn any_rules() -> impl Strategy<Value = MergeRules> {
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
        changes.description.clone().or(ticket.description.clone()),
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

fn any_shadow() -> impl Strategy<Value = Shadow> {
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
