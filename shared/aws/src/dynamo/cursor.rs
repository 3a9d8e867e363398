//! Opaque page cursors: the query's LastEvaluatedKey (all string attributes) as base64 JSON.
//! A cursor is only accepted by the query that made it (same index, same partition).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zsync_core::ports::{StoreError, StoreResult};

use super::item::{Item, s};

/// The key attributes a query's LastEvaluatedKey holds.
#[derive(Clone, Copy, Debug)]
pub struct KeyShape {
    pub index: Option<&'static str>,
    pub pk_attr: &'static str,
    pub sk_attr: &'static str,
}

impl KeyShape {
    fn attributes(&self) -> Vec<&'static str> {
        let mut names = vec![super::keys::PK, super::keys::SK];
        if self.index.is_some() {
            names.push(self.pk_attr);
            names.push(self.sk_attr);
        }
        names
    }

    /// The key of `item` in this shape: where the next page starts.
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .into_iter()
            .filter_map(|name| item.get(name).map(|v| (name.to_owned(), v.clone())))
            .collect()
    }
}

pub fn encode(key: &Item) -> String {
    let plain: BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| match v {
            AttributeValue::S(v) => Some((k.as_str(), v.as_str())),
            _ => None,
        })
        .collect();
    // A map of strings always serialises.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&plain).unwrap_or_default())
}

/// Decodes a cursor made by [`encode`] for the query on `shape` with partition `pk_value`.
pub fn decode(cursor: &str, shape: &KeyShape, pk_value: &str) -> StoreResult<Item> {
    let raw = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let plain: BTreeMap<String, String> =
        serde_json::from_slice(&raw).map_err(|_| StoreError::InvalidCursor)?;
    let expected = shape.attributes();
    if plain.len() != expected.len() || expected.iter().any(|name| !plain.contains_key(*name)) {
        return Err(StoreError::InvalidCursor);
    }
    if plain.get(shape.pk_attr).map(String::as_str) != Some(pk_value) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(plain.into_iter().map(|(k, v)| (k, s(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: KeyShape = KeyShape {
        index: Some("GSI1"),
        pk_attr: "GSI1PK",
        sk_attr: "GSI1SK",
    };

    fn key(pk: &str) -> Item {
        [
            ("PK", "USER#a"),
            ("SK", "USER"),
            ("GSI1PK", pk),
            ("GSI1SK", "a"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), s(v)))
        .collect()
    }

    #[test]
    fn a_cursor_round_trips() {
        let cursor = encode(&key("USERS"));
        assert_eq!(decode(&cursor, &SHAPE, "USERS").unwrap(), key("USERS"));
    }

    #[test]
    fn garbage_and_foreign_cursors_are_refused() {
        assert!(matches!(
            decode("%%%", &SHAPE, "USERS"),
            Err(StoreError::InvalidCursor)
        ));
        assert!(matches!(
            decode("e30", &SHAPE, "USERS"),
            Err(StoreError::InvalidCursor)
        ));
        let other_list = encode(&key("CONTACTS"));
        assert!(matches!(
            decode(&other_list, &SHAPE, "USERS"),
            Err(StoreError::InvalidCursor)
        ));
    }
}
