//! Contacts follow Zendesk (docs/sync-rules.md §3.2 "Contacts"): each Zendesk user of an
//! integration that stands for a contact is linked to that contact, and every snapshot of the user
//! the sync reads is planned against the link — as pure functions over what the caller has read.
//!
//! The link is what keeps one contact per person across e-mail changes: a contact is found by the
//! Zendesk user first, by e-mail only when the user has no link yet (or their e-mail changed).
//!
//! Decisions where docs/sync-rules.md is silent:
//! - A snapshot is ordered by the user's `updated_at`; one without it counts as older than any
//!   dated one (it cannot prove it is newer). An equally old snapshot is applied again, like a
//!   ticket state (§3.4).
//! - A newer snapshot whose mapped fields are unchanged still moves the link's `updated_at`, so
//!   that an older snapshot arriving later cannot undo what that newer one confirmed.
//! - The phone number follows like the name and e-mail (all mapped fields do).
//! - A contact found by e-mail takes the Zendesk user's name when it is linked: contacts are made
//!   by the sync only, so Zendesk is their source.
//! - When the e-mail moves to another contact, the old contact keeps its old e-mail and name; it
//!   is simply no longer linked.
//! - A user whose e-mail is removed in Zendesk gets no contact reference (as any end-user without
//!   e-mail); the link is kept for when an e-mail comes back.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::contact_name::{ContactName, parse_contact_name};
use crate::domain::{Contact, ContactId, IntegrationId, Timestamp, ZendeskId};
use crate::email::usable_email;
use crate::zendesk::User;

/// What a contact says about its Zendesk user: the fields the sync maps (docs/sync-rules.md §3.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFields {
    /// Normalised (`email::normalize_email`).
    pub email: String,
    pub name: ContactName,
    pub phone: Option<String>,
}

impl ContactFields {
    /// The fields of a Zendesk user; `None` without a usable e-mail (no contact then). A blank
    /// name takes the e-mail's local part as first and last name, since a contact needs a name.
    pub fn of(user: &User) -> Option<Self> {
        let email = usable_email(user.email.as_deref())?;
        let mut name = parse_contact_name(&user.name);
        if name.first.is_empty() {
            let local = email.split('@').next().unwrap_or_default().to_owned();
            name.first = local.clone();
            name.last = local;
        }
        Some(Self {
            email,
            name,
            phone: user.phone.clone().filter(|p| !p.trim().is_empty()),
        })
    }

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

/// Zendesk user `zendesk_user_id` of one integration stands for contact `contact_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZendeskUserLink {
    pub integration_id: IntegrationId,
    pub zendesk_user_id: ZendeskId,
    pub contact_id: ContactId,
    /// The `updated_at` of the user snapshot last applied; older snapshots are ignored.
    pub user_updated_at: Option<Timestamp>,
    /// The contact fields that snapshot mapped to: a snapshot mapping to the same is no change.
    pub applied: ContactFields,
}

/// What happens to the contact when a link is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactChange {
    /// The contact already says what Zendesk says.
    Keep,
    /// A new contact (its e-mail must still be free).
    Create(Contact),
    /// The contact with these fields, replacing one whose e-mail was `previous_email` (a new
    /// e-mail must still be free).
    Replace {
        contact: Contact,
        previous_email: Option<String>,
    },
}

/// One write: the link, and its contact's change, together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactWrite {
    pub link: ZendeskUserLink,
    pub contact: ContactChange,
}

/// The contacts the caller has read for one user so far. `None`: not read yet; `Some(None)`:
/// read, there is none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactReads {
    /// The contact the link points at.
    pub linked: Option<Option<Contact>>,
    /// The contact holding the snapshot's e-mail.
    pub by_email: Option<Option<Contact>>,
}

/// The next step for one Zendesk user snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactPlan {
    /// No usable e-mail: no contact reference.
    NoContact,
    /// The contact to reference; nothing to write.
    Use(ContactId),
    /// Read this contact (the linked one) and plan again.
    ReadLinked(ContactId),
    /// Read the contact holding this e-mail and plan again.
    ReadByEmail(String),
    /// Write this, then reference `link.contact_id`.
    Write(Box<ContactWrite>),
}

/// How a snapshot stands to the one a link applied: a snapshot without `updated_at` is older than
/// any dated one.
pub fn snapshot_order(snapshot: Option<Timestamp>, applied: Option<Timestamp>) -> Ordering {
    snapshot.cmp(&applied)
}

/// Plans one Zendesk user snapshot against its link (docs/sync-rules.md §3.2 "Contacts"):
/// an unlinked user is linked to the contact holding their e-mail, else to a new contact
/// `new_id`; a linked user's contact follows a newer snapshot, and a changed e-mail that another
/// contact holds moves the link to that contact.
pub fn plan_contact(
    integration: &IntegrationId,
    user: &User,
    link: Option<&ZendeskUserLink>,
    reads: &ContactReads,
    new_id: &ContactId,
) -> ContactPlan {
    let Some(fields) = ContactFields::of(user) else {
        return ContactPlan::NoContact;
    };
    let link_to = |contact_id: ContactId, contact: ContactChange| {
        ContactPlan::Write(Box::new(ContactWrite {
            link: ZendeskUserLink {
                integration_id: integration.clone(),
                zendesk_user_id: user.id,
                contact_id,
                user_updated_at: user.updated_at,
                applied: fields.clone(),
            },
            contact,
        }))
    };
    let Some(link) = link else {
        return match &reads.by_email {
            None => ContactPlan::ReadByEmail(fields.email),
            Some(Some(existing)) => link_to(existing.id.clone(), follow(existing, &fields)),
            Some(None) => link_to(
                new_id.clone(),
                ContactChange::Create(fields.clone().into_contact(new_id.clone())),
            ),
        };
    };
    let unchanged = fields == link.applied;
    match snapshot_order(user.updated_at, link.user_updated_at) {
        Ordering::Less => return ContactPlan::Use(link.contact_id.clone()),
        Ordering::Equal if unchanged => return ContactPlan::Use(link.contact_id.clone()),
        Ordering::Greater if unchanged => {
            return link_to(link.contact_id.clone(), ContactChange::Keep);
        }
        _ => {}
    }
    if fields.email != link.applied.email {
        match &reads.by_email {
            None => return ContactPlan::ReadByEmail(fields.email),
            Some(Some(holder)) => return link_to(holder.id.clone(), follow(holder, &fields)),
            Some(None) => {}
        }
    }
    match &reads.linked {
        None => ContactPlan::ReadLinked(link.contact_id.clone()),
        Some(Some(current)) => link_to(current.id.clone(), follow(current, &fields)),
        // The linked contact is gone (contacts are never deleted today): make it again, under
        // the same id, so the references to it hold.
        Some(None) => link_to(
            link.contact_id.clone(),
            ContactChange::Create(fields.clone().into_contact(link.contact_id.clone())),
        ),
    }
}

/// The change that makes `current` say what `fields` say.
fn follow(current: &Contact, fields: &ContactFields) -> ContactChange {
    let wanted = fields.clone().into_contact(current.id.clone());
    if wanted == *current {
        ContactChange::Keep
    } else {
        ContactChange::Replace {
            contact: wanted,
            previous_email: current.email.clone(),
        }
    }
}

#[cfg(test)]
#[path = "contact_link_tests.rs"]
mod tests;
