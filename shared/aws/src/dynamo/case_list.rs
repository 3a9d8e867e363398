//! The case list: one Query on the index of the most selective filter given (integration, then
//! status, else the all-cases collection), newest first; the other filters become a
//! FilterExpression, the subject's word search (`zsync_mapping::subject_search`, which DynamoDB
//! cannot express: Unicode-aware lower-casing, whole words) is checked on each item read, and
//! the page is filled by reading on (bounded: a short page then carries a cursor).

use zsync_core::ports::{CaseFilter, Page, StoreResult};
use zsync_mapping::Case;
use zsync_mapping::subject_search::SubjectQuery;

use super::DynamoStore;
use super::cursor::KeyShape;
use super::item::{Item, decode, s};
use super::keys;
use super::ops::{Filter, QuerySpec};

/// Requests one page may take when a FilterExpression drops most items; then the page is
/// returned short, with a cursor to read on.
const MAX_CALLS_PER_PAGE: usize = 10;

fn shape(index: &'static str) -> KeyShape {
    let (pk_attr, sk_attr) = match index {
        keys::GSI2 => ("GSI2PK", "GSI2SK"),
        keys::GSI3 => ("GSI3PK", "GSI3SK"),
        keys::GSI4 => ("GSI4PK", "GSI4SK"),
        _ => ("GSI1PK", "GSI1SK"),
    };
    KeyShape {
        index: Some(index),
        pk_attr,
        sk_attr,
    }
}

/// The query answering `filter`: which index and partition, and what is left to filter.
fn plan(filter: &CaseFilter) -> QuerySpec<'static> {
    let mut rest = Filter::default();
    let (index, pk_value) = if let Some(integration) = &filter.integration_id {
        (keys::GSI3, keys::cases_by_integration(integration))
    } else if let Some(status) = filter.status {
        (keys::GSI2, keys::cases_by_status(status))
    } else {
        (keys::GSI1, keys::CASES_COLLECTION.to_owned())
    };
    if let Some(status) = filter.status
        && index != keys::GSI2
    {
        rest.equals("status", s(status.as_str()));
    }
    if let Some(integration) = &filter.integration_id
        && index != keys::GSI3
    {
        rest.equals("integration_id", s(integration.as_str()));
    }
    QuerySpec {
        shape: shape(index),
        pk_value,
        sk_prefix: None,
        newest_first: true,
        filter: rest,
    }
}

impl DynamoStore {
    pub(super) async fn list_cases_impl(
        &self,
        filter: &CaseFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Case>> {
        let spec = plan(filter);
        let query = filter.subject.as_deref().map(SubjectQuery::parse);
        let keep = |item: &Item| match &query {
            Some(Some(query)) => item
                .get("subject")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|subject| query.matches(subject)),
            // A query without words matches nothing.
            Some(None) => false,
            None => true,
        };
        let (items, next_cursor) = self
            .query_page_where(&spec, cursor, limit, MAX_CALLS_PER_PAGE, Some(&keep))
            .await?;
        let items = items
            .into_iter()
            .map(|item| {
                let key = item
                    .get(keys::PK)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                decode(item, "case", &key)
            })
            .collect::<StoreResult<Vec<Case>>>()?;
        Ok(Page { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zsync_mapping::{CaseStatus, IntegrationId};

    #[test]
    fn the_most_selective_filter_picks_the_index_and_the_rest_filter() {
        let all = CaseFilter {
            subject: Some("Printer".into()),
            status: Some(CaseStatus::Open),
            integration_id: Some(IntegrationId::new("i1")),
        };
        let spec = plan(&all);
        assert_eq!(spec.shape.index, Some(keys::GSI3));
        assert_eq!(
            spec.filter.expression.len(),
            1,
            "status; the subject is a word search"
        );

        let spec = plan(&CaseFilter {
            status: Some(CaseStatus::Closed),
            integration_id: Some(IntegrationId::new("i1")),
            ..CaseFilter::default()
        });
        assert_eq!(spec.shape.index, Some(keys::GSI3));
        assert_eq!(spec.filter.expression.len(), 1);

        let spec = plan(&CaseFilter::default());
        assert_eq!(spec.shape.index, Some(keys::GSI1));
        assert!(spec.filter.is_empty());
    }
}
