use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn at(second: i64) -> Timestamp {
    DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default()
        + Duration::seconds(second)
}

fn snapshot(name: &str, email: Option<&str>, updated: Option<i64>) -> User {
    serde_json::from_value(json!({
        "id": 7, "role": "end-user", "name": name, "email": email,
        "updated_at": updated.map(at),
    }))
    .expect("user decodes")
}

fn integration() -> IntegrationId {
    IntegrationId::new("i1")
}

fn new_id() -> ContactId {
    ContactId::new("new")
}

fn fields(name: &str, email: &str) -> ContactFields {
    ContactFields::of(&snapshot(name, Some(email), None)).expect("has an e-mail")
}

fn link(contact: &str, name: &str, email: &str, updated: Option<i64>) -> ZendeskUserLink {
    ZendeskUserLink {
        integration_id: integration(),
        zendesk_user_id: 7,
        contact_id: ContactId::new(contact),
        user_updated_at: updated.map(at),
        applied: fields(name, email),
    }
}

fn contact(id: &str, name: &str, email: &str) -> Contact {
    fields(name, email).into_contact(ContactId::new(id))
}

fn plan(user: &User, link: Option<&ZendeskUserLink>, reads: &ContactReads) -> ContactPlan {
    plan_contact(&integration(), user, link, reads, &new_id())
}

fn write(plan: ContactPlan) -> ContactWrite {
    match plan {
        ContactPlan::Write(write) => *write,
        other => panic!("expected a write, got {other:?}"),
    }
}

fn read_both(linked: Option<Contact>, by_email: Option<Contact>) -> ContactReads {
    ContactReads {
        linked: Some(linked),
        by_email: Some(by_email),
    }
}

#[test]
fn fields_are_the_seeds_name_rules_and_the_normalised_email() {
    let dan = fields("Mr. Dan Q. Public Jr.", " DAN@Cust.com");
    assert_eq!(dan.email, "dan@cust.com");
    assert_eq!(dan.name.prefix.as_deref(), Some("Mr"));
    assert_eq!(dan.name.first, "Dan");
    assert_eq!(dan.name.middle.as_deref(), Some("Q."));
    assert_eq!(dan.name.last, "Public");
    assert_eq!(dan.name.suffix.as_deref(), Some("Jr"));
    // a blank name takes the e-mail's local part
    let frank = fields("  ", "frank@cust.com");
    assert_eq!(
        (frank.name.first.as_str(), frank.name.last.as_str()),
        ("frank", "frank")
    );
    // no usable e-mail, no contact
    assert_eq!(ContactFields::of(&snapshot("No Mail", None, None)), None);
    assert_eq!(
        plan(
            &snapshot("No Mail", Some("  "), Some(1)),
            None,
            &ContactReads::default()
        ),
        ContactPlan::NoContact
    );
}

#[test]
fn an_unlinked_user_is_matched_by_email_else_created() {
    let carol = snapshot("Carol Customer", Some("Carol@Cust.com"), Some(5));
    assert_eq!(
        plan(&carol, None, &ContactReads::default()),
        ContactPlan::ReadByEmail("carol@cust.com".into())
    );
    // none holds the e-mail: a new contact, linked
    let created = write(plan(&carol, None, &read_both(None, None)));
    assert_eq!(
        created.contact,
        ContactChange::Create(contact("new", "Carol Customer", "carol@cust.com"))
    );
    assert_eq!(
        created.link,
        link("new", "Carol Customer", "carol@cust.com", Some(5))
    );
    // one holds it with the same fields: linked, nothing else written
    let same = contact("c1", "Carol Customer", "carol@cust.com");
    let linked = write(plan(&carol, None, &read_both(None, Some(same))));
    assert_eq!(linked.contact, ContactChange::Keep);
    assert_eq!(linked.link.contact_id, ContactId::new("c1"));
    // one holds it under another name: linked, and it takes Zendesk's name
    let other = contact("c1", "C. Customer", "carol@cust.com");
    let renamed = write(plan(&carol, None, &read_both(None, Some(other))));
    assert_eq!(
        renamed.contact,
        ContactChange::Replace {
            contact: contact("c1", "Carol Customer", "carol@cust.com"),
            previous_email: Some("carol@cust.com".into()),
        }
    );
}

#[test]
fn a_linked_user_reads_nothing_unless_the_snapshot_is_newer_and_different() {
    let current = link("c1", "Carol Customer", "carol@cust.com", Some(5));
    let nothing = ContactReads::default();
    let use_c1 = ContactPlan::Use(ContactId::new("c1"));
    // the same snapshot again
    let same = snapshot("Carol Customer", Some("carol@cust.com"), Some(5));
    assert_eq!(plan(&same, Some(&current), &nothing), use_c1);
    // an older snapshot, whatever it says
    let older = snapshot("Old Name", Some("old@cust.com"), Some(4));
    assert_eq!(plan(&older, Some(&current), &nothing), use_c1);
    // a snapshot without updated_at cannot prove it is newer
    let undated = snapshot("Undated", Some("carol@cust.com"), None);
    assert_eq!(plan(&undated, Some(&current), &nothing), use_c1);
    // newer but the same fields: only the link's time moves (no contact read or write)
    let touched = snapshot("Carol Customer", Some("carol@cust.com"), Some(9));
    let moved = write(plan(&touched, Some(&current), &nothing));
    assert_eq!(moved.contact, ContactChange::Keep);
    assert_eq!(moved.link.user_updated_at, Some(at(9)));
}

#[test]
fn a_renamed_user_renames_the_linked_contact() {
    let current = link("c1", "Carol Customer", "carol@cust.com", Some(5));
    let renamed = snapshot("Dr. Carol Ann Smith-Jones", Some("carol@cust.com"), Some(6));
    assert_eq!(
        plan(&renamed, Some(&current), &ContactReads::default()),
        ContactPlan::ReadLinked(ContactId::new("c1"))
    );
    let reads = ContactReads {
        linked: Some(Some(contact("c1", "Carol Customer", "carol@cust.com"))),
        by_email: None,
    };
    let w = write(plan(&renamed, Some(&current), &reads));
    let ContactChange::Replace {
        contact: after,
        previous_email,
    } = w.contact
    else {
        panic!("expected a replace, got {:?}", w.contact);
    };
    assert_eq!(previous_email.as_deref(), Some("carol@cust.com"));
    assert_eq!(after.id, ContactId::new("c1"));
    assert_eq!(after.name_prefix.as_deref(), Some("Dr"));
    assert_eq!(after.first_name, "Carol");
    assert_eq!(after.middle_name.as_deref(), Some("Ann"));
    assert_eq!(after.last_name, "Smith-Jones");
    assert_eq!(w.link.user_updated_at, Some(at(6)));
    // an equally old snapshot with other fields is applied again (as ticket states are)
    let same_second = snapshot("Carol Other", Some("carol@cust.com"), Some(5));
    assert_eq!(
        plan(&same_second, Some(&current), &ContactReads::default()),
        ContactPlan::ReadLinked(ContactId::new("c1"))
    );
}

#[test]
fn a_changed_email_moves_the_contact_or_links_the_contact_holding_it() {
    let current = link("c1", "Carol Customer", "carol@cust.com", Some(5));
    let moved = snapshot("Carol Customer", Some("carol@new.com"), Some(6));
    assert_eq!(
        plan(&moved, Some(&current), &ContactReads::default()),
        ContactPlan::ReadByEmail("carol@new.com".into())
    );
    // nobody holds the new e-mail: the same contact takes it
    let free = ContactReads {
        linked: None,
        by_email: Some(None),
    };
    assert_eq!(
        plan(&moved, Some(&current), &free),
        ContactPlan::ReadLinked(ContactId::new("c1"))
    );
    let w = write(plan(
        &moved,
        Some(&current),
        &read_both(
            Some(contact("c1", "Carol Customer", "carol@cust.com")),
            None,
        ),
    ));
    assert_eq!(
        w.contact,
        ContactChange::Replace {
            contact: contact("c1", "Carol Customer", "carol@new.com"),
            previous_email: Some("carol@cust.com".into()),
        }
    );
    assert_eq!(w.link.contact_id, ContactId::new("c1"));
    // another contact holds it: the link moves there, no contact is created or moved
    let holder = contact("c2", "Carol Customer", "carol@new.com");
    let relinked = write(plan(
        &moved,
        Some(&current),
        &ContactReads {
            linked: None,
            by_email: Some(Some(holder)),
        },
    ));
    assert_eq!(relinked.contact, ContactChange::Keep);
    assert_eq!(relinked.link.contact_id, ContactId::new("c2"));
    assert_eq!(relinked.link.applied.email, "carol@new.com");
}

/// A CRM with one Zendesk user's link, run through `plan_contact` the way the engine does, with
/// the store's guarantees checked on every write.
#[derive(Default)]
struct Crm {
    link: Option<ZendeskUserLink>,
    contacts: BTreeMap<ContactId, Contact>,
    created: usize,
}

impl Crm {
    fn holder_of(&self, email: &str) -> Option<Contact> {
        self.contacts
            .values()
            .find(|c| c.email.as_deref() == Some(email))
            .cloned()
    }

    fn apply(&mut self, user: &User) -> Option<ContactId> {
        let mut reads = ContactReads::default();
        let new_id = ContactId::new(format!("new-{}", self.contacts.len()));
        for _ in 0..4 {
            match plan_contact(&integration(), user, self.link.as_ref(), &reads, &new_id) {
                ContactPlan::NoContact => return None,
                ContactPlan::Use(id) => return Some(id),
                ContactPlan::ReadLinked(id) => reads.linked = Some(self.contacts.get(&id).cloned()),
                ContactPlan::ReadByEmail(email) => reads.by_email = Some(self.holder_of(&email)),
                ContactPlan::Write(write) => return Some(self.write(*write)),
            }
        }
        panic!("no plan settled within four reads");
    }

    fn write(&mut self, write: ContactWrite) -> ContactId {
        match write.contact {
            ContactChange::Keep => {}
            ContactChange::Create(contact) => {
                let email = contact.email.clone().expect("made with an e-mail");
                assert!(self.holder_of(&email).is_none(), "{email} is taken");
                self.created += 1;
                self.contacts.insert(contact.id.clone(), contact);
            }
            ContactChange::Replace {
                contact,
                previous_email,
            } => {
                let stored = self.contacts.get(&contact.id).expect("replaces a contact");
                assert_eq!(stored.email, previous_email);
                if contact.email != previous_email {
                    let email = contact.email.clone().expect("has an e-mail");
                    assert!(self.holder_of(&email).is_none(), "{email} is taken");
                }
                self.contacts.insert(contact.id.clone(), contact);
            }
        }
        let id = write.link.contact_id.clone();
        self.link = Some(write.link);
        id
    }
}

fn name_words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Z][a-z'-]{0,7}",
            1 => prop::sample::select(crate::contact_name::NAME_PREFIXES).prop_map(|p| format!("{p}.")),
            1 => prop::sample::select(crate::contact_name::NAME_SUFFIXES).prop_map(str::to_owned),
        ],
        1..6,
    )
}

const EMAILS: [&str; 3] = ["a@cust.com", "b@cust.com", "c@cust.com"];

proptest! {
    /// However often and in whatever order a user's snapshots arrive, the contact the user ends
    /// up linked to says what the newest snapshot says; at most one contact is ever created for
    /// the user, and no two contacts share an e-mail (the `Crm` asserts it on every write).
    #[test]
    fn the_newest_snapshot_wins_in_any_order(
        snapshots in prop::collection::vec((name_words(), 0..EMAILS.len()), 1..6),
        held_by_others in prop::collection::vec(any::<bool>(), EMAILS.len()),
        order_seed in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        shuffle in any::<prop::sample::Index>(),
    ) {
        let users: Vec<User> = snapshots
            .iter()
            .enumerate()
            .map(|(i, (words, email))| {
                snapshot(&words.join(" "), Some(EMAILS[*email]), Some(i64::try_from(i).unwrap_or(0)))
            })
            .collect();
        // every snapshot at least once, some twice, in a shuffled order
        let mut order: Vec<usize> = (0..users.len()).collect();
        order.extend(order_seed.iter().map(|i| i.index(users.len())));
        let rotate = shuffle.index(order.len());
        order.rotate_left(rotate);
        order.reverse();
        let mut crm = Crm::default();
        for (n, held) in held_by_others.iter().enumerate() {
            if *held {
                let other = contact(&format!("other-{n}"), "Someone Else", EMAILS[n]);
                crm.contacts.insert(other.id.clone(), other);
            }
        }
        let mut last = None;
        for i in order {
            last = crm.apply(&users[i]);
        }
        let newest = users.last().expect("at least one");
        let link = crm.link.clone().expect("linked");
        prop_assert_eq!(last.as_ref(), Some(&link.contact_id));
        let linked = crm.contacts.get(&link.contact_id).expect("the linked contact exists");
        let want = ContactFields::of(newest).expect("has an e-mail").into_contact(link.contact_id.clone());
        prop_assert_eq!(linked, &want);
        prop_assert!(crm.created <= 1, "{} contacts created", crm.created);
    }

    /// A renamed user's contact is re-parsed by the seed's rules and loses no word: read in
    /// order, the parts give back every word of the new name (a listed title or suffix without
    /// its trailing dot).
    #[test]
    fn a_changed_name_keeps_every_word(old in name_words(), new in name_words()) {
        let mut crm = Crm::default();
        crm.apply(&snapshot(&old.join(" "), Some("a@cust.com"), Some(1)));
        let id = crm.apply(&snapshot(&new.join("  "), Some("a@cust.com"), Some(2))).expect("a contact");
        prop_assert_eq!(crm.created, 1);
        let c = crm.contacts.get(&id).expect("stored");
        let strip = |w: &str| w.strip_suffix('.').unwrap_or(w).to_owned();
        let mut parts: Vec<String> = c.name_prefix.iter().cloned().collect();
        parts.push(c.first_name.clone());
        parts.extend(c.middle_name.clone());
        let core = usize::from(c.name_prefix.is_some()) + usize::from(c.name_suffix.is_some());
        if new.len() - core > 1 {
            parts.extend(c.last_name.split(' ').map(str::to_owned));
        }
        parts.extend(c.name_suffix.clone());
        let parts: Vec<String> = parts.iter().map(|w| strip(w)).collect();
        let words: Vec<String> = new.iter().map(|w| strip(w)).collect();
        prop_assert_eq!(parts, words);
    }
}
