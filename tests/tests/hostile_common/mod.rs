//! Customer text SQS refuses in a body (U+FFFF, U+FFFE, C0 controls), seeded into the simulator
//! as a ticket subject, a comment and a user name, and the check that the CRM holds it exactly.
#![allow(dead_code)]

use zsync_core::ports::CrmStore;
use zsync_mapping::zendesk::UserRole;
use zsync_mapping::{CaseId, ContactId};
use zsync_zendesk_sim::{NewTicket, Simulator};

pub const SUBJECT: &str = "Re: Rechnung \u{FFFF}offen\u{FFFE} \u{1}\u{1B}[31m \"q\" \\ 😀";
pub const DESCRIPTION: &str = "Beschreibung\u{FFFF}\n\ttab\r\n\u{8}";
pub const COMMENT: &str = "Kommentar \u{FFFE}\u{FFFF} mit \u{0}Null und \u{7}Glocke";
/// Two words, so the contact's first and last name are these words exactly.
pub const FIRST_NAME: &str = "Zoë\u{FFFE}";
pub const LAST_NAME: &str = "O'\u{FFFF}Brien\u{1}";

pub struct Seeded {
    pub ticket: u64,
    pub comment: u64,
    pub requester: u64,
}

/// One end user with the hostile name; their ticket with the hostile subject and description,
/// and a hostile comment by them on it.
pub fn seed_hostile(sim: &Simulator) -> Seeded {
    let requester = sim.add_user(
        &format!("{FIRST_NAME} {LAST_NAME}"),
        Some("zoe@customer.example.com"),
        UserRole::EndUser,
    );
    let ticket = sim.add_ticket(NewTicket {
        subject: SUBJECT.into(),
        description: DESCRIPTION.into(),
        requester_id: requester,
        ..NewTicket::default()
    });
    let comment = sim
        .add_comment(ticket, requester, COMMENT, true)
        .expect("comment");
    Seeded {
        ticket,
        comment,
        requester,
    }
}

/// The case, its comments and its contact hold the seeded text exactly.
pub async fn assert_crm_holds_the_exact_text(store: &dyn CrmStore, case_id: &CaseId) {
    let case = store
        .get_case(case_id)
        .await
        .expect("get case")
        .expect("case")
        .value;
    assert_eq!(case.subject, SUBJECT);
    let comments = store.list_comments(case_id).await.expect("comments");
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert!(bodies.contains(&COMMENT), "{bodies:?}");
    assert!(bodies.contains(&DESCRIPTION), "{bodies:?}");
    let contact_id: ContactId = case.contact_id.expect("the requester's contact");
    let contact = store
        .get_contact(&contact_id)
        .await
        .expect("get contact")
        .expect("contact");
    assert_eq!(
        (contact.first_name.as_str(), contact.last_name.as_str()),
        (FIRST_NAME, LAST_NAME)
    );
}
