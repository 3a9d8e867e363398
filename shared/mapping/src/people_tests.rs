use serde_json::json;

use super::*;
use crate::domain::Role;

fn zd_user(id: u64, role: &str, email: Option<&str>, name: &str) -> User {
    serde_json::from_value(json!({"id": id, "role": role, "email": email, "name": name}))
        .expect("user decodes")
}

fn crm_user(id: &str, email: &str) -> CrmUser {
    CrmUser {
        id: UserId::new(id),
        email: email.into(),
        name: id.into(),
        roles: vec![Role::Admin],
    }
}

fn owner() -> UserId {
    UserId::new("owner")
}

/// Zendesk: 1 agent known to the CRM (e-mail in other case), 2 admin unknown to the CRM, 3
/// end-user whose contact is settled, 4 end-user whose contact is not, 5 end-user without e-mail,
/// 6 user without a role, 7 end-user with a blank name, 8 agent without e-mail.
fn people() -> KnownPeople {
    KnownPeople::new(
        [
            zd_user(1, "agent", Some(" Alice@Acme.com"), "Alice Agent"),
            zd_user(2, "admin", Some("root@acme.com"), "Root"),
            zd_user(3, "end-user", Some("carol@cust.com"), "Carol Customer"),
            zd_user(4, "end-user", Some("DAN@cust.com"), "Mr. Dan Q. Public Jr."),
            zd_user(5, "end-user", None, "No Mail"),
            zd_user(6, "", Some("erin@cust.com"), "Erin"),
            zd_user(7, "end-user", Some("frank@cust.com"), "  "),
            zd_user(8, "agent", None, "Ghost Agent"),
        ],
        &[crm_user("alice", "alice@acme.com")],
        [(3, ContactId::new("carol"))],
    )
}

fn user(id: &str) -> PersonResolution {
    PersonResolution::Found(PersonRef::User(UserId::new(id)))
}

fn contact(id: &str) -> PersonResolution {
    PersonResolution::Found(PersonRef::Contact(ContactId::new(id)))
}

#[test]
fn resolution_table() {
    let people = people();
    for (id, want) in [
        // agent/admin → CRM user by primary e-mail (case-insensitive, trimmed)
        (Some(1), user("alice")),
        // agent/admin unknown to the CRM → the integration owner
        (Some(2), user("owner")),
        // end-user → the contact settled for them
        (Some(3), contact("carol")),
        // end-user whose contact is not settled yet → the caller settles it
        (Some(4), PersonResolution::NeedsContact(4)),
        // end-user without e-mail → no reference (never matched by name)
        (Some(5), PersonResolution::NoReference),
        // no role → treated as an end-user
        (Some(6), PersonResolution::NeedsContact(6)),
        // unknown Zendesk id → fetch it, never replace it
        (Some(99), PersonResolution::NeedsFetch(99)),
        // no id at all
        (None, PersonResolution::NoReference),
    ] {
        assert_eq!(resolve_person(id, &people, &owner()), want, "{id:?}");
    }
}

#[test]
fn requesters_are_always_contacts() {
    let mut people = people();
    for (id, want) in [
        // an agent requester is a contact too, not the CRM user alice
        (Some(1), PersonResolution::NeedsContact(1)),
        (Some(2), PersonResolution::NeedsContact(2)),
        (Some(3), contact("carol")),
        (Some(4), PersonResolution::NeedsContact(4)),
        // nobody is matched by name: without e-mail there is no contact, agent or not
        (Some(5), PersonResolution::NoReference),
        (Some(8), PersonResolution::NoReference),
        (Some(99), PersonResolution::NeedsFetch(99)),
        (None, PersonResolution::NoReference),
    ] {
        assert_eq!(resolve_requester(id, &people), want, "{id:?}");
    }
    people.add_contact_of(1, ContactId::new("alice-contact"));
    assert_eq!(
        resolve_requester(Some(1), &people),
        contact("alice-contact")
    );
    // as anything but requester the agent stays the CRM user
    assert_eq!(resolve_person(Some(1), &people, &owner()), user("alice"));
}

#[test]
fn assignees_are_always_users() {
    let people = people();
    assert_eq!(resolve_assignee(Some(1), &people, &owner()), user("alice"));
    assert_eq!(resolve_assignee(Some(2), &people, &owner()), user("owner"));
    // an end-user cannot be a Zendesk assignee; if one shows up it still maps to a user
    assert_eq!(resolve_assignee(Some(3), &people, &owner()), user("owner"));
    assert_eq!(
        resolve_assignee(None, &people, &owner()),
        PersonResolution::NoReference
    );
    assert_eq!(
        resolve_assignee(Some(42), &people, &owner()),
        PersonResolution::NeedsFetch(42)
    );
}

fn ticket(body: serde_json::Value) -> Ticket {
    serde_json::from_value(body).expect("ticket decodes")
}

fn comment(id: u64, author: u64) -> Comment {
    serde_json::from_value(json!({"id": id, "author_id": author, "body": "b"}))
        .expect("comment decodes")
}

#[test]
fn a_ticket_resolves_when_everyone_is_known() {
    let t = ticket(json!({
        "id": 10, "requester_id": 3, "submitter_id": 1, "assignee_id": "2",
        "collaborator_ids": [1, 3, 5, 1]
    }));
    let resolved = resolve_ticket_people(&t, &[comment(1, 1), comment(2, 3)], &people(), &owner())
        .expect("everyone known");
    assert_eq!(
        resolved,
        TicketPeople {
            requester: Some(PersonRef::Contact(ContactId::new("carol"))),
            submitter: Some(PersonRef::User(UserId::new("alice"))),
            assignee: Some(owner()),
            // 5 has no e-mail: left out; duplicates dropped
            collaborators: vec![
                PersonRef::User(UserId::new("alice")),
                PersonRef::Contact(ContactId::new("carol")),
            ],
        }
    );
    assert_eq!(resolved.contact_id(), Some(ContactId::new("carol")));
}

#[test]
fn an_agent_requester_is_the_cases_contact_and_keeps_the_other_roles() {
    let t = ticket(json!({
        "id": 11, "requester_id": 1, "submitter_id": 1, "assignee_id": 1,
        "collaborator_ids": [1]
    }));
    let mut people = people();
    let todo = resolve_ticket_people(&t, &[comment(1, 1)], &people, &owner())
        .expect_err("the agent's contact is not settled yet");
    assert_eq!(todo.contacts, vec![1]);
    assert!(todo.fetch.is_empty());
    people.add_contact_of(1, ContactId::new("alice-contact"));
    let resolved =
        resolve_ticket_people(&t, &[comment(1, 1)], &people, &owner()).expect("all settled");
    let alice = PersonRef::User(UserId::new("alice"));
    assert_eq!(
        resolved,
        TicketPeople {
            requester: Some(PersonRef::Contact(ContactId::new("alice-contact"))),
            submitter: Some(alice.clone()),
            assignee: Some(UserId::new("alice")),
            collaborators: vec![alice],
        }
    );
    assert_eq!(resolved.contact_id(), Some(ContactId::new("alice-contact")));
}

#[test]
fn a_ticket_lists_what_to_fetch_and_create_first() {
    let t = ticket(json!({
        "id": 10, "requester_id": 4, "submitter_id": 4, "assignee_id": 77,
        "collaborator_ids": [88, 7]
    }));
    let todo = resolve_ticket_people(&t, &[comment(1, 77), comment(2, 66)], &people(), &owner())
        .expect_err("people missing");
    assert_eq!(todo.fetch, vec![66, 77, 88]);
    // dan (4) once, although he is requester and submitter
    assert_eq!(todo.contacts, vec![4, 7]);
}

#[test]
fn after_loading_the_same_ticket_resolves() {
    let t = ticket(json!({"id": 10, "requester_id": 4, "assignee_id": 77}));
    let mut people = people();
    let todo = resolve_ticket_people(&t, &[], &people, &owner()).expect_err("missing");
    people.add_zendesk_user(zd_user(77, "agent", Some("alice@acme.com"), "Alice 2"));
    for (n, id) in todo.contacts.into_iter().enumerate() {
        people.add_contact_of(id, ContactId::new(format!("new-{n}")));
    }
    let resolved = resolve_ticket_people(&t, &[], &people, &owner()).expect("all loaded");
    assert_eq!(resolved.contact_id(), Some(ContactId::new("new-0")));
    assert_eq!(resolved.assignee, Some(UserId::new("alice")));
}

#[test]
fn outbound_assignee_table() {
    let people = people();
    for (crm_email, default_email, want) in [
        // CRM user's e-mail matches a Zendesk agent
        (Some("ALICE@acme.com"), Some("root@acme.com"), Some(1)),
        // no match → the default Zendesk user
        (Some("nobody@acme.com"), Some("Root@Acme.com"), Some(2)),
        // unassigned case → the default Zendesk user
        (None, Some("root@acme.com"), Some(2)),
        // no match and no default → none
        (Some("nobody@acme.com"), None, None),
        // a matching end-user is not an assignee; falls through to the default
        (Some("carol@cust.com"), Some("root@acme.com"), Some(2)),
        // a default that is not an agent → none
        (Some("nobody@acme.com"), Some("carol@cust.com"), None),
    ] {
        assert_eq!(
            zendesk_assignee_for(crm_email, default_email, &people),
            want,
            "{crm_email:?} {default_email:?}"
        );
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn any_role() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["end-user", "agent", "admin", "", "light-agent"])
    }

    proptest! {
        /// Whatever the requester's role, the requester is a contact, never a CRM user: one to
        /// settle, then that contact; without an e-mail, no reference at all.
        #[test]
        fn a_requester_of_any_role_is_a_contact(
            role in any_role(),
            email in prop::option::of("[a-z]{1,6}@[a-z]{1,6}\\.com"),
            known_as_crm_user in any::<bool>(),
        ) {
            let zd = zd_user(40, role, email.as_deref(), "Some Body");
            let crm: Vec<CrmUser> = email
                .iter()
                .filter(|_| known_as_crm_user)
                .map(|e| crm_user("crm", e))
                .collect();
            let mut people = KnownPeople::new([zd], &crm, []);
            let first = resolve_requester(Some(40), &people);
            match &email {
                None => prop_assert_eq!(first, PersonResolution::NoReference),
                Some(_) => {
                    prop_assert_eq!(first, PersonResolution::NeedsContact(40));
                    people.add_contact_of(40, ContactId::new("c40"));
                    prop_assert_eq!(resolve_requester(Some(40), &people), contact("c40"));
                }
            }
        }
    }
}
