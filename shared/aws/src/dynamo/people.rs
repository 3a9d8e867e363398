//! CRM users and contacts. Each has its own item plus an e-mail uniqueness item
//! (`EMAIL#user#<email>` / `EMAIL#contact#<email>`) written in the same transaction, so two
//! writers can never both create one e-mail. The uniqueness item also carries a copy of the
//! person (people are never updated in place), so a lookup by e-mail is one GetItem.

use zsync_core::ports::{ContactOutcome, Page, StoreError, StoreResult};
use zsync_mapping::email::normalize_email;
use zsync_mapping::{Contact, ContactId, CrmUser, UserId};

use super::DynamoStore;
use super::cursor::KeyShape;
use super::item::{Item, decode, encode, s};
use super::keys;
use super::ops::{Filter, QuerySpec, failed_at, put_if_absent};

const USER: &str = "user";
pub(super) const CONTACT: &str = "contact";
/// get_or_create_contact: read, try to create, read the winner. Two rounds always suffice;
/// the third is slack for a winner whose item we could not yet read.
const CONTACT_ROUNDS: usize = 3;

pub(super) const COLLECTION_SHAPE: KeyShape = KeyShape {
    index: Some(keys::GSI1),
    pk_attr: "GSI1PK",
    sk_attr: "GSI1SK",
};

pub(super) fn with_collection(mut item: Item, collection: &str, order: &str) -> Item {
    item.insert("GSI1PK".to_owned(), s(collection));
    item.insert("GSI1SK".to_owned(), s(order));
    item
}

impl DynamoStore {
    pub(super) async fn create_user_impl(&self, user: &CrmUser) -> StoreResult<()> {
        let email = normalize_email(&user.email);
        let user = CrmUser {
            email: email.clone(),
            ..user.clone()
        };
        let id = user.id.as_str();
        let main = encode(&user, USER, id, keys::user_pk(&user.id), "USER")?;
        let main = with_collection(main, keys::USERS_COLLECTION, id);
        let unique = encode(&user, USER, &email, keys::email_pk(USER, &email), "EMAIL")?;
        let items = vec![
            put_if_absent(&self.table, main)?,
            put_if_absent(&self.table, unique)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) if failed_at(&codes, 1) => Err(StoreError::AlreadyExists {
                entity: USER,
                key: email,
            }),
            Some(_) => Err(StoreError::AlreadyExists {
                entity: USER,
                key: id.to_owned(),
            }),
        }
    }

    pub(super) async fn get_user_impl(&self, id: &UserId) -> StoreResult<Option<CrmUser>> {
        let item = self.get_item(keys::user_pk(id), "USER").await?;
        item.map(|item| decode(item, USER, id.as_str())).transpose()
    }

    pub(super) async fn find_user_by_email_impl(
        &self,
        email: &str,
    ) -> StoreResult<Option<CrmUser>> {
        let email = normalize_email(email);
        let item = self.get_item(keys::email_pk(USER, &email), "EMAIL").await?;
        item.map(|item| decode(item, USER, &email)).transpose()
    }

    pub(super) async fn list_users_impl(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<CrmUser>> {
        self.list_collection(keys::USERS_COLLECTION, USER, cursor, limit)
            .await
    }

    pub(super) async fn get_or_create_contact_impl(
        &self,
        contact: &Contact,
    ) -> StoreResult<ContactOutcome> {
        let Some(email) = contact
            .email
            .as_deref()
            .map(normalize_email)
            .filter(|e| !e.is_empty())
        else {
            // The port asks for an e-mail; without one the contact can only be keyed by its id
            // (as the embedded store does).
            return self.get_or_create_contact_by_id(contact).await;
        };
        let contact = Contact {
            email: Some(email.clone()),
            ..contact.clone()
        };
        let id = contact.id.as_str();
        for _ in 0..CONTACT_ROUNDS {
            if let Some(existing) = self.find_contact_by_email_impl(&email).await? {
                return Ok(ContactOutcome {
                    contact: existing,
                    created: false,
                });
            }
            let main = encode(
                &contact,
                CONTACT,
                id,
                keys::contact_pk(&contact.id),
                "CONTACT",
            )?;
            let main = with_collection(main, keys::CONTACTS_COLLECTION, id);
            let unique = encode(
                &contact,
                CONTACT,
                &email,
                keys::email_pk(CONTACT, &email),
                "EMAIL",
            )?;
            let items = vec![
                put_if_absent(&self.table, main)?,
                put_if_absent(&self.table, unique)?,
            ];
            match self.transact(items).await? {
                None => {
                    return Ok(ContactOutcome {
                        contact,
                        created: true,
                    });
                }
                // Someone else created this e-mail's contact first: read theirs.
                Some(codes) if failed_at(&codes, 1) => continue,
                Some(_) => {
                    return Err(StoreError::AlreadyExists {
                        entity: CONTACT,
                        key: id.to_owned(),
                    });
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "contact for {email} was taken but could not be read"
        )))
    }

    async fn get_or_create_contact_by_id(&self, contact: &Contact) -> StoreResult<ContactOutcome> {
        let id = contact.id.as_str();
        let main = encode(
            contact,
            CONTACT,
            id,
            keys::contact_pk(&contact.id),
            "CONTACT",
        )?;
        let main = with_collection(main, keys::CONTACTS_COLLECTION, id);
        match self.put_new(main, CONTACT, id).await {
            Ok(()) => Ok(ContactOutcome {
                contact: contact.clone(),
                created: true,
            }),
            Err(StoreError::AlreadyExists { .. }) => {
                let existing = self.get_contact_impl(&contact.id).await?.ok_or_else(|| {
                    StoreError::Unavailable(format!("contact {id} exists but could not be read"))
                })?;
                Ok(ContactOutcome {
                    contact: existing,
                    created: false,
                })
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn get_contact_impl(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        let item = self.get_item(keys::contact_pk(id), "CONTACT").await?;
        item.map(|item| decode(item, CONTACT, id.as_str()))
            .transpose()
    }

    pub(super) async fn find_contact_by_email_impl(
        &self,
        email: &str,
    ) -> StoreResult<Option<Contact>> {
        let email = normalize_email(email);
        let item = self
            .get_item(keys::email_pk(CONTACT, &email), "EMAIL")
            .await?;
        item.map(|item| decode(item, CONTACT, &email)).transpose()
    }

    pub(super) async fn list_contacts_impl(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Contact>> {
        self.list_collection(keys::CONTACTS_COLLECTION, CONTACT, cursor, limit)
            .await
    }

    async fn list_collection<T: serde::de::DeserializeOwned>(
        &self,
        collection: &str,
        entity: &'static str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<T>> {
        let spec = QuerySpec {
            shape: COLLECTION_SHAPE,
            pk_value: collection.to_owned(),
            sk_prefix: None,
            newest_first: false,
            filter: Filter::default(),
        };
        let (items, next_cursor) = self.query_page(&spec, cursor, limit, 1).await?;
        let items = items
            .into_iter()
            .map(|item| {
                let key = item
                    .get(keys::PK)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                decode(item, entity, &key)
            })
            .collect::<StoreResult<Vec<T>>>()?;
        Ok(Page { items, next_cursor })
    }
}
