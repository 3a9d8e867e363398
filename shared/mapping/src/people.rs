//! Who is who across the two systems (docs/sync-rules.md §3.2, §4), as pure functions over people
//! the caller has already loaded.
//!
//! Inbound: Zendesk agents/admins become CRM users (matched by primary e-mail, else the
//! integration owner); end-users become contacts (matched by primary e-mail, else a contact to
//! create); an end-user without an e-mail gets no reference, never a contact matched by name. A
//! Zendesk id the caller has not loaded is reported as "needs fetch", never replaced.
//!
//! Decisions where docs/sync-rules.md is silent:
//! - A Zendesk user whose role is missing or unknown is treated as an end-user (the less
//!   privileged reading); custom agent roles still arrive as `agent`.
//! - The requester and collaborators are resolved by role like every other person, so an agent
//!   requester is a user reference (and the case then has no contact).
//! - An unassigned ticket leaves `assigned_to` empty; the owner fallback is for an assignee the
//!   CRM does not know.
//! - A contact created from a Zendesk user with a blank name takes the e-mail's local part as
//!   first and last name (contacts need a name).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::contact_name::{ContactName, parse_contact_name};
use crate::domain::{Contact, ContactId, CrmUser, PersonRef, UserId, ZendeskId};
use crate::email::{normalize_email, usable_email};
use crate::zendesk::{Comment, Ticket, User};

/// Already-loaded people. E-mails passed in are normalised (`email::normalize_email`).
pub trait PeopleLookup {
    /// A Zendesk user the caller has (sideloaded with the ticket, or fetched).
    fn zendesk_user(&self, id: ZendeskId) -> Option<&User>;
    /// A Zendesk user by e-mail (for CRM → Zendesk).
    fn zendesk_user_by_email(&self, email: &str) -> Option<&User>;
    fn crm_user_by_email(&self, email: &str) -> Option<UserId>;
    fn contact_by_email(&self, email: &str) -> Option<ContactId>;
}

/// A contact to create for a Zendesk end-user that matched none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContact {
    /// Normalised; the key that must stay unique (two syncs must not create two contacts).
    pub email: String,
    pub name: ContactName,
    pub phone: Option<String>,
    pub zendesk_user_id: ZendeskId,
}

impl NewContact {
    pub fn into_contact(self, id: ContactId) -> Contact {
        Contact {
            id,
            email: Some(self.email),
            name_prefix: self.name.prefix,
            first_name: self.name.first,
            middle_name: self.name.middle,
            last_name: self.name.last,
            name_suffix: self.name.suffix,
            phone: self.phone,
        }
    }
}

/// What one Zendesk person reference becomes in the CRM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonResolution {
    Found(PersonRef),
    /// An end-user with an e-mail and no contact yet.
    CreateContact(NewContact),
    /// No reference: a null id, or an end-user without a usable e-mail.
    NoReference,
    /// The caller has not loaded this Zendesk user: fetch it (`users/show_many`) and resolve again.
    NeedsFetch(ZendeskId),
}

/// Resolves any person by role: staff → user (or the owner), end-user → contact.
pub fn resolve_person(
    id: Option<ZendeskId>,
    people: &impl PeopleLookup,
    owner: &UserId,
) -> PersonResolution {
    let Some(id) = id else {
        return PersonResolution::NoReference;
    };
    let Some(user) = people.zendesk_user(id) else {
        return PersonResolution::NeedsFetch(id);
    };
    if user.is_staff() {
        return PersonResolution::Found(PersonRef::User(crm_user_for(user, people, owner)));
    }
    let Some(email) = usable_email(user.email.as_deref()) else {
        return PersonResolution::NoReference;
    };
    match people.contact_by_email(&email) {
        Some(contact) => PersonResolution::Found(PersonRef::Contact(contact)),
        None => PersonResolution::CreateContact(new_contact(user, email)),
    }
}

/// Resolves an assignee: always a CRM user (by e-mail, else the owner), whatever the role says.
pub fn resolve_assignee(
    id: Option<ZendeskId>,
    people: &impl PeopleLookup,
    owner: &UserId,
) -> PersonResolution {
    let Some(id) = id else {
        return PersonResolution::NoReference;
    };
    match people.zendesk_user(id) {
        Some(user) => PersonResolution::Found(PersonRef::User(crm_user_for(user, people, owner))),
        None => PersonResolution::NeedsFetch(id),
    }
}

fn crm_user_for(user: &User, people: &impl PeopleLookup, owner: &UserId) -> UserId {
    usable_email(user.email.as_deref())
        .and_then(|email| people.crm_user_by_email(&email))
        .unwrap_or_else(|| owner.clone())
}

fn new_contact(user: &User, email: String) -> NewContact {
    let mut name = parse_contact_name(&user.name);
    if name.first.is_empty() {
        let local = email.split('@').next().unwrap_or_default().to_owned();
        name.first = local.clone();
        name.last = local;
    }
    NewContact {
        email,
        name,
        phone: user.phone.clone().filter(|p| !p.trim().is_empty()),
        zendesk_user_id: user.id,
    }
}

/// The people of one ticket (docs/sync-rules.md §3.2), all resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketPeople {
    pub requester: Option<PersonRef>,
    pub submitter: Option<PersonRef>,
    pub assignee: Option<UserId>,
    /// In Zendesk's order, without duplicates; people without a reference are left out.
    pub collaborators: Vec<PersonRef>,
}

impl TicketPeople {
    /// The case's contact: the requester when the requester is a contact.
    pub fn contact_id(&self) -> Option<ContactId> {
        match &self.requester {
            Some(PersonRef::Contact(id)) => Some(id.clone()),
            _ => None,
        }
    }
}

/// What the caller must do before a ticket's people can be resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeopleToLoad {
    /// Zendesk users to fetch, sorted, without duplicates.
    pub fetch: Vec<ZendeskId>,
    /// Contacts to create (one per e-mail), sorted by e-mail.
    pub create_contacts: Vec<NewContact>,
}

/// Resolves all people of a ticket and its comments' authors, or says what to load first. The
/// caller fetches/creates and calls again; with everything loaded this returns `Ok`.
pub fn resolve_ticket_people(
    ticket: &Ticket,
    comments: &[Comment],
    people: &impl PeopleLookup,
    owner: &UserId,
) -> Result<TicketPeople, PeopleToLoad> {
    let mut fetch = BTreeSet::new();
    let mut create = BTreeMap::new();
    let mut take = |resolution: PersonResolution| match resolution {
        PersonResolution::Found(person) => Some(person),
        PersonResolution::CreateContact(contact) => {
            create.entry(contact.email.clone()).or_insert(contact);
            None
        }
        PersonResolution::NoReference => None,
        PersonResolution::NeedsFetch(id) => {
            fetch.insert(id);
            None
        }
    };

    let requester = take(resolve_person(ticket.requester_id, people, owner));
    let submitter = take(resolve_person(ticket.submitter_id, people, owner));
    let assignee = match take(resolve_assignee(ticket.assignee_id, people, owner)) {
        Some(PersonRef::User(id)) => Some(id),
        _ => None,
    };
    let mut collaborators: Vec<PersonRef> = Vec::new();
    for id in &ticket.collaborator_ids {
        if let Some(person) = take(resolve_person(Some(*id), people, owner))
            && !collaborators.contains(&person)
        {
            collaborators.push(person);
        }
    }
    for comment in comments {
        take(resolve_person(comment.author_id, people, owner));
    }

    if fetch.is_empty() && create.is_empty() {
        Ok(TicketPeople {
            requester,
            submitter,
            assignee,
            collaborators,
        })
    } else {
        Err(PeopleToLoad {
            fetch: fetch.into_iter().collect(),
            create_contacts: create.into_values().collect(),
        })
    }
}

/// CRM → Zendesk (docs/sync-rules.md §4): the Zendesk agent whose e-mail matches the CRM user's,
/// else the integration's default Zendesk user (by e-mail), else none. Only agents/admins qualify:
/// Zendesk refuses an end-user as assignee.
pub fn zendesk_assignee_for(
    crm_user_email: Option<&str>,
    default_zendesk_user_email: Option<&str>,
    people: &impl PeopleLookup,
) -> Option<ZendeskId> {
    let staff_by = |email: &str| {
        people
            .zendesk_user_by_email(&normalize_email(email))
            .filter(|u| u.is_staff())
            .map(|u| u.id)
    };
    crm_user_email
        .and_then(staff_by)
        .or_else(|| default_zendesk_user_email.and_then(staff_by))
}

/// An in-memory `PeopleLookup` over loaded records (what the engine reads per ticket).
#[derive(Clone, Debug, Default)]
pub struct KnownPeople {
    zendesk_users: HashMap<ZendeskId, User>,
    zendesk_ids_by_email: HashMap<String, ZendeskId>,
    crm_users: HashMap<String, UserId>,
    contacts: HashMap<String, ContactId>,
}

impl KnownPeople {
    pub fn new<'a>(
        zendesk_users: impl IntoIterator<Item = User>,
        crm_users: impl IntoIterator<Item = &'a CrmUser>,
        contacts: impl IntoIterator<Item = &'a Contact>,
    ) -> Self {
        let mut known = Self::default();
        for user in zendesk_users {
            known.add_zendesk_user(user);
        }
        for user in crm_users {
            known.add_crm_user(user);
        }
        for contact in contacts {
            known.add_contact(contact);
        }
        known
    }

    pub fn add_zendesk_user(&mut self, user: User) {
        if let Some(email) = usable_email(user.email.as_deref()) {
            self.zendesk_ids_by_email.insert(email, user.id);
        }
        self.zendesk_users.insert(user.id, user);
    }

    pub fn add_crm_user(&mut self, user: &CrmUser) {
        self.crm_users
            .insert(normalize_email(&user.email), user.id.clone());
    }

    pub fn add_contact(&mut self, contact: &Contact) {
        if let Some(email) = usable_email(contact.email.as_deref()) {
            self.contacts.insert(email, contact.id.clone());
        }
    }
}

impl PeopleLookup for KnownPeople {
    fn zendesk_user(&self, id: ZendeskId) -> Option<&User> {
        self.zendesk_users.get(&id)
    }

    fn zendesk_user_by_email(&self, email: &str) -> Option<&User> {
        self.zendesk_ids_by_email
            .get(email)
            .and_then(|id| self.zendesk_users.get(id))
    }

    fn crm_user_by_email(&self, email: &str) -> Option<UserId> {
        self.crm_users.get(email).cloned()
    }

    fn contact_by_email(&self, email: &str) -> Option<ContactId> {
        self.contacts.get(email).cloned()
    }
}

#[cfg(test)]
#[path = "people_tests.rs"]
mod tests;
