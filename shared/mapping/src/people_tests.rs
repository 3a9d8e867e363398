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

fn contact(id: &str, email: &str) -> Contact {
    Contact {
        id: ContactId::new(id),
        email: Some(email.into()),
        first_name: id.into(),
        last_name: id.into(),
        ..Contact::default()
    }
}

fn owner() -> UserId {
    UserId::new("owner")
}

/// Zendesk: 1 agent known to the CRM (e-mail in other case), 2 admin unknown to the CRM, 3
/// end-user with a contact, 4 end-user without one, 5 end-user without e-mail, 6 user without a
/// role, 7 end-user with a blank name.
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
        ],
        &[crm_user("alice", "alice@acme.com")],
        &[contact("carol", "carol@cust.com")],
    )
}

fn user(id: &str) -> PersonResolution {
    PersonResolution::Found(PersonRef::User(UserId::new(id)))
}

#[test]
fn resolution_table() {
    let people = people();
    let created = |email: &str| match resolve_person(
        people.zendesk_ids_by_email.get(email).copied(),
        &people,
        &owner(),
    ) {
        PersonResolution::CreateContact(c) => c,
        other => panic!("expected a contact to create, got {other:?}"),
    };
    for (id, want) in [
        // agent/admin → CRM user by primary e-mail (case-insensitive, trimmed)
        (Some(1), user("alice")),
        // agent/admin unknown to the CRM → the integration owner
        (Some(2), user("owner")),
        // end-user → contact by primary e-mail
        (
            Some(3),
            PersonResolution::Found(PersonRef::Contact(ContactId::new("carol"))),
        ),
        // end-user without e-mail → no reference (never matched by name)
        (Some(5), PersonResolution::NoReference),
        // unknown Zendesk id → fetch it, never replace it
        (Some(99), PersonResolution::NeedsFetch(99)),
        // no id at all
        (None, PersonResolution::NoReference),
    ] {
        assert_eq!(resolve_person(id, &people, &owner()), want, "{id:?}");
    }

    // end-user without a contact → one to create, with the parsed name
    let dan = created("dan@cust.com");
    assert_eq!(dan.email, "dan@cust.com");
    assert_eq!(dan.zendesk_user_id, 4);
    assert_eq!(dan.name.prefix.as_deref(), Some("Mr"));
    assert_eq!(dan.name.first, "Dan");
    assert_eq!(dan.name.middle.as_deref(), Some("Q."));
    assert_eq!(dan.name.last, "Public");
    assert_eq!(dan.name.suffix.as_deref(), Some("Jr"));
    // no role → treated as an end-user
    assert_eq!(created("erin@cust.com").name.first, "Erin");
    // blank name → the e-mail's local part
    let frank = created("frank@cust.com").into_contact(ContactId::new("c-frank"));
    assert_eq!(
        (frank.first_name.as_str(), frank.last_name.as_str()),
        ("frank", "frank")
    );
    assert_eq!(frank.email.as_deref(), Some("frank@cust.com"));
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
fn a_ticket_lists_what_to_fetch_and_create_first() {
    let t = ticket(json!({
        "id": 10, "requester_id": 4, "submitter_id": 4, "assignee_id": 77,
        "collaborator_ids": [88, 7]
    }));
    let todo = resolve_ticket_people(&t, &[comment(1, 77), comment(2, 66)], &people(), &owner())
        .expect_err("people missing");
    assert_eq!(todo.fetch, vec![66, 77, 88]);
    let emails: Vec<&str> = todo
        .create_contacts
        .iter()
        .map(|c| c.email.as_str())
        .collect();
    // dan once, although he is requester and submitter
    assert_eq!(emails, vec!["dan@cust.com", "frank@cust.com"]);
}

#[test]
fn after_loading_the_same_ticket_resolves() {
    let t = ticket(json!({"id": 10, "requester_id": 4, "assignee_id": 77}));
    let mut people = people();
    let todo = resolve_ticket_people(&t, &[], &people, &owner()).expect_err("missing");
    people.add_zendesk_user(zd_user(77, "agent", Some("alice@acme.com"), "Alice 2"));
    for (n, new) in todo.create_contacts.into_iter().enumerate() {
        people.add_contact(&new.into_contact(ContactId::new(format!("new-{n}"))));
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
