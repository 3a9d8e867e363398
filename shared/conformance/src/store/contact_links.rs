//! Zendesk user links and the contacts written with them (docs/sync-rules.md §3.2 "Contacts").

use futures::future::join_all;
use zsync_core::ports::{CrmStore, StoreError};
use zsync_mapping::contact_link::{ContactChange, ContactFields, ZendeskUserLink};
use zsync_mapping::{Contact, IntegrationId};

use super::{is_already_exists, is_conflict, walk};
use crate::fixtures::contact;

fn link(user: u64, contact: &Contact) -> ZendeskUserLink {
    ZendeskUserLink {
        integration_id: IntegrationId::new("zd-1"),
        zendesk_user_id: user,
        contact_id: contact.id.clone(),
        user_updated_at: None,
        applied: ContactFields {
            email: contact.email.clone().unwrap_or_default(),
            ..ContactFields::default()
        },
    }
}

fn with_email(contact: &Contact, email: &str) -> Contact {
    Contact {
        email: Some(email.to_owned()),
        ..contact.clone()
    }
}

async fn emails_held(store: &dyn CrmStore) -> Vec<(String, String)> {
    let all = walk(50, |cursor| async move {
        store.list_contacts(cursor.as_deref(), 50).await
    })
    .await;
    let mut held: Vec<(String, String)> = all
        .into_iter()
        .map(|c| (c.email.unwrap_or_default(), c.id.0))
        .collect();
    held.sort();
    held
}

/// A link is created with its new contact (version 1), read back, and refused a second time; a
/// contact whose e-mail is taken is refused with nothing written, link included.
pub async fn zendesk_user_link_is_created_with_its_contact(store: &dyn CrmStore) {
    let bob = contact("c-1", "bob@example.com");
    let first = link(7, &bob);
    let version = store
        .save_zendesk_user_link(&first, 0, &ContactChange::Create(bob.clone()))
        .await
        .expect("create");
    assert_eq!(version, 1);
    let got = store
        .get_zendesk_user_link(&first.integration_id, 7)
        .await
        .expect("get")
        .expect("linked");
    assert_eq!((got.value, got.version), (first.clone(), 1));
    assert_eq!(
        store
            .find_contact_by_email("bob@example.com")
            .await
            .expect("find"),
        Some(bob.clone())
    );
    // another integration's user 7 is another link
    assert!(
        store
            .get_zendesk_user_link(&IntegrationId::new("zd-2"), 7)
            .await
            .expect("get")
            .is_none()
    );

    let again = store
        .save_zendesk_user_link(&first, 0, &ContactChange::Keep)
        .await;
    assert!(is_conflict(&again), "second create: {again:?}");

    let twin = contact("c-2", "bob@example.com");
    let taken = store
        .save_zendesk_user_link(&link(8, &twin), 0, &ContactChange::Create(twin.clone()))
        .await;
    assert!(is_already_exists(&taken), "taken e-mail: {taken:?}");
    assert!(
        store
            .get_zendesk_user_link(&first.integration_id, 8)
            .await
            .expect("get")
            .is_none(),
        "nothing written when the contact is refused"
    );
    assert!(store.get_contact(&twin.id).await.expect("get").is_none());

    // linking a user to an existing contact writes the link only
    let version = store
        .save_zendesk_user_link(&link(8, &bob), 0, &ContactChange::Keep)
        .await
        .expect("link to an existing contact");
    assert_eq!(version, 1);
    assert_eq!(
        emails_held(store).await,
        vec![("bob@example.com".to_owned(), "c-1".to_owned())]
    );
}

/// A replaced contact moves its e-mail: the old address is free, the new one finds it; a stale
/// link version, a contact whose e-mail changed meanwhile, or a new e-mail another contact
/// holds are refused with nothing written.
pub async fn zendesk_user_link_replace_moves_the_email(store: &dyn CrmStore) {
    let bob = contact("c-1", "bob@example.com");
    let eve = contact("c-2", "eve@example.com");
    for (user, c) in [(7, &bob), (9, &eve)] {
        store
            .save_zendesk_user_link(&link(user, c), 0, &ContactChange::Create(c.clone()))
            .await
            .expect("create");
    }
    let mut renamed = with_email(&bob, "robert@example.com");
    renamed.first_name = "Robert".into();
    let moved = ContactChange::Replace {
        contact: renamed.clone(),
        previous_email: bob.email.clone(),
    };

    let stale = store
        .save_zendesk_user_link(&link(7, &renamed), 5, &moved)
        .await;
    assert!(is_conflict(&stale), "stale link version: {stale:?}");
    let changed_meanwhile = ContactChange::Replace {
        contact: renamed.clone(),
        previous_email: Some("someone@example.com".into()),
    };
    let refused = store
        .save_zendesk_user_link(&link(7, &renamed), 1, &changed_meanwhile)
        .await;
    assert!(
        is_conflict(&refused),
        "contact changed meanwhile: {refused:?}"
    );
    let onto_eve = ContactChange::Replace {
        contact: with_email(&bob, "eve@example.com"),
        previous_email: bob.email.clone(),
    };
    let held = store
        .save_zendesk_user_link(&link(7, &bob), 1, &onto_eve)
        .await;
    assert!(
        is_already_exists(&held),
        "e-mail of another contact: {held:?}"
    );
    assert_eq!(
        store.get_contact(&bob.id).await.expect("get"),
        Some(bob.clone())
    );
    assert_eq!(
        emails_held(store).await,
        vec![
            ("bob@example.com".to_owned(), "c-1".to_owned()),
            ("eve@example.com".to_owned(), "c-2".to_owned()),
        ],
        "nothing written by the refused calls"
    );

    let version = store
        .save_zendesk_user_link(&link(7, &renamed), 1, &moved)
        .await
        .expect("replace");
    assert_eq!(version, 2);
    assert_eq!(
        store.get_contact(&bob.id).await.expect("get"),
        Some(renamed.clone())
    );
    assert_eq!(
        store
            .find_contact_by_email("robert@example.com")
            .await
            .expect("find"),
        Some(renamed.clone())
    );
    assert!(
        store
            .find_contact_by_email("bob@example.com")
            .await
            .expect("find")
            .is_none(),
        "the old e-mail is free"
    );
    // and may be taken by a new contact
    let newcomer = contact("c-3", "bob@example.com");
    store
        .save_zendesk_user_link(
            &link(10, &newcomer),
            0,
            &ContactChange::Create(newcomer.clone()),
        )
        .await
        .expect("the freed e-mail is usable");

    // a rename under the same e-mail keeps the e-mail lookup in step
    let mut again = renamed.clone();
    again.last_name = "Builder".into();
    store
        .save_zendesk_user_link(
            &link(7, &again),
            2,
            &ContactChange::Replace {
                contact: again.clone(),
                previous_email: renamed.email.clone(),
            },
        )
        .await
        .expect("rename");
    assert_eq!(
        store
            .find_contact_by_email("robert@example.com")
            .await
            .expect("find"),
        Some(again)
    );
    let gone = ContactChange::Replace {
        contact: contact("c-404", "nobody@example.com"),
        previous_email: Some("nobody@example.com".into()),
    };
    let missing = store
        .save_zendesk_user_link(&link(11, &bob), 0, &gone)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "replacing a missing contact: {missing:?}"
    );
}

/// Eight writers create the link of one Zendesk user at once, each with its own new contact:
/// one link, one contact.
pub async fn concurrent_zendesk_user_link_creation_one_wins(store: &dyn CrmStore) {
    let candidates: Vec<Contact> = (0..8)
        .map(|i| contact(&format!("c-{i}"), "same@example.com"))
        .collect();
    let writes: Vec<(ZendeskUserLink, ContactChange)> = candidates
        .iter()
        .map(|c| (link(7, c), ContactChange::Create(c.clone())))
        .collect();
    let results = join_all(
        writes
            .iter()
            .map(|(l, change)| store.save_zendesk_user_link(l, 0, change)),
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || is_conflict(r) || is_already_exists(r)),
        "{results:?}"
    );
    let linked = store
        .get_zendesk_user_link(&IntegrationId::new("zd-1"), 7)
        .await
        .expect("get")
        .expect("linked");
    let held = emails_held(store).await;
    assert_eq!(
        held,
        vec![("same@example.com".to_owned(), linked.value.contact_id.0)]
    );
}
