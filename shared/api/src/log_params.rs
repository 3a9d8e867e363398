//! Query parameters of `GET /integrations/{id}/log` (docs/http-api.md): the ticket and outcome
//! filters, and paging.

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use zsync_core::ports::LogFilter;
use zsync_mapping::{LogOutcome, ZendeskId};

use crate::error::ApiError;
use crate::requests::limit_schema;

/// Filters and paging of `GET /integrations/{id}/log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogListParams {
    /// Only the entries of this Zendesk ticket number; empty: any.
    pub ticket: Option<String>,
    /// Only the entries with this outcome (see `LogOutcome`); empty: any.
    #[param(schema_with = outcome_filter_schema)]
    pub outcome: Option<String>,
    /// `next_cursor` of the previous page; absent or empty: the first page.
    pub cursor: Option<String>,
    /// Page size, 1–200; absent or empty: 50.
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

impl LogListParams {
    /// The store filter; 400 naming `ticket` or `outcome` for a value that is neither empty nor
    /// valid.
    pub fn filter(&self) -> Result<LogFilter, ApiError> {
        let ticket_number = match self.ticket.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                raw.parse::<ZendeskId>()
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or_else(|| {
                        ApiError::field("ticket", format!("{raw:?} is not a Zendesk ticket number"))
                    })?,
            ),
        };
        let outcome = match self.outcome.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(LogOutcome::parse(raw).ok_or_else(|| {
                let known: Vec<&str> = LogOutcome::ALL.iter().map(|o| o.as_str()).collect();
                ApiError::field(
                    "outcome",
                    format!("{raw:?} is not one of {}", known.join(", ")),
                )
            })?),
        };
        Ok(LogFilter {
            ticket_number,
            outcome,
        })
    }
}

/// `outcome` filter: a log outcome, or empty (`?outcome=`, no filter).
fn outcome_filter_schema() -> Schema {
    let mut names: Vec<&str> = LogOutcome::ALL.iter().map(|o| o.as_str()).collect();
    names.push("");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .into()
}
