//! Loads the people a ticket or its comments reference so the pure resolution of
//! `zsync_mapping::people` can run: sideloaded Zendesk users, unknown ones fetched from Zendesk
//! (batched), CRM users and contacts by e-mail, and contacts created (one per e-mail, by the
//! store's guarantee).

use std::collections::HashSet;

use zsync_mapping::email::usable_email;
use zsync_mapping::people::{KnownPeople, PeopleLookup, PeopleToLoad, zendesk_assignee_for};
use zsync_mapping::zendesk::{Comment, Ticket, User};
use zsync_mapping::{ContactId, UserId, ZendeskId};

use crate::sync::SyncError;
use crate::sync::session::Session;

/// Rounds of "load, then resolve again": fetching users can reveal contacts to create, and
/// nothing else, so three rounds settle; one more for safety.
const RESOLVE_ROUNDS: usize = 4;

/// The people known so far while applying one message.
#[derive(Default)]
pub(crate) struct PeopleBook {
    known: KnownPeople,
    /// Zendesk users whose CRM side (user / contact by e-mail) has been looked up.
    looked_up: HashSet<ZendeskId>,
    /// Zendesk users looked up by e-mail (for CRM → Zendesk), found or not.
    searched_emails: HashSet<String>,
    users: std::collections::HashMap<ZendeskId, User>,
}

/// The Zendesk ids a ticket and its comments reference.
pub(crate) fn referenced_by(ticket: Option<&Ticket>, comments: &[Comment]) -> Vec<ZendeskId> {
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
    ids
}

impl PeopleBook {
    pub fn new(users: impl IntoIterator<Item = User>) -> Self {
        let mut book = Self::default();
        book.add_users(users);
        book
    }

    pub fn add_users(&mut self, users: impl IntoIterator<Item = User>) {
        for user in users {
            // A fresher copy (e.g. after a fetch) replaces the old one; look it up again.
            self.looked_up.remove(&user.id);
            self.users.insert(user.id, user.clone());
            self.known.add_zendesk_user(user);
        }
    }

    /// Runs `resolve` until it succeeds, loading what it asks for in between.
    pub async fn resolve<T>(
        &mut self,
        session: &mut Session<'_>,
        referenced: &[ZendeskId],
        resolve: impl Fn(&KnownPeople) -> Result<T, PeopleToLoad>,
    ) -> Result<T, SyncError> {
        for _ in 0..RESOLVE_ROUNDS {
            self.load_crm_side(session, referenced).await?;
            let load = match resolve(&self.known) {
                Ok(resolved) => return Ok(resolved),
                Err(load) => load,
            };
            if !load.fetch.is_empty() {
                self.fetch_users(session, &load.fetch).await?;
            }
            for new in load.create_contacts {
                let contact = new.into_contact(ContactId::new(format!(
                    "ct-{}",
                    uuid::Uuid::now_v7().simple()
                )));
                let outcome = session.ctx.store.get_or_create_contact(&contact).await?;
                self.known.add_contact(&outcome.contact);
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

    /// Looks up the CRM user (for staff and assignees) or contact (for end-users) of every
    /// referenced Zendesk user with an e-mail, once per message.
    async fn load_crm_side(
        &mut self,
        session: &Session<'_>,
        referenced: &[ZendeskId],
    ) -> Result<(), SyncError> {
        let store = &session.ctx.store;
        for id in referenced {
            let Some(user) = self.users.get(id) else {
                continue;
            };
            if self.looked_up.contains(id) {
                continue;
            }
            if let Some(email) = usable_email(user.email.as_deref()) {
                // Any role may be an assignee, which always maps to a CRM user.
                if let Some(crm_user) = store.find_user_by_email(&email).await? {
                    self.known.add_crm_user(&crm_user);
                }
                if !user.is_staff()
                    && let Some(contact) = store.find_contact_by_email(&email).await?
                {
                    self.known.add_contact(&contact);
                }
            }
            self.looked_up.insert(*id);
        }
        Ok(())
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
