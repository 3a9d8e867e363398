use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::domain::{ContactId, UserId};
use crate::people::KnownPeople;

#[test]
fn status_table() {
    for (case, zendesk) in [
        (CaseStatus::Open, "open"),
        (CaseStatus::InProgress, "pending"),
        (CaseStatus::Resolved, "solved"),
        (CaseStatus::Closed, "solved"),
    ] {
        assert_eq!(outbound_status(case).as_str(), zendesk, "{case:?}");
    }
}

#[test]
fn priority_table() {
    for (case, zendesk) in [
        (CasePriority::Low, "low"),
        (CasePriority::Normal, "normal"),
        (CasePriority::High, "high"),
    ] {
        assert_eq!(outbound_priority(case).as_str(), zendesk, "{case:?}");
    }
}

#[test]
fn subject_and_description_rows() {
    assert_eq!(outbound_subject("Printer on fire"), "Printer on fire");
    assert_eq!(outbound_subject(" "), "N/A");
    assert_eq!(outbound_description("It burns."), "It burns.");
    assert_eq!(outbound_description(""), "N/A");
}

fn contact(email: Option<&str>, first: &str, last: &str) -> Contact {
    Contact {
        id: ContactId::new("c1"),
        email: email.map(str::to_owned),
        first_name: first.into(),
        last_name: last.into(),
        ..Contact::default()
    }
}

fn people() -> KnownPeople {
    let known: crate::zendesk::User = serde_json::from_value(json!({
        "id": 900, "email": "Known@Cust.com", "role": "end-user", "name": "Known"
    }))
    .expect("user decodes");
    KnownPeople::new([known], [], [])
}

#[test]
fn requester_table() {
    let people = people();
    for (contact, want) in [
        // the contact's e-mail matches a Zendesk user
        (
            Some(contact(Some("known@cust.com"), "K", "N")),
            PublishRequester::Existing(900),
        ),
        // no match: Zendesk creates the end-user
        (
            Some(contact(Some(" New@Cust.com"), "Nina", "New")),
            PublishRequester::NewEndUser {
                name: "Nina New".into(),
                email: "new@cust.com".into(),
            },
        ),
        // no contact, or a contact without e-mail: the API user
        (None, PublishRequester::ApiUser),
        (Some(contact(None, "No", "Mail")), PublishRequester::ApiUser),
    ] {
        assert_eq!(
            publish_requester(contact.as_ref(), &people),
            want,
            "{contact:?}"
        );
    }
}

#[test]
fn full_names() {
    let mut c = contact(None, "Bob", "Miller");
    c.name_prefix = Some("Mr".into());
    c.middle_name = Some("J".into());
    c.name_suffix = Some("Jr".into());
    assert_eq!(full_name(&c), "Mr Bob J Miller Jr");
    assert_eq!(full_name(&contact(None, "Cher", "Cher")), "Cher");
    assert_eq!(full_name(&contact(None, "Bob", "")), "Bob");
}

#[test]
fn a_published_ticket_follows_the_publish_table() {
    let now = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let case = Case {
        id: "case-7".into(),
        subject: "".into(),
        description: "Please call me".into(),
        status: CaseStatus::InProgress,
        priority: CasePriority::High,
        assigned_to: Some(UserId::new("u1")),
        contact_id: None,
        integration_id: Some("i1".into()),
        created_at: now,
        updated_at: now,
    };
    let ticket = ticket_for_case(&case, Some(5), PublishRequester::ApiUser);
    assert_eq!(
        ticket,
        PublishedTicket {
            subject: "N/A".into(),
            description: "Please call me".into(),
            priority: TicketPriority::High,
            status: TicketStatus::Pending,
            assignee_id: Some(5),
            requester: PublishRequester::ApiUser,
            external_id: "case-7".into(),
        }
    );
}
