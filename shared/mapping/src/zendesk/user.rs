//! Zendesk users.

use serde::{Deserialize, Serialize};

use super::enums::UserRole;
use super::lenient;
use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<UserRole>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.role.as_ref().is_some_and(UserRole::is_staff)
    }
}

/// `users/show_many`, `users/search`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub users: Vec<User>,
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
}

/// `users/me`, `users/{id}`, `users/create_or_update`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserEnvelope {
    pub user: User,
}
