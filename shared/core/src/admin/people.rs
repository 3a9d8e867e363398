//! CRM users (admins create them) and contacts (read-only here; made by the sync).

use zsync_mapping::email::parse_email;
use zsync_mapping::{Contact, ContactId, CrmUser, Role, UserId};

use super::caller::Caller;
use super::error::{AdminError, AdminResult, FieldCheck};
use super::support::new_id;
use crate::context::SyncContext;
use crate::ports::{Page, StoreError};

/// `POST /users` input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUser {
    pub email: Option<String>,
    pub name: Option<String>,
    pub roles: Vec<Role>,
}

pub async fn create_user(
    ctx: &SyncContext,
    caller: &Caller,
    input: NewUser,
) -> AdminResult<CrmUser> {
    caller.require_admin("create users")?;
    let mut check = FieldCheck::default();
    let email = match input.email.as_deref().map(parse_email) {
        Some(Ok(email)) => Some(email),
        Some(Err(e)) => {
            check.push("email", format!("{e} (not a valid e-mail address)"));
            None
        }
        None => {
            check.push("email", "is required");
            None
        }
    };
    let name = input.name.as_deref().map(str::trim).unwrap_or_default();
    if input.name.is_none() {
        check.push("name", "is required");
    } else if name.is_empty() {
        check.push("name", "must not be empty");
    } else if name.chars().count() > 255 {
        check.push("name", "must be at most 255 characters");
    }
    check.finish()?;
    let mut roles = input.roles;
    roles.dedup();
    let user = CrmUser {
        id: UserId::new(new_id()),
        email: email.unwrap_or_default(),
        name: name.to_owned(),
        roles,
    };
    match ctx.store.create_user(&user).await {
        Ok(()) => Ok(user),
        Err(StoreError::AlreadyExists { .. }) => Err(AdminError::conflict(
            "user_exists",
            format!("a CRM user with e-mail {} already exists", user.email),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn list_users(
    ctx: &SyncContext,
    cursor: Option<&str>,
    limit: usize,
) -> AdminResult<Page<CrmUser>> {
    ctx.store
        .list_users(cursor, limit)
        .await
        .map_err(cursor_error)
}

pub async fn list_contacts(
    ctx: &SyncContext,
    cursor: Option<&str>,
    limit: usize,
) -> AdminResult<Page<Contact>> {
    ctx.store
        .list_contacts(cursor, limit)
        .await
        .map_err(cursor_error)
}

pub async fn show_contact(ctx: &SyncContext, id: &ContactId) -> AdminResult<Contact> {
    ctx.store
        .get_contact(id)
        .await?
        .ok_or_else(|| AdminError::not_found("contact", id))
}

/// A cursor the store cannot read is the caller's mistake, named as such.
pub fn cursor_error(e: StoreError) -> AdminError {
    match e {
        StoreError::InvalidCursor => {
            AdminError::field("cursor", "is not a cursor this service handed out")
        }
        other => other.into(),
    }
}
