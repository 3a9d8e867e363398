//! Domain values ↔ DynamoDB items (serde_dynamo), plus the key and bookkeeping attributes the
//! table adds, and the item size rule DynamoDB applies.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zsync_core::ports::{StoreError, StoreResult};

use super::keys;

pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB refuses items over 400 KB; we refuse a little earlier with a clear error.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Attributes the table adds around a domain value; stripped before decoding.
const TABLE_ATTRIBUTES: [&str; 14] = [
    keys::PK,
    keys::SK,
    "GSI1PK",
    "GSI1SK",
    "GSI2PK",
    "GSI2SK",
    "GSI3PK",
    "GSI3SK",
    "GSI4PK",
    "GSI4SK",
    keys::VERSION,
    keys::ENTITY,
    keys::TTL_ATTRIBUTE,
    keys::EXPIRES_MS,
];

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Serialises a domain value and adds the item's keys and kind.
pub fn encode<T: Serialize>(
    value: &T,
    entity: &'static str,
    key: &str,
    pk: String,
    sk: impl Into<String>,
) -> StoreResult<Item> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt {
        entity,
        key: key.to_owned(),
        reason: format!("cannot be encoded: {e}"),
    })?;
    item.insert(keys::PK.to_owned(), s(pk));
    item.insert(keys::SK.to_owned(), s(sk));
    item.insert(keys::ENTITY.to_owned(), s(entity));
    Ok(item)
}

/// Decodes a stored item into a domain value; an undecodable item is `Corrupt`, never a panic.
pub fn decode<T: DeserializeOwned>(
    mut item: Item,
    entity: &'static str,
    key: &str,
) -> StoreResult<T> {
    for name in TABLE_ATTRIBUTES {
        item.remove(name);
    }
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        entity,
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

pub fn get_u64(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(raw)) => raw.parse().ok(),
        _ => None,
    }
}

pub fn get_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// The stored version; a versioned item without one is corrupt.
pub fn version(item: &Item, entity: &'static str, key: &str) -> StoreResult<u64> {
    get_u64(item, keys::VERSION).ok_or_else(|| StoreError::Corrupt {
        entity,
        key: key.to_owned(),
        reason: "missing version".to_owned(),
    })
}

/// Item size as DynamoDB counts it (attribute names + values), for the 400 KB limit and for
/// capacity estimates.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(v) => v.len(),
        // Numbers: about one byte per two significant digits, plus one.
        AttributeValue::N(v) => v.len().div_ceil(2) + 1,
        AttributeValue::B(v) => v.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(values) => values.iter().map(String::len).sum(),
        AttributeValue::Ns(values) => values.iter().map(|v| v.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(values) => values.iter().map(|v| v.as_ref().len()).sum(),
        _ => 0,
    }
}

/// Refuses an item DynamoDB would reject for its size, naming what it was.
pub fn check_size(item: &Item, entity: &'static str, key: &str) -> StoreResult<()> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Corrupt {
            entity,
            key: key.to_owned(),
            reason: format!("item of {size} bytes exceeds DynamoDB's 400 KB item limit"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zsync_mapping::{CrmUser, Role, UserId};

    fn user() -> CrmUser {
        CrmUser {
            id: UserId::new("u1"),
            email: "ann@example.com".into(),
            name: "Ann".into(),
            roles: vec![Role::Admin],
        }
    }

    #[test]
    fn encode_then_decode_gives_the_value_back_without_table_attributes() {
        let mut item = encode(&user(), "user", "u1", "USER#u1".into(), "USER").unwrap();
        item.insert(keys::VERSION.into(), n(3));
        item.insert("GSI1PK".into(), s("USERS"));
        let back: CrmUser = decode(item, "user", "u1").unwrap();
        assert_eq!(back, user());
    }

    #[test]
    fn an_item_of_the_wrong_shape_is_corrupt_not_a_panic() {
        let mut item = Item::new();
        item.insert("id".into(), n(5));
        let err = decode::<CrmUser>(item, "user", "u1").unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { entity: "user", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn oversized_items_are_refused_before_dynamodb_sees_them() {
        let mut item = Item::new();
        item.insert("body".into(), s("x".repeat(MAX_ITEM_BYTES)));
        assert!(check_size(&item, "comment", "c1").is_err());
        item.insert("body".into(), s("x".repeat(1000)));
        assert!(check_size(&item, "comment", "c1").is_ok());
    }
}
