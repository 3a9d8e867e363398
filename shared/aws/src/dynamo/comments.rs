//! Several comments in one request: BatchWriteItem, 25 items at a time. A first sync writes
//! every comment of every ticket; one request per comment was most of its DynamoDB calls.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::types::{PutRequest, ReturnConsumedCapacity, WriteRequest};
use zsync_core::ports::{StoreError, StoreResult};
use zsync_mapping::CaseComment;

use super::DynamoStore;
use super::cases::comment_item;
use super::errors::unavailable;
use super::item::Item;

/// DynamoDB's limit of items per BatchWriteItem.
const BATCH_ITEMS: usize = 25;
/// Rounds for items DynamoDB left unprocessed (throttling), with growing pauses.
const UNPROCESSED_ROUNDS: u32 = 8;

/// The items to put, one per item key (case, comment id): DynamoDB refuses a batch naming a key
/// twice, and of repeated puts the last one wins, as it would one after another.
fn comment_items(comments: &[CaseComment]) -> StoreResult<Vec<Item>> {
    let key_of = |c: &CaseComment| (c.case_id.as_str().to_owned(), c.id.as_str().to_owned());
    let mut last: HashMap<(String, String), usize> = HashMap::new();
    for (at, comment) in comments.iter().enumerate() {
        last.insert(key_of(comment), at);
    }
    let mut items = Vec::with_capacity(last.len());
    for (at, comment) in comments.iter().enumerate() {
        if last.get(&key_of(comment)) != Some(&at) {
            continue;
        }
        items.push(comment_item(comment)?);
    }
    Ok(items)
}

impl DynamoStore {
    pub(super) async fn put_comments_impl(&self, comments: &[CaseComment]) -> StoreResult<()> {
        if let [one] = comments {
            return self.put_comment_impl(one).await;
        }
        let items = comment_items(comments)?;
        for chunk in items.chunks(BATCH_ITEMS) {
            let requests = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(|e| StoreError::Unavailable(format!("BatchWriteItem: {e}")))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<StoreResult<Vec<_>>>()?;
            self.batch_write(requests).await?;
        }
        Ok(())
    }

    /// One BatchWriteItem, resending what DynamoDB leaves unprocessed.
    async fn batch_write(&self, mut requests: Vec<WriteRequest>) -> StoreResult<()> {
        for round in 0..UNPROCESSED_ROUNDS {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| unavailable("BatchWriteItem", e))?;
            requests = out
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            if round + 1 < UNPROCESSED_ROUNDS {
                tokio::time::sleep(StdDuration::from_millis(20 << round)).await;
            }
        }
        Err(StoreError::Unavailable(format!(
            "BatchWriteItem: {} comments still unprocessed after {UNPROCESSED_ROUNDS} rounds",
            requests.len()
        )))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use zsync_mapping::{CaseId, CommentId};

    use super::*;

    fn comment(id: &str, body: &str) -> CaseComment {
        CaseComment {
            id: CommentId::new(id),
            case_id: CaseId::new("case-1"),
            body: body.into(),
            public: true,
            author: None,
            zendesk_comment_id: None,
            created_at: Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"),
        }
    }

    #[test]
    fn a_repeated_comment_is_put_once_with_its_last_version() {
        let items = comment_items(&[
            comment("a", "first"),
            comment("b", "other"),
            comment("a", "second"),
        ])
        .expect("items");
        assert_eq!(items.len(), 2);
        let text = format!("{items:?}");
        assert!(text.contains("second") && text.contains("other"));
        assert!(!text.contains("first"), "the earlier version is not sent");
    }
}
