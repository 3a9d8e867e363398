//! Loads the people a ticket or its comments reference so the pure resolution of
//! `zsync_mapping::people` can run: sideloaded Zendesk users, unknown ones fetched from Zendesk
//! (batched), CRM users by e-mail, and each contact settled through its Zendesk user link
//! (`zsync_mapping::contact_link`: linked, matched by e-mail or created, and following newer
//! snapshots of the user — docs/sync-rules.md §3.2 "Contacts").

use std::collections::{HashMap, HashSet};

use zsync_mapping::contact_link::{ContactChange, ContactPlan, ContactReads, plan_contact};
use zsync_mapping::email::usable_email;
use zsync_mapping::people::{KnownPeople, PeopleLookup, PeopleToLoad, zendesk_assignee_for};
use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{ContactId, UserId, ZendeskId};

use crate::ports::StoreError;
use crate::sync::SyncError;
use crate::sync::session::Session;

/// Rounds of "load, then resolve again": fetching users can reveal contacts to settle, and
/// nothing else, so three rounds settle; one more for safety.
const RESOLVE_ROUNDS: usize = 4;
/// Attempts at settling one contact when another writer got there first (each from fresh reads).
const CONTACT_ATTEMPTS: u32 = 4;
/// Steps of one attempt: at most two reads, then a use or a write; one more for safety.
const CONTACT_STEPS: usize = 4;

/// The people known so far while applying one message.
#[derive(Default)]
pub(crate) struct PeopleBook {
    known: KnownPeople,
    /// Zendesk users whose CRM user (by e-mail) has been looked up.
    looked_up: HashSet<ZendeskId>,
    /// Zendesk users looked up by e-mail (for CRM → Zendesk), found or not.
    searched_emails: HashSet<String>,
    users: HashMap<ZendeskId, User>,
}

/// The Zendesk people a ticket and its comments reference.
pub(crate) struct Referenced {
    /// Every id, sorted, without duplicates.
    ids: Vec<ZendeskId>,
    /// The assignee, who is always a CRM user whatever the role (docs/sync-rules.md §3.1).
    assignee: Option<ZendeskId>,
}

/// The Zendesk ids a ticket and its comments reference.
pub(crate) fn referenced_by(ticket: Option<&Ticket>, comments: &[Comment]) -> Referenced {
    let mut ids: Vec<ZendeskId> = comments.iter().filter_map(|c| c.author_id).collect();
    if let Some(t) = ticket {
        ids.extend(
            [t.requester_id, t.submitter_id, t.assignee_id]
                .into_iter()
                .flatten(),
        );
        ids.extend(t.collaborator_ids.iter().copied());
    }
    ids.sort_unstable();
    ids.dedup();
    Referenced {
        ids,
        assignee: ticket.and_then(|t| t.assignee_id),
    }
}

impl PeopleBook {
    pub fn new(users: impl IntoIterator<Item = User>) -> Self {
        let mut book = Self::default();
        book.add_users(users);
        book
    }

    pub fn add_users(&mut self, users: impl IntoIterator<Item = User>) {
        for user in users {
            // A fresher copy (e.g. after a fetch) replaces the old one; settle it again.
            self.looked_up.remove(&user.id);
            self.known.forget_contact_of(user.id);
            self.users.insert(user.id, user.clone());
            self.known.add_zendesk_user(user);
        }
    }

    /// Runs `resolve` until it succeeds, loading what it asks for in between.
    pub async fn resolve<T>(
        &mut self,
        session: &mut Session<'_>,
        referenced: &Referenced,
        resolve: impl Fn(&KnownPeople) -> Result<T, PeopleToLoad>,
    ) -> Result<T, SyncError> {
        for _ in 0..RESOLVE_ROUNDS {
            self.load_crm_users(session, referenced).await?;
            let load = match resolve(&self.known) {
                Ok(resolved) => return Ok(resolved),
                Err(load) => load,
            };
            if !load.fetch.is_empty() {
                self.fetch_users(session, &load.fetch).await?;
            }
            for id in load.contacts {
                self.settle_contact(session, id).await?;
            }
        }
        Err(SyncError::Inconsistent(
            "the ticket's people could not be resolved".into(),
        ))
    }

    /// Fetches users Zendesk references that the message did not carry. An id Zendesk does not
    /// return (a deleted user) is recorded as a person without e-mail: no contact reference, and
    /// as an assignee the integration owner — logged, not guessed at by name.
    async fn fetch_users(
        &mut self,
        session: &mut Session<'_>,
        ids: &[ZendeskId],
    ) -> Result<(), SyncError> {
        let fetched = session.api().await?.show_users(ids).await?;
        let found: HashSet<ZendeskId> = fetched.iter().map(|u| u.id).collect();
        self.add_users(fetched);
        let missing: Vec<User> = ids
            .iter()
            .filter(|id| !found.contains(id))
            .map(|id| unknown_user(*id))
            .collect();
        if !missing.is_empty() {
            let ids: Vec<ZendeskId> = missing.iter().map(|u| u.id).collect();
            tracing::warn!(integration = %session.id(), ?ids, "Zendesk users referenced but not found");
            self.add_users(missing);
        }
        Ok(())
    }

    /// Looks up the CRM user of every referenced agent/admin (and of the assignee, whatever the
    /// role) with an e-mail, once per message. Contacts are settled on demand instead.
    async fn load_crm_users(
        &mut self,
        session: &Session<'_>,
        referenced: &Referenced,
    ) -> Result<(), SyncError> {
        let store = &session.ctx.store;
        for id in &referenced.ids {
            let Some(user) = self.users.get(id) else {
                continue;
            };
            if self.looked_up.contains(id) || !(user.is_staff() || referenced.assignee == Some(*id))
            {
                continue;
            }
            if let Some(email) = usable_email(user.email.as_deref())
                && let Some(crm_user) = store.find_user_by_email(&email).await?
            {
                self.known.add_crm_user(&crm_user);
            }
            self.looked_up.insert(*id);
        }
        Ok(())
    }

    /// Settles the contact of Zendesk user `id` (docs/sync-rules.md §3.2 "Contacts"): its link
    /// read (one request when nothing changed), then what `plan_contact` asks for. A write lost
    /// to another writer (link moved on, e-mail just taken) is planned again from fresh reads.
    async fn settle_contact(
        &mut self,
        session: &Session<'_>,
        id: ZendeskId,
    ) -> Result<(), SyncError> {
        let Some(user) = self.users.get(&id).cloned() else {
            return Ok(());
        };
        let store = &session.ctx.store;
        let integration = session.id().clone();
        for _ in 0..CONTACT_ATTEMPTS {
            let link = store.get_zendesk_user_link(&integration, id).await?;
            let new_id = ContactId::new(format!("ct-{}", uuid::Uuid::now_v7().simple()));
            let mut reads = ContactReads::default();
            for _ in 0..CONTACT_STEPS {
                let plan = plan_contact(
                    &integration,
                    &user,
                    link.as_ref().map(|l| &l.value),
                    &reads,
                    &new_id,
                );
                let write = match plan {
                    ContactPlan::NoContact => return Ok(()),
                    ContactPlan::Use(contact) => {
                        self.known.add_contact_of(id, contact);
                        return Ok(());
                    }
                    ContactPlan::ReadLinked(contact) => {
                        reads.linked = Some(store.get_contact(&contact).await?);
                        continue;
                    }
                    ContactPlan::ReadByEmail(email) => {
                        reads.by_email = Some(store.find_contact_by_email(&email).await?);
                        continue;
                    }
                    ContactPlan::Write(write) => write,
                };
                let expected = link.as_ref().map_or(0, |l| l.version);
                match store
                    .save_zendesk_user_link(&write.link, expected, &write.contact)
                    .await
                {
                    Ok(_) => {
                        log_contact_write(
                            session,
                            id,
                            link.as_ref().map(|l| &l.value.contact_id),
                            &write.link.contact_id,
                            &write.contact,
                        );
                        self.known.add_contact_of(id, write.link.contact_id);
                        return Ok(());
                    }
                    Err(
                        StoreError::VersionConflict { .. }
                        | StoreError::AlreadyExists { .. }
                        | StoreError::NotFound { .. },
                    ) => break,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Err(SyncError::Contended {
            attempts: CONTACT_ATTEMPTS,
            what: format!("the contact of Zendesk user {id}"),
        })
    }

    /// The Zendesk user a CRM user is pushed as (docs/sync-rules.md §4: by e-mail, else the
    /// integration's default Zendesk user, agents only). Asks Zendesk for e-mails the message did
    /// not carry.
    pub async fn zendesk_assignee(
        &mut self,
        session: &mut Session<'_>,
        crm_user: Option<&UserId>,
    ) -> Result<Option<ZendeskId>, SyncError> {
        let Some(crm_user) = crm_user else {
            return Ok(None);
        };
        let email = session.ctx.store.get_user(crm_user).await?.map(|u| u.email);
        let default = session.integration.default_zendesk_user_email.clone();
        for candidate in [email.as_deref(), default.as_deref()].into_iter().flatten() {
            let Some(normalised) = usable_email(Some(candidate)) else {
                continue;
            };
            if self.known.zendesk_user_by_email(&normalised).is_some()
                || !self.searched_emails.insert(normalised.clone())
            {
                continue;
            }
            if let Some(user) = session.api().await?.find_user_by_email(&normalised).await? {
                self.add_users([user]);
            }
        }
        Ok(zendesk_assignee_for(
            email.as_deref(),
            default.as_deref(),
            &self.known,
        ))
    }
}

fn unknown_user(id: ZendeskId) -> User {
    User {
        id,
        url: None,
        name: String::new(),
        email: None,
        role: None,
        active: None,
        phone: None,
        external_id: None,
        created_at: None,
        updated_at: None,
    }
}

fn log_contact_write(
    session: &Session<'_>,
    user: ZendeskId,
    before: Option<&ContactId>,
    contact: &ContactId,
    change: &ContactChange,
) {
    let what = match (change, before) {
        (ContactChange::Create(_), _) => "contact created for Zendesk user",
        (ContactChange::Replace { .. }, _) => "contact follows its Zendesk user",
        (ContactChange::Keep, None) => "Zendesk user linked to an existing contact",
        (ContactChange::Keep, Some(old)) if old != contact => {
            "Zendesk user's new e-mail belongs to another contact: linked to it"
        }
        (ContactChange::Keep, Some(_)) => "Zendesk user's newer snapshot recorded",
    };
    tracing::info!(integration = %session.id(), zendesk_user = user, contact = %contact, "{what}");
}
