//! Zendesk user links (docs/sync-rules.md §3.2 "Contacts"): `ZDUSER#<integration>#<user id>` /
//! `LINK`, versioned, written in one TransactWriteItems with the contact it creates or changes
//! (the contact item, its e-mail uniqueness item and, when the e-mail changes, the old one's
//! delete), so a contact's e-mail stays unique while it follows Zendesk.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use zsync_core::ports::{StoreError, StoreResult, Versioned};
use zsync_mapping::contact_link::{ContactChange, ZendeskUserLink};
use zsync_mapping::email::normalize_email;
use zsync_mapping::{Contact, IntegrationId, ZendeskId};

use super::DynamoStore;
use super::item::{Item, check_size, decode, encode, n, s, version};
use super::keys;
use super::ops::{failed_at, put_if_absent};
use super::people::{CONTACT, with_collection};

const LINK: &str = "zendesk_user_link";
const LINK_SK: &str = "LINK";

fn link_key(integration: &IntegrationId, user: ZendeskId) -> String {
    format!("{integration}#{user}")
}

fn building(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("building a transaction: {e}"))
}

/// The contact as its own item and as its e-mail's uniqueness item (which carries a copy, so a
/// lookup by e-mail stays one GetItem).
fn contact_items(contact: &Contact, email: &str) -> StoreResult<(Item, Item)> {
    let id = contact.id.as_str();
    let main = encode(
        contact,
        CONTACT,
        id,
        keys::contact_pk(&contact.id),
        "CONTACT",
    )?;
    let main = with_collection(main, keys::CONTACTS_COLLECTION, id);
    let unique = encode(
        contact,
        CONTACT,
        email,
        keys::email_pk(CONTACT, email),
        "EMAIL",
    )?;
    Ok((main, unique))
}

fn normalized(contact: &Contact) -> (Contact, Option<String>) {
    let email = contact
        .email
        .as_deref()
        .map(normalize_email)
        .filter(|e| !e.is_empty());
    (
        Contact {
            email: email.clone(),
            ..contact.clone()
        },
        email,
    )
}

/// What each element of the transaction stands for, to read a cancellation.
enum Element {
    Link,
    ContactId,
    NewEmail(String),
    ContactState,
}

impl DynamoStore {
    pub(super) async fn get_zendesk_user_link_impl(
        &self,
        integration: &IntegrationId,
        user: ZendeskId,
    ) -> StoreResult<Option<Versioned<ZendeskUserLink>>> {
        let key = link_key(integration, user);
        let item = self
            .get_item(keys::zendesk_user_pk(integration, user), LINK_SK)
            .await?;
        item.map(|item| {
            let v = version(&item, LINK, &key)?;
            Ok(Versioned::new(decode(item, LINK, &key)?, v))
        })
        .transpose()
    }

    pub(super) async fn save_zendesk_user_link_impl(
        &self,
        link: &ZendeskUserLink,
        expected: u64,
        contact: &ContactChange,
    ) -> StoreResult<u64> {
        let key = link_key(&link.integration_id, link.zendesk_user_id);
        let next = expected.saturating_add(1);
        let mut item = encode(
            link,
            LINK,
            &key,
            keys::zendesk_user_pk(&link.integration_id, link.zendesk_user_id),
            LINK_SK,
        )?;
        item.insert(keys::VERSION.to_owned(), n(next));
        check_size(&item, LINK, &key)?;
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = if expected == 0 {
            put.condition_expression("attribute_not_exists(PK)")
        } else {
            put.condition_expression("attribute_exists(PK) AND #version = :expected")
                .expression_attribute_names("#version", keys::VERSION)
                .expression_attribute_values(":expected", n(expected))
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(building)?)
                .build(),
        ];
        let mut elements = vec![Element::Link];
        match contact {
            ContactChange::Keep => {}
            ContactChange::Create(contact) => {
                let (contact, email) = normalized(contact);
                let email = email.ok_or_else(|| StoreError::Corrupt {
                    entity: CONTACT,
                    key: contact.id.to_string(),
                    reason: "a contact made from Zendesk needs an e-mail".into(),
                })?;
                let (main, unique) = contact_items(&contact, &email)?;
                items.push(put_if_absent(&self.table, main)?);
                elements.push(Element::ContactId);
                items.push(put_if_absent(&self.table, unique)?);
                elements.push(Element::NewEmail(email));
            }
            ContactChange::Replace {
                contact,
                previous_email,
            } => {
                self.replace_elements(
                    contact,
                    previous_email.as_deref(),
                    &mut items,
                    &mut elements,
                )?;
            }
        }
        let Some(codes) = self.transact(items).await? else {
            return Ok(next);
        };
        let failed = elements
            .iter()
            .enumerate()
            .find(|(i, _)| failed_at(&codes, *i))
            .map(|(_, e)| e);
        Err(match failed {
            Some(Element::Link) => StoreError::VersionConflict {
                entity: LINK,
                key,
                expected,
            },
            Some(Element::ContactId) => StoreError::AlreadyExists {
                entity: CONTACT,
                key: contact_id(contact),
            },
            Some(Element::NewEmail(email)) => StoreError::AlreadyExists {
                entity: CONTACT,
                key: email.clone(),
            },
            Some(Element::ContactState) => {
                // Gone or changed: the transaction names no reason, a read tells them apart.
                let id = contact_id(contact);
                match self.get_contact_impl(&id.as_str().into()).await? {
                    None => StoreError::NotFound {
                        entity: CONTACT,
                        key: id,
                    },
                    Some(_) => StoreError::VersionConflict {
                        entity: CONTACT,
                        key: id,
                        expected: 0,
                    },
                }
            }
            None => {
                StoreError::Unavailable(format!("zendesk user link write cancelled: {codes:?}"))
            }
        })
    }

    /// The contact put only if it still has `previous_email`, and its e-mail item: replaced in
    /// place, or the old one deleted and the new one put only if free.
    fn replace_elements(
        &self,
        contact: &Contact,
        previous_email: Option<&str>,
        items: &mut Vec<TransactWriteItem>,
        elements: &mut Vec<Element>,
    ) -> StoreResult<()> {
        let (contact, email) = normalized(contact);
        let previous = previous_email
            .map(normalize_email)
            .filter(|e| !e.is_empty());
        let (main, unique) = match &email {
            Some(email) => {
                let (main, unique) = contact_items(&contact, email)?;
                (main, Some(unique))
            }
            None => {
                let id = contact.id.as_str();
                let main = encode(
                    &contact,
                    CONTACT,
                    id,
                    keys::contact_pk(&contact.id),
                    "CONTACT",
                )?;
                (with_collection(main, keys::CONTACTS_COLLECTION, id), None)
            }
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(main))
            .expression_attribute_names("#email", "email");
        let put = match &previous {
            Some(previous) => put
                .condition_expression("attribute_exists(PK) AND #email = :previous")
                .expression_attribute_values(":previous", s(previous)),
            None => put
                .condition_expression(
                    "attribute_exists(PK) AND (attribute_not_exists(#email) OR attribute_type(#email, :null))",
                )
                .expression_attribute_values(":null", s("NULL")),
        };
        items.push(
            TransactWriteItem::builder()
                .put(put.build().map_err(building)?)
                .build(),
        );
        elements.push(Element::ContactState);
        let same_email = email == previous;
        if let Some(previous) = previous.as_deref().filter(|_| !same_email) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, s(keys::email_pk(CONTACT, previous)))
                .key(keys::SK, s("EMAIL"))
                .condition_expression("attribute_not_exists(PK) OR #id = :id")
                .expression_attribute_names("#id", "id")
                .expression_attribute_values(":id", s(contact.id.as_str()))
                .build()
                .map_err(building)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
            elements.push(Element::ContactState);
        }
        if let (Some(unique), Some(email)) = (unique, email) {
            if same_email {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(unique))
                    .condition_expression("attribute_not_exists(PK) OR #id = :id")
                    .expression_attribute_names("#id", "id")
                    .expression_attribute_values(":id", s(contact.id.as_str()))
                    .build()
                    .map_err(building)?;
                items.push(TransactWriteItem::builder().put(put).build());
                elements.push(Element::NewEmail(email));
            } else {
                items.push(put_if_absent(&self.table, unique)?);
                elements.push(Element::NewEmail(email));
            }
        }
        Ok(())
    }
}

fn contact_id(change: &ContactChange) -> String {
    match change {
        ContactChange::Keep => String::new(),
        ContactChange::Create(c) | ContactChange::Replace { contact: c, .. } => c.id.to_string(),
    }
}
