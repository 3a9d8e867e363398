//! Integrations, CRM users and contacts.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use zsync_core::ports::{ContactOutcome, Page, StoreError, StoreResult, Versioned};
use zsync_mapping::integration_url::account_key;
use zsync_mapping::{Contact, CrmUser, Integration, IntegrationId};

use super::schema::{
    CONTACTS, CONTACTS_BY_EMAIL, INTEGRATIONS, Stored, USERS, USERS_BY_EMAIL, decode,
    decode_cursor, encode, encode_cursor,
};
use super::{accounts, io};

const INTEGRATION: &str = "integration";
const USER: &str = "user";
const CONTACT: &str = "contact";

pub(crate) fn create_integration(
    txn: &WriteTransaction,
    integration: &Integration,
) -> StoreResult<()> {
    let key = integration.id.as_str();
    if txn
        .open_table(INTEGRATIONS)
        .map_err(io)?
        .get(key)
        .map_err(io)?
        .is_some()
    {
        return Err(StoreError::AlreadyExists {
            entity: INTEGRATION,
            key: key.to_owned(),
        });
    }
    accounts::claim(txn, &account_key(&integration.url), &integration.id)?;
    let mut table = txn.open_table(INTEGRATIONS).map_err(io)?;
    let bytes = encode(
        INTEGRATION,
        key,
        &Stored {
            version: 1,
            value: integration,
        },
    )?;
    table.insert(key, bytes.as_slice()).map_err(io)?;
    Ok(())
}

pub(crate) fn get_integration(
    txn: &ReadTransaction,
    id: &IntegrationId,
) -> StoreResult<Option<Versioned<Integration>>> {
    let table = txn.open_table(INTEGRATIONS).map_err(io)?;
    let found = table.get(id.as_str()).map_err(io)?;
    found
        .map(|bytes| {
            let stored: Stored<Integration> = decode(INTEGRATION, id.as_str(), bytes.value())?;
            Ok(Versioned::new(stored.value, stored.version))
        })
        .transpose()
}

pub(crate) fn list_integrations(txn: &ReadTransaction) -> StoreResult<Vec<Versioned<Integration>>> {
    let table = txn.open_table(INTEGRATIONS).map_err(io)?;
    let mut out = Vec::new();
    for row in table.iter().map_err(io)? {
        let (key, bytes) = row.map_err(io)?;
        let stored: Stored<Integration> = decode(INTEGRATION, key.value(), bytes.value())?;
        out.push(Versioned::new(stored.value, stored.version));
    }
    Ok(out)
}

pub(crate) fn update_integration(
    txn: &WriteTransaction,
    integration: &Integration,
    expected: u64,
) -> StoreResult<u64> {
    let key = integration.id.as_str();
    let stored = {
        let table = txn.open_table(INTEGRATIONS).map_err(io)?;
        let found = table.get(key).map_err(io)?;
        found
            .map(|bytes| decode::<Stored<Integration>>(INTEGRATION, key, bytes.value()))
            .transpose()?
    };
    let current = match stored {
        Some(stored) => {
            let (old, new) = (
                account_key(&stored.value.url),
                account_key(&integration.url),
            );
            if stored.version == expected && old != new {
                accounts::claim(txn, &new, &integration.id)?;
                accounts::release(txn, &old, &integration.id, false)?;
            }
            stored.version
        }
        None => {
            return Err(StoreError::NotFound {
                entity: INTEGRATION,
                key: key.to_owned(),
            });
        }
    };
    if current != expected {
        return Err(StoreError::VersionConflict {
            entity: INTEGRATION,
            key: key.to_owned(),
            expected,
        });
    }
    let version = current + 1;
    let mut table = txn.open_table(INTEGRATIONS).map_err(io)?;
    let bytes = encode(
        INTEGRATION,
        key,
        &Stored {
            version,
            value: integration,
        },
    )?;
    table.insert(key, bytes.as_slice()).map_err(io)?;
    Ok(version)
}

pub(crate) fn delete_integration(txn: &WriteTransaction, id: &IntegrationId) -> StoreResult<()> {
    let stored = {
        let mut table = txn.open_table(INTEGRATIONS).map_err(io)?;
        let removed = table.remove(id.as_str()).map_err(io)?;
        removed
            .map(|bytes| decode::<Stored<Integration>>(INTEGRATION, id.as_str(), bytes.value()))
            .transpose()?
    };
    match stored {
        Some(stored) => accounts::release(txn, &account_key(&stored.value.url), id, true),
        None => Ok(()),
    }
}

pub(crate) fn create_user(txn: &WriteTransaction, user: &CrmUser) -> StoreResult<()> {
    let mut users = txn.open_table(USERS).map_err(io)?;
    let mut by_email = txn.open_table(USERS_BY_EMAIL).map_err(io)?;
    let key = user.id.as_str();
    if users.get(key).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: USER,
            key: key.to_owned(),
        });
    }
    if by_email.get(user.email.as_str()).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: USER,
            key: user.email.clone(),
        });
    }
    let bytes = encode(USER, key, user)?;
    users.insert(key, bytes.as_slice()).map_err(io)?;
    by_email.insert(user.email.as_str(), key).map_err(io)?;
    Ok(())
}

pub(crate) fn get_user(txn: &ReadTransaction, id: &str) -> StoreResult<Option<CrmUser>> {
    let table = txn.open_table(USERS).map_err(io)?;
    let found = table.get(id).map_err(io)?;
    found
        .map(|bytes| decode(USER, id, bytes.value()))
        .transpose()
}

pub(crate) fn find_user_by_email(
    txn: &ReadTransaction,
    email: &str,
) -> StoreResult<Option<CrmUser>> {
    let index = txn.open_table(USERS_BY_EMAIL).map_err(io)?;
    let id = index
        .get(email)
        .map_err(io)?
        .map(|id| id.value().to_owned());
    match id {
        Some(id) => get_user(txn, &id),
        None => Ok(None),
    }
}

/// One page of a table keyed by id, in id order.
fn page_by_id<T: serde::de::DeserializeOwned>(
    txn: &ReadTransaction,
    definition: redb::TableDefinition<&str, &[u8]>,
    entity: &'static str,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<T>> {
    let table = txn.open_table(definition).map_err(io)?;
    let after = cursor.map(decode_cursor).transpose()?;
    let rows = match after.as_deref() {
        Some(after) => {
            table.range::<&str>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
        }
        None => table.range::<&str>(..),
    }
    .map_err(io)?;
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for row in rows {
        let (key, bytes) = row.map_err(io)?;
        if items.len() == limit {
            more = true;
            break;
        }
        items.push(decode(entity, key.value(), bytes.value())?);
        last_key = Some(key.value().to_owned());
    }
    let next_cursor = if more {
        last_key.as_deref().map(encode_cursor)
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

pub(crate) fn list_users(
    txn: &ReadTransaction,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<CrmUser>> {
    page_by_id(txn, USERS, USER, cursor, limit)
}

pub(crate) fn get_or_create_contact(
    txn: &WriteTransaction,
    contact: &Contact,
) -> StoreResult<ContactOutcome> {
    let mut contacts = txn.open_table(CONTACTS).map_err(io)?;
    let mut by_email = txn.open_table(CONTACTS_BY_EMAIL).map_err(io)?;
    let key = contact.id.as_str();
    // The port requires an e-mail; without one the contact can only be keyed by its id.
    let Some(email) = contact.email.as_deref() else {
        if let Some(bytes) = contacts.get(key).map_err(io)? {
            let existing = decode(CONTACT, key, bytes.value())?;
            return Ok(ContactOutcome {
                contact: existing,
                created: false,
            });
        }
        let bytes = encode(CONTACT, key, contact)?;
        contacts.insert(key, bytes.as_slice()).map_err(io)?;
        return Ok(ContactOutcome {
            contact: contact.clone(),
            created: true,
        });
    };
    let existing = by_email
        .get(email)
        .map_err(io)?
        .map(|id| id.value().to_owned());
    if let Some(id) = existing {
        let bytes = contacts
            .get(id.as_str())
            .map_err(io)?
            .ok_or_else(|| StoreError::Corrupt {
                entity: CONTACT,
                key: id.clone(),
                reason: format!("e-mail index points at a missing contact for {email}"),
            })?;
        let contact = decode(CONTACT, &id, bytes.value())?;
        return Ok(ContactOutcome {
            contact,
            created: false,
        });
    }
    if contacts.get(key).map_err(io)?.is_some() {
        return Err(StoreError::AlreadyExists {
            entity: CONTACT,
            key: key.to_owned(),
        });
    }
    let bytes = encode(CONTACT, key, contact)?;
    contacts.insert(key, bytes.as_slice()).map_err(io)?;
    by_email.insert(email, key).map_err(io)?;
    Ok(ContactOutcome {
        contact: contact.clone(),
        created: true,
    })
}

pub(crate) fn get_contact(txn: &ReadTransaction, id: &str) -> StoreResult<Option<Contact>> {
    let table = txn.open_table(CONTACTS).map_err(io)?;
    let found = table.get(id).map_err(io)?;
    found
        .map(|bytes| decode(CONTACT, id, bytes.value()))
        .transpose()
}

pub(crate) fn find_contact_by_email(
    txn: &ReadTransaction,
    email: &str,
) -> StoreResult<Option<Contact>> {
    let index = txn.open_table(CONTACTS_BY_EMAIL).map_err(io)?;
    let id = index
        .get(email)
        .map_err(io)?
        .map(|id| id.value().to_owned());
    match id {
        Some(id) => get_contact(txn, &id),
        None => Ok(None),
    }
}

pub(crate) fn list_contacts(
    txn: &ReadTransaction,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<Page<Contact>> {
    page_by_id(txn, CONTACTS, CONTACT, cursor, limit)
}
