//! Integrations, CRM users and contacts.

use std::collections::BTreeSet;

use zsync_core::ports::{CrmStore, StoreError};
use zsync_mapping::{ContactId, IntegrationId, UserId};

use super::{is_already_exists, is_conflict, walk};
use crate::fixtures::{contact, integration, two_way, user};

/// Create at version 1, refuse a second create, update with the read version, refuse a stale
/// update, list, delete idempotently.
pub async fn integration_lifecycle(store: &dyn CrmStore) {
    let zd = integration("acme");
    store.create_integration(&zd).await.expect("create");
    let got = store
        .get_integration(&zd.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.version, 1);
    assert_eq!(got.value, zd);

    let again = store.create_integration(&two_way(zd.clone())).await;
    assert!(is_already_exists(&again), "second create: {again:?}");
    let unchanged = store
        .get_integration(&zd.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(unchanged.value, zd, "a refused create must not overwrite");

    let changed = two_way(zd.clone());
    let v2 = store.update_integration(&changed, 1).await.expect("update");
    assert!(v2 > 1, "new version {v2} must be above 1");
    let got = store
        .get_integration(&zd.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((got.value, got.version), (changed.clone(), v2));

    let stale = store.update_integration(&zd, 1).await;
    assert!(is_conflict(&stale), "stale update: {stale:?}");
    let got = store
        .get_integration(&zd.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.value, changed, "a refused update must not write");

    store
        .create_integration(&integration("globex"))
        .await
        .expect("create second");
    let ids: BTreeSet<_> = store
        .list_integrations()
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.value.id.0)
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["acme".to_owned(), "globex".to_owned()])
    );

    store.delete_integration(&zd.id).await.expect("delete");
    store
        .delete_integration(&zd.id)
        .await
        .expect("delete again is harmless");
    assert!(store.get_integration(&zd.id).await.expect("get").is_none());
    let left = store.list_integrations().await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].value.id, IntegrationId::new("globex"));
}

/// Updating an integration that does not exist must not create it.
pub async fn integration_update_of_missing_fails(store: &dyn CrmStore) {
    let ghost = integration("ghost");
    let result = store.update_integration(&ghost, 1).await;
    assert!(
        matches!(
            result,
            Err(StoreError::NotFound { .. } | StoreError::VersionConflict { .. })
        ),
        "update of a missing integration: {result:?}"
    );
    assert!(
        store
            .get_integration(&ghost.id)
            .await
            .expect("get")
            .is_none()
    );
}

/// One user per id and one per (normalised) e-mail.
pub async fn user_id_and_email_are_unique(store: &dyn CrmStore) {
    let ann = user("u-ann", "ann@example.com");
    store.create_user(&ann).await.expect("create");

    let same_email = store.create_user(&user("u-other", "ann@example.com")).await;
    assert!(
        is_already_exists(&same_email),
        "same e-mail: {same_email:?}"
    );
    assert!(
        store
            .get_user(&UserId::new("u-other"))
            .await
            .expect("get")
            .is_none()
    );

    let same_id = store.create_user(&user("u-ann", "ann2@example.com")).await;
    assert!(is_already_exists(&same_id), "same id: {same_id:?}");
    assert!(
        store
            .find_user_by_email("ann2@example.com")
            .await
            .expect("find")
            .is_none(),
        "a refused create must not claim its e-mail"
    );

    assert_eq!(
        store.get_user(&ann.id).await.expect("get"),
        Some(ann.clone())
    );
    assert_eq!(
        store
            .find_user_by_email("ann@example.com")
            .await
            .expect("find"),
        Some(ann)
    );
    assert!(
        store
            .find_user_by_email("nobody@example.com")
            .await
            .expect("find")
            .is_none()
    );
}

pub async fn users_list_walks_every_user_once(store: &dyn CrmStore) {
    for i in 0..7 {
        store
            .create_user(&user(&format!("u-{i}"), &format!("user{i}@example.com")))
            .await
            .expect("create");
    }
    let all = walk(3, |cursor| async move {
        store.list_users(cursor.as_deref(), 3).await
    })
    .await;
    let mut ids: Vec<_> = all.into_iter().map(|u| u.id.0).collect();
    ids.sort();
    let expected: Vec<_> = (0..7).map(|i| format!("u-{i}")).collect();
    assert_eq!(ids, expected, "every user exactly once");
}

/// The store receives normalised e-mails; one contact per e-mail, and the first one wins.
pub async fn contact_get_or_create_is_keyed_by_email(store: &dyn CrmStore) {
    let first = contact("c-1", "bob@example.com");
    let made = store.get_or_create_contact(&first).await.expect("create");
    assert!(made.created);
    assert_eq!(made.contact, first);

    let mut second = contact("c-2", "bob@example.com");
    second.first_name = "Robert".into();
    let found = store.get_or_create_contact(&second).await.expect("get");
    assert!(
        !found.created,
        "an existing e-mail must not create a contact"
    );
    assert_eq!(
        found.contact, first,
        "the stored contact is returned, not the candidate"
    );
    assert!(
        store
            .get_contact(&ContactId::new("c-2"))
            .await
            .expect("get")
            .is_none()
    );

    assert_eq!(
        store.get_contact(&first.id).await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .find_contact_by_email("bob@example.com")
            .await
            .expect("find"),
        Some(first)
    );
    assert!(
        store
            .find_contact_by_email("eve@example.com")
            .await
            .expect("find")
            .is_none()
    );

    let other = store
        .get_or_create_contact(&contact("c-3", "eve@example.com"))
        .await
        .expect("create other");
    assert!(other.created);
    assert_eq!(other.contact.id, ContactId::new("c-3"));
}

pub async fn contacts_list_walks_every_contact_once(store: &dyn CrmStore) {
    for i in 0..8 {
        store
            .get_or_create_contact(&contact(&format!("c-{i}"), &format!("c{i}@example.com")))
            .await
            .expect("create");
    }
    let all = walk(3, |cursor| async move {
        store.list_contacts(cursor.as_deref(), 3).await
    })
    .await;
    let mut ids: Vec<_> = all.into_iter().map(|c| c.id.0).collect();
    ids.sort();
    let expected: Vec<_> = (0..8).map(|i| format!("c-{i}")).collect();
    assert_eq!(ids, expected, "every contact exactly once");
}
