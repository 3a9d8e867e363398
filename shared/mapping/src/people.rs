//! Who is who across the two systems (docs/sync-rules.md §3.2, §4), as pure functions over people
//! the caller has already loaded.
//!
//! Inbound: the requester is always a contact, whatever their role (agents included), and that
//! contact is the case's contact. Everyone else is resolved by role: Zendesk agents/admins become
//! CRM users (matched by primary e-mail, else the integration owner), end-users become contacts.
//! A contact is the one linked to the Zendesk user (`contact_link`: matched by e-mail, or created,
//! when the user is first seen); until the caller has settled that link the person is reported as
//! "needs contact". A person without an e-mail gets no contact reference, never a contact matched
//! by name. A Zendesk id the caller has not loaded is reported as "needs fetch", never replaced.
//!
//! Decisions where docs/sync-rules.md is silent:
//! - A Zendesk user whose role is missing or unknown is treated as an end-user (the less
//!   privileged reading); custom agent roles still arrive as `agent`.
//! - An agent who is the requester is a contact as requester and still a CRM user as submitter,
//!   assignee, collaborator or comment author.
//! - An unassigned ticket leaves `assigned_to` empty; the owner fallback is for an assignee the
//!   CRM does not know.

use std::collections::{BTreeSet, HashMap};

use crate::domain::{ContactId, CrmUser, PersonRef, UserId, ZendeskId};
use crate::email::{normalize_email, usable_email};
use crate::zendesk::{Comment, Ticket, User};

/// Already-loaded people. E-mails passed in are normalised (`email::normalize_email`).
pub trait PeopleLookup {
    /// A Zendesk user the caller has (sideloaded with the ticket, or fetched).
    fn zendesk_user(&self, id: ZendeskId) -> Option<&User>;
    /// A Zendesk user by e-mail (for CRM → Zendesk).
    fn zendesk_user_by_email(&self, email: &str) -> Option<&User>;
    fn crm_user_by_email(&self, email: &str) -> Option<UserId>;
    /// The contact the caller has settled for a Zendesk user (`contact_link::plan_contact`).
    fn contact_of(&self, zendesk_user: ZendeskId) -> Option<ContactId>;
}

/// What one Zendesk person reference becomes in the CRM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonResolution {
    Found(PersonRef),
    /// A person with an e-mail who is a contact here, and whose contact the caller has not
    /// settled yet (`contact_link::plan_contact`: linked, matched by e-mail or created).
    NeedsContact(ZendeskId),
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
    contact_for(user, people)
}

/// Resolves a requester: always a contact, whatever the role says (docs/sync-rules.md §3.2).
pub fn resolve_requester(id: Option<ZendeskId>, people: &impl PeopleLookup) -> PersonResolution {
    let Some(id) = id else {
        return PersonResolution::NoReference;
    };
    match people.zendesk_user(id) {
        Some(user) => contact_for(user, people),
        None => PersonResolution::NeedsFetch(id),
    }
}

fn contact_for(user: &User, people: &impl PeopleLookup) -> PersonResolution {
    if usable_email(user.email.as_deref()).is_none() {
        return PersonResolution::NoReference;
    }
    match people.contact_of(user.id) {
        Some(contact) => PersonResolution::Found(PersonRef::Contact(contact)),
        None => PersonResolution::NeedsContact(user.id),
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
    /// The case's contact: the requester's (the requester is always a contact, §3.2).
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
    /// Zendesk users whose contact is to be settled, sorted, without duplicates.
    pub contacts: Vec<ZendeskId>,
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
    let mut contacts = BTreeSet::new();
    let mut take = |resolution: PersonResolution| match resolution {
        PersonResolution::Found(person) => Some(person),
        PersonResolution::NeedsContact(id) => {
            contacts.insert(id);
            None
        }
        PersonResolution::NoReference => None,
        PersonResolution::NeedsFetch(id) => {
            fetch.insert(id);
            None
        }
    };

    let requester = take(resolve_requester(ticket.requester_id, people));
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

    if fetch.is_empty() && contacts.is_empty() {
        Ok(TicketPeople {
            requester,
            submitter,
            assignee,
            collaborators,
        })
    } else {
        Err(PeopleToLoad {
            fetch: fetch.into_iter().collect(),
            contacts: contacts.into_iter().collect(),
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
    contacts: HashMap<ZendeskId, ContactId>,
}

impl KnownPeople {
    pub fn new<'a>(
        zendesk_users: impl IntoIterator<Item = User>,
        crm_users: impl IntoIterator<Item = &'a CrmUser>,
        contacts: impl IntoIterator<Item = (ZendeskId, ContactId)>,
    ) -> Self {
        let mut known = Self::default();
        for user in zendesk_users {
            known.add_zendesk_user(user);
        }
        for user in crm_users {
            known.add_crm_user(user);
        }
        for (zendesk_user, contact) in contacts {
            known.add_contact_of(zendesk_user, contact);
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

    /// Zendesk user `zendesk_user`'s contact, as settled by the caller.
    pub fn add_contact_of(&mut self, zendesk_user: ZendeskId, contact: ContactId) {
        self.contacts.insert(zendesk_user, contact);
    }

    /// Drops what was settled for `zendesk_user` (a fresher snapshot of them arrived).
    pub fn forget_contact_of(&mut self, zendesk_user: ZendeskId) {
        self.contacts.remove(&zendesk_user);
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

    fn contact_of(&self, zendesk_user: ZendeskId) -> Option<ContactId> {
        self.contacts.get(&zendesk_user).cloned()
    }
}

#[cfg(test)]
#[path = "people_tests.rs"]
mod tests;
