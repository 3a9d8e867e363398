use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::domain::{ContactId, PersonRef, UserId};
use crate::people::TicketPeople;
use crate::shadow::Shadow;

fn ticket(body: serde_json::Value) -> Ticket {
    serde_json::from_value(body).expect("ticket decodes")
}

fn now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()
}

#[test]
fn status_table() {
    use InboundStatus::{Case, Deleted, Unknown};
    for (raw, want) in [
        (Some("new"), Case(CaseStatus::Open)),
        (Some("open"), Case(CaseStatus::Open)),
        (Some("hold"), Case(CaseStatus::Open)),
        (Some("pending"), Case(CaseStatus::InProgress)),
        (Some("solved"), Case(CaseStatus::Closed)),
        (Some("closed"), Case(CaseStatus::Closed)),
        (Some("deleted"), Deleted),
        // webhook payloads send upper-case values
        (Some("PENDING"), Case(CaseStatus::InProgress)),
        (Some("Solved"), Case(CaseStatus::Closed)),
        (Some("awaiting_vendor"), Unknown),
        (None, Unknown),
    ] {
        let parsed = raw.map(TicketStatus::parse);
        assert_eq!(inbound_status(parsed.as_ref()), want, "{raw:?}");
    }
}

#[test]
fn unknown_status_keeps_the_case_status_on_update_and_is_open_on_create() {
    assert_eq!(status_on_create(InboundStatus::Unknown), CaseStatus::Open);
    assert_eq!(
        status_on_update(InboundStatus::Unknown, CaseStatus::InProgress),
        CaseStatus::InProgress
    );
    // deleted keeps the case as it is
    assert_eq!(
        status_on_update(InboundStatus::Deleted, CaseStatus::Resolved),
        CaseStatus::Resolved
    );
    assert_eq!(
        status_on_update(InboundStatus::Case(CaseStatus::Closed), CaseStatus::Open),
        CaseStatus::Closed
    );
}

#[test]
fn priority_table() {
    for (raw, want) in [
        (Some("low"), Some(CasePriority::Low)),
        (Some("normal"), Some(CasePriority::Normal)),
        (Some("high"), Some(CasePriority::High)),
        (Some("urgent"), Some(CasePriority::High)),
        (Some("URGENT"), Some(CasePriority::High)),
        (Some("p1"), None),
        (None, None),
    ] {
        let parsed = raw.map(TicketPriority::parse);
        assert_eq!(inbound_priority(parsed.as_ref()), want, "{raw:?}");
    }
    // null → normal on create, unchanged on update
    assert_eq!(priority_on_create(None), CasePriority::Normal);
    assert_eq!(
        priority_on_update(None, CasePriority::Low),
        CasePriority::Low
    );
    assert_eq!(
        priority_on_update(Some(CasePriority::High), CasePriority::Low),
        CasePriority::High
    );
}

#[test]
fn subject_and_description_rows() {
    assert_eq!(inbound_subject(Some("Printer on fire")), "Printer on fire");
    assert_eq!(inbound_subject(Some("  padded ")), "  padded ");
    assert_eq!(inbound_subject(Some("")), "N/A");
    assert_eq!(inbound_subject(Some("  \t")), "N/A");
    assert_eq!(inbound_subject(None), "N/A");
    assert_eq!(inbound_description(Some("Hi there")), "Hi there");
    assert_eq!(inbound_description(None), "");
}

#[test]
fn a_new_case_follows_the_case_table() {
    let t = ticket(json!({
        "id": 1, "subject": "", "description": "Help", "status": "pending", "priority": null,
        "created_at": "2026-01-01T00:00:00Z"
    }));
    let people = crate::people::TicketPeople {
        requester: Some(PersonRef::Contact(ContactId::new("c1"))),
        assignee: Some(UserId::new("u1")),
        ..Default::default()
    };
    let case = new_case(&t, "case1".into(), "i1".into(), &people, now());
    assert_eq!(case.subject, "N/A");
    assert_eq!(case.description, "Help");
    assert_eq!(case.status, CaseStatus::InProgress);
    assert_eq!(case.priority, CasePriority::Normal);
    assert_eq!(case.assigned_to, Some(UserId::new("u1")));
    assert_eq!(case.contact_id, Some(ContactId::new("c1")));
    assert_eq!(case.integration_id, Some("i1".into()));
    assert_eq!(
        case.created_at,
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    );
    // an agent requester gives no contact
    let agent_requester = crate::people::TicketPeople {
        requester: Some(PersonRef::User(UserId::new("u2"))),
        ..Default::default()
    };
    let case = new_case(&t, "case2".into(), "i1".into(), &agent_requester, now());
    assert_eq!(case.contact_id, None);
    assert_eq!(case.assigned_to, None);
}

fn record(last_applied: Option<&str>) -> TicketRecord {
    let mut r = crate::record_mapping::new_ticket_record(
        &ticket(json!({"id": 5})),
        "i1".into(),
        "c".into(),
        &Default::default(),
    );
    r.last_applied_at = last_applied.map(|t| t.parse().expect("time"));
    r.shadow = Shadow::default();
    r
}

#[test]
fn disposition_table() {
    use TicketDisposition::*;
    let at =
        |status: &str, time: &str| ticket(json!({"id": 5, "status": status, "updated_at": time}));
    let seen = record(Some("2026-01-02T00:00:00Z"));
    for (t, r, want) in [
        (at("open", "2026-01-01T00:00:00Z"), None, Create),
        (at("deleted", "2026-01-01T00:00:00Z"), None, IgnoreDeleted),
        (at("open", "2026-01-03T00:00:00Z"), Some(&seen), Update),
        // the same state again: applied again, harmlessly
        (at("open", "2026-01-02T00:00:00Z"), Some(&seen), Update),
        (at("open", "2026-01-01T00:00:00Z"), Some(&seen), Stale),
        (
            at("deleted", "2026-01-03T00:00:00Z"),
            Some(&seen),
            MarkDeleted,
        ),
        (at("deleted", "2026-01-01T00:00:00Z"), Some(&seen), Stale),
        (
            ticket(json!({"id": 5, "status": "open"})),
            Some(&seen),
            Update,
        ),
    ] {
        assert_eq!(disposition(&t, r), want, "{t:?}");
    }
}

/// Known values (any case), arbitrary strings, or null.
fn enum_text(known: &'static [&'static str]) -> impl Strategy<Value = serde_json::Value> + Clone {
    prop_oneof![
        Just(serde_json::Value::Null),
        prop::sample::select(known).prop_map(Into::into),
        prop::sample::select(known).prop_map(|k| k.to_uppercase().into()),
        any::<String>().prop_map(Into::into),
    ]
}

/// Ids as Zendesk sends them: numbers, numeric strings, "" or null; mostly of people below.
fn any_id() -> impl Strategy<Value = serde_json::Value> + Clone {
    prop_oneof![
        Just(serde_json::Value::Null),
        Just("".into()),
        (1u64..8).prop_map(Into::into),
        (1u64..8).prop_map(|n| n.to_string().into()),
        any::<u64>().prop_map(Into::into),
    ]
}

fn arbitrary_ticket() -> impl Strategy<Value = serde_json::Value> {
    let text = prop_oneof![
        Just(serde_json::Value::Null),
        any::<String>().prop_map(Into::into)
    ];
    (
        any::<u64>(),
        (
            text.clone(),
            text,
            enum_text(&[
                "new", "open", "pending", "hold", "solved", "closed", "deleted",
            ]),
            enum_text(&["low", "normal", "high", "urgent"]),
            enum_text(&["problem", "incident", "question", "task"]),
        ),
        (
            any_id(),
            any_id(),
            any_id(),
            prop::collection::vec(any_id(), 0..4),
        ),
        prop_oneof![Just(None), any::<i64>().prop_map(Some)],
    )
        .prop_map(
            |(
                ticket_id,
                (subject, description, status, priority, kind),
                (req, sub, asg, collab),
                generated,
            )| {
                json!({
                    "id": ticket_id, "subject": subject, "description": description,
                    "status": status, "priority": priority, "type": kind,
                    "requester_id": req, "submitter_id": sub, "assignee_id": asg,
                    "collaborator_ids": collab, "generated_timestamp": generated,
                })
            },
        )
}

/// People with ids 1..8, any role, any (or no) e-mail, any name.
fn arbitrary_users() -> impl Strategy<Value = Vec<serde_json::Value>> {
    let email = prop_oneof![
        Just(serde_json::Value::Null),
        "[a-c]{1,2}@(x|y)\\.com".prop_map(Into::into),
        any::<String>().prop_map(Into::into),
    ];
    prop::collection::vec(
        (1u64..8, enum_text(&["end-user", "agent", "admin"]), email, any::<String>()),
        0..8,
    )
    .prop_map(|users| {
        users
            .into_iter()
            .map(|(id, role, email, name)| json!({"id": id, "role": role, "email": email, "name": name}))
            .collect()
    })
}

proptest! {
    /// Whatever Zendesk sends, it decodes, and mapping it never panics and gives a valid case
    /// and record.
    #[test]
    fn mapping_never_panics(body in arbitrary_ticket(), users in arbitrary_users()) {
        let t: Ticket = serde_json::from_value(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let users: Vec<crate::zendesk::User> = serde_json::from_value(users.into())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let crm_users = [crate::domain::CrmUser {
            id: UserId::new("a"),
            email: "a@x.com".into(),
            name: "A".into(),
            roles: vec![],
        }];
        let mut people = crate::people::KnownPeople::new(users, &crm_users, []);
        let owner = UserId::new("o");
        // resolve, "create" what is asked for, resolve again: then everything is resolved
        let resolved = match crate::people::resolve_ticket_people(&t, &[], &people, &owner) {
            Ok(resolved) => resolved,
            Err(todo) => {
                for (n, id) in todo.contacts.into_iter().enumerate() {
                    people.add_contact_of(id, ContactId::new(format!("n{n}")));
                }
                match crate::people::resolve_ticket_people(&t, &[], &people, &owner) {
                    Ok(resolved) => resolved,
                    Err(still) => {
                        prop_assert!(still.contacts.is_empty());
                        prop_assert!(!still.fetch.is_empty());
                        TicketPeople::default()
                    }
                }
            }
        };
        let case = new_case(&t, "c".into(), "i".into(), &resolved, now());
        prop_assert!(!case.subject.trim().is_empty());
        let mut r = crate::record_mapping::new_ticket_record(&t, "i".into(), "c".into(), &resolved);
        crate::record_mapping::apply_ticket_to_record(&mut r, &t, &resolved);
        let _ = disposition(&t, Some(&r));
        // the first merge of a case made from the ticket writes nothing back to the case
        let first = crate::merge::merge_fields(
            &Shadow::default(),
            &crate::merge::CaseSide::new(&case, None),
            &crate::merge::TicketSide::new(&t, &resolved),
            crate::merge::MergeRules { priority: crate::domain::SyncPriority::Remote, push_to_zendesk: true },
        );
        prop_assert!(first.case_changes.is_empty(), "{:?}", first.case_changes);
    }
}
