//! Zendesk user links (docs/sync-rules.md §3.2 "Contacts"): which contact a Zendesk user of an
//! integration stands for, written together with the contact it creates or changes.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use zsync_core::ports::{StoreError, StoreResult, Versioned};
use zsync_mapping::Contact;
use zsync_mapping::contact_link::{ContactChange, ZendeskUserLink};

use super::io;
use super::schema::{CONTACTS, CONTACTS_BY_EMAIL, Stored, ZENDESK_USER_LINKS, decode, encode};

const LINK: &str = "zendesk user link";
const CONTACT: &str = "contact";

fn link_key(integration: &str, user: u64) -> String {
    format!("{integration}#{user}")
}

pub(crate) fn get_zendesk_user_link(
    txn: &ReadTransaction,
    integration: &str,
    user: u64,
) -> StoreResult<Option<Versioned<ZendeskUserLink>>> {
    let table = txn.open_table(ZENDESK_USER_LINKS).map_err(io)?;
    let found = table.get((integration, user)).map_err(io)?;
    found
        .map(|bytes| {
            let key = link_key(integration, user);
            let stored: Stored<ZendeskUserLink> = decode(LINK, &key, bytes.value())?;
            Ok(Versioned::new(stored.value, stored.version))
        })
        .transpose()
}

pub(crate) fn save_zendesk_user_link(
    txn: &WriteTransaction,
    link: &ZendeskUserLink,
    expected_version: u64,
    contact: &ContactChange,
) -> StoreResult<u64> {
    let integration = link.integration_id.as_str();
    let user = link.zendesk_user_id;
    let key = link_key(integration, user);
    let mut links = txn.open_table(ZENDESK_USER_LINKS).map_err(io)?;
    let current = match links.get((integration, user)).map_err(io)? {
        Some(bytes) => decode::<Stored<ZendeskUserLink>>(LINK, &key, bytes.value())?.version,
        None => 0,
    };
    if current != expected_version {
        return Err(StoreError::VersionConflict {
            entity: LINK,
            key,
            expected: expected_version,
        });
    }
    match contact {
        ContactChange::Keep => {}
        ContactChange::Create(contact) => create_contact(txn, contact)?,
        ContactChange::Replace {
            contact,
            previous_email,
        } => replace_contact(txn, contact, previous_email.as_deref())?,
    }
    let version = current + 1;
    let bytes = encode(
        LINK,
        &key,
        &Stored {
            version,
            value: link,
        },
    )?;
    links
        .insert((integration, user), bytes.as_slice())
        .map_err(io)?;
    Ok(version)
}

fn create_contact(txn: &WriteTransaction, contact: &Contact) -> StoreResult<()> {
    let mut contacts = txn.open_table(CONTACTS).map_err(io)?;
    let mut by_email = txn.open_table(CONTACTS_BY_EMAIL).map_err(io)?;
    let id = contact.id.as_str();
    if let Some(email) = contact.email.as_deref() {
        if by_email.get(email).map_err(io)?.is_some() {
            return Err(StoreError::AlreadyExists {
                entity: CONTACT,
                key: email.to_owned(),
            });
        }
        if contacts.get(id).map_err(io)?.is_some() {
            return Err(StoreError::AlreadyExists {
                entity: CONTACT,
                key: id.to_owned(),
            });
        }
        by_email.insert(email, id).map_err(io)?;
    } else if contacts.get(id).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: CONTACT,
            key: id.to_owned(),
        });
    }
    let bytes = encode(CONTACT, id, contact)?;
    contacts.insert(id, bytes.as_slice()).map_err(io)?;
    Ok(())
}

fn replace_contact(
    txn: &WriteTransaction,
    contact: &Contact,
    previous_email: Option<&str>,
) -> StoreResult<()> {
    let mut contacts = txn.open_table(CONTACTS).map_err(io)?;
    let mut by_email = txn.open_table(CONTACTS_BY_EMAIL).map_err(io)?;
    let id = contact.id.as_str();
    let stored: Contact = match contacts.get(id).map_err(io)? {
        Some(bytes) => decode(CONTACT, id, bytes.value())?,
        None => {
            return Err(StoreError::NotFound {
                entity: CONTACT,
                key: id.to_owned(),
            });
        }
    };
    if stored.email.as_deref() != previous_email {
        return Err(StoreError::VersionConflict {
            entity: CONTACT,
            key: id.to_owned(),
            expected: 0,
        });
    }
    let email = contact.email.as_deref();
    if email != previous_email {
        if let Some(new) = email
            && by_email.get(new).map_err(io)?.is_some()
        {
            return Err(StoreError::AlreadyExists {
                entity: CONTACT,
                key: new.to_owned(),
            });
        }
        if let Some(old) = previous_email {
            by_email.remove(old).map_err(io)?;
        }
        if let Some(new) = email {
            by_email.insert(new, id).map_err(io)?;
        }
    }
    let bytes = encode(CONTACT, id, contact)?;
    contacts.insert(id, bytes.as_slice()).map_err(io)?;
    Ok(())
}
