//! What the API accepts. Every body refuses unknown fields (400 naming the field); required
//! fields are `Option` here so that a missing one is a field error listed with the others, and
//! `#[schema(required = true)]` tells the OpenAPI document which ones the validation requires.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};
use zsync_core::admin::{CasePatch, NewCase, NewCaseComment, NewUser};
use zsync_mapping::settings::{IntegrationPatch, IntegrationSettings};
use zsync_mapping::subject_search::SubjectQuery;
use zsync_mapping::{CasePriority, CaseStatus, ContactId, IntegrationId, Role, UserId};

use crate::schema_docs::{
    CasePriorityDoc, CaseStatusDoc, IntegrationTypeDoc, RoleDoc, SyncPriorityDoc,
};

/// A present field, possibly `null`: `Some(None)` is an explicit `null` (clears the value).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /integrations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegrationRequest {
    #[serde(rename = "type")]
    #[schema(value_type = IntegrationTypeDoc, required = true)]
    pub integration_type: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: Option<String>,
    /// `https://<sub>.zendesk.com`.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub url: Option<String>,
    #[schema(value_type = String, required = true, format = Email)]
    pub api_email: Option<String>,
    /// Write-only: stored in the secret store, never returned.
    #[schema(value_type = String, required = true, write_only, min_length = 1, pattern = r"\S")]
    pub api_token: Option<SecretString>,
    /// Blank or `null`: no default Zendesk user.
    pub default_zendesk_user_email: Option<String>,
    /// A CRM user; a non-admin may only name themselves.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    pub owner_id: Option<String>,
    pub two_way_sync: Option<bool>,
    /// Required when `two_way_sync` is on.
    #[schema(value_type = Option<SyncPriorityDoc>)]
    pub sync_priority: Option<String>,
}

impl From<CreateIntegrationRequest> for IntegrationSettings {
    fn from(r: CreateIntegrationRequest) -> Self {
        IntegrationSettings {
            integration_type: r.integration_type,
            name: r.name,
            url: r.url,
            api_email: r.api_email,
            api_token: r.api_token,
            default_zendesk_user_email: r.default_zendesk_user_email,
            owner_id: r.owner_id.map(UserId::new),
            two_way_sync: r.two_way_sync,
            sync_priority: r.sync_priority,
        }
    }
}

/// `PATCH /integrations/{id}`: absent fields stay; a new `api_token` replaces the stored one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchIntegrationRequest {
    #[serde(rename = "type")]
    #[schema(value_type = Option<IntegrationTypeDoc>)]
    pub integration_type: Option<String>,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(min_length = 1)]
    pub url: Option<String>,
    #[schema(format = Email)]
    pub api_email: Option<String>,
    #[schema(value_type = Option<String>, write_only, min_length = 1, pattern = r"\S")]
    pub api_token: Option<SecretString>,
    /// `null` or blank clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub default_zendesk_user_email: Option<Option<String>>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub owner_id: Option<String>,
    pub two_way_sync: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SyncPriorityDoc>)]
    pub sync_priority: Option<Option<String>>,
}

impl From<PatchIntegrationRequest> for IntegrationPatch {
    fn from(r: PatchIntegrationRequest) -> Self {
        IntegrationPatch {
            integration_type: r.integration_type,
            name: r.name,
            url: r.url,
            api_email: r.api_email,
            api_token: r.api_token,
            default_zendesk_user_email: r.default_zendesk_user_email,
            owner_id: r.owner_id.map(UserId::new),
            two_way_sync: r.two_way_sync,
            sync_priority: r.sync_priority,
        }
    }
}

/// `POST /integrations/{id}/sync`; an empty body is `{"full": false}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Restart the export from the beginning.
    #[serde(default)]
    pub full: bool,
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")]
    pub name: Option<String>,
    /// Default none.
    #[serde(default)]
    #[schema(value_type = Vec<RoleDoc>)]
    pub roles: Vec<Role>,
}

impl From<CreateUserRequest> for NewUser {
    fn from(r: CreateUserRequest) -> Self {
        NewUser {
            email: r.email,
            name: r.name,
            roles: r.roles,
        }
    }
}

/// `POST /cases`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")]
    pub subject: Option<String>,
    pub description: Option<String>,
    /// Default `open`.
    #[schema(value_type = Option<CaseStatusDoc>)]
    pub status: Option<CaseStatus>,
    /// Default `normal`.
    #[schema(value_type = Option<CasePriorityDoc>)]
    pub priority: Option<CasePriority>,
    pub assigned_to: Option<String>,
    pub contact_id: Option<String>,
}

impl From<CreateCaseRequest> for NewCase {
    fn from(r: CreateCaseRequest) -> Self {
        NewCase {
            subject: r.subject,
            description: r.description,
            status: r.status,
            priority: r.priority,
            assigned_to: r.assigned_to.map(UserId::new),
            contact_id: r.contact_id.map(ContactId::new),
        }
    }
}

/// `PATCH /cases/{id}`: absent fields stay; `null` clears `assigned_to` / `contact_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCaseRequest {
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub subject: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<CaseStatusDoc>)]
    pub status: Option<CaseStatus>,
    #[schema(value_type = Option<CasePriorityDoc>)]
    pub priority: Option<CasePriority>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub assigned_to: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub contact_id: Option<Option<String>>,
}

impl From<PatchCaseRequest> for CasePatch {
    fn from(r: PatchCaseRequest) -> Self {
        CasePatch {
            subject: r.subject,
            description: r.description,
            status: r.status,
            priority: r.priority,
            assigned_to: r.assigned_to.map(|o| o.map(UserId::new)),
            contact_id: r.contact_id.map(|o| o.map(ContactId::new)),
        }
    }
}

/// `POST /cases/{id}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    pub body: Option<String>,
    /// Default true.
    pub public: Option<bool>,
}

impl From<CommentRequest> for NewCaseComment {
    fn from(r: CommentRequest) -> Self {
        NewCaseComment {
            body: r.body,
            public: r.public,
            idempotency_key: None,
        }
    }
}

/// `POST /cases/{id}/publish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    pub integration_id: Option<String>,
}

impl PublishRequest {
    pub fn integration_id(&self) -> Option<IntegrationId> {
        self.integration_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(IntegrationId::new)
    }
}

/// Paging of `GET /users`, `GET /contacts`, `GET /integrations/{id}/jobs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page; absent or empty: the first page.
    pub cursor: Option<String>,
    /// Page size, 1–200; absent or empty: 50.
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

/// Filters and paging of `GET /cases`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// Word search: cases whose subject contains every word given, in any order and case
    /// (words are split on anything not a letter or digit; whole words match). Empty: any.
    pub subject: Option<String>,
    /// `open`, `in_progress`, `resolved` or `closed`; empty: any.
    #[param(schema_with = status_filter_schema)]
    pub status: Option<String>,
    pub integration_id: Option<String>,
    /// `next_cursor` of the previous page; absent or empty: the first page.
    pub cursor: Option<String>,
    /// Page size, 1–200; absent or empty: 50.
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

/// `DELETE /integrations/{id}` options (docs/sync-rules.md §2 lifecycle).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteIntegrationParams {
    /// `true` also removes the integration's ticket records, sync log, jobs, export cursor and
    /// dedupe records (cases and contacts stay, unlinked); `false` or absent: a plain delete.
    pub purge: Option<bool>,
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// `limit`: a whole number 1–200, or empty (`?limit=`, the same as leaving it out).
pub(crate) fn limit_schema() -> Schema {
    let number = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_LIMIT as u32));
    let empty = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([""]));
    AnyOfBuilder::new().item(number).item(empty).into()
}

/// `status` filter: a case status, or empty (`?status=`, no filter).
fn status_filter_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["open", "in_progress", "resolved", "closed", ""]))
        .into()
}

/// Parses a `limit` query parameter; an empty `limit=` is the default, as if left out.
pub fn parse_limit(raw: Option<&str>) -> Result<usize, crate::error::ApiError> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(crate::error::ApiError::field(
            "limit",
            format!("must be a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// Parses a `subject` word search: empty is no filter; text without any word is refused.
pub fn parse_subject_query(raw: Option<String>) -> Result<Option<String>, crate::error::ApiError> {
    match raw.filter(|s| !s.trim().is_empty()) {
        None => Ok(None),
        Some(query) if SubjectQuery::parse(&query).is_some() => Ok(Some(query)),
        Some(_) => Err(crate::error::ApiError::field(
            "subject",
            "must contain a word (letters or digits)",
        )),
    }
}

/// Parses a `status` query parameter.
pub fn parse_status(raw: &str) -> Result<CaseStatus, crate::error::ApiError> {
    match raw {
        "open" => Ok(CaseStatus::Open),
        "in_progress" => Ok(CaseStatus::InProgress),
        "resolved" => Ok(CaseStatus::Resolved),
        "closed" => Ok(CaseStatus::Closed),
        _ => Err(crate::error::ApiError::field(
            "status",
            "must be one of open, in_progress, resolved, closed",
        )),
    }
}
