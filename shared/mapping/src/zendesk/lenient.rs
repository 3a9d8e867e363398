//! Tolerant field decoders: Zendesk sends ids as numbers (REST) or strings (webhooks), and
//! `null` almost anywhere.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Num(u64),
    Str(String),
}

fn parse_id<E: serde::de::Error>(raw: RawId) -> Result<Option<u64>, E> {
    match raw {
        RawId::Num(n) => Ok(Some(n)),
        RawId::Str(s) => {
            let s = s.trim();
            // Webhook payloads use "" and "0" for "no such reference".
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<u64>()
                .map(Some)
                .map_err(|_| E::custom(format!("expected a numeric id, got {s:?}")))
        }
    }
}

/// A required id: number or numeric string.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_id::<D::Error>(RawId::deserialize(d)?)?
        .ok_or_else(|| serde::de::Error::custom("expected an id, got an empty string"))
}

/// An optional id: number, numeric string, `""` or `null`.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<RawId>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => parse_id::<D::Error>(raw),
    }
}

/// A list of ids; `null` is an empty list, entries may be numbers or strings; `null` and `""`
/// entries are dropped.
pub fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    let raw = Option::<Vec<Option<RawId>>>::deserialize(d)?.unwrap_or_default();
    let mut out = Vec::with_capacity(raw.len());
    for r in raw.into_iter().flatten() {
        if let Some(id) = parse_id::<D::Error>(r)? {
            out.push(id);
        }
    }
    Ok(out)
}

/// A string where `null` means empty.
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string-or-number field kept as text (`generated_timestamp` in some payloads).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(i64),
        Float(f64),
        Str(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Num(n)) => Some(n),
        Some(Raw::Float(f)) if f.is_finite() => Some(f as i64),
        Some(Raw::Float(_)) => None,
        Some(Raw::Str(s)) => s.trim().parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    struct Ids {
        #[serde(deserialize_with = "super::id")]
        id: u64,
        #[serde(default, deserialize_with = "super::opt_id")]
        maybe: Option<u64>,
        #[serde(default, deserialize_with = "super::id_list")]
        list: Vec<u64>,
    }

    fn ids(value: serde_json::Value) -> Result<Ids, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn ids_arrive_as_numbers_strings_blanks_and_nulls() {
        let parsed = ids(json!({"id": "42", "maybe": "", "list": [1, "2", null, "", " 3 "]}))
            .expect("lenient");
        assert_eq!(
            (parsed.id, parsed.maybe, parsed.list),
            (42, None, vec![1, 2, 3])
        );
        let parsed = ids(json!({"id": 7, "maybe": null, "list": null})).expect("lenient");
        assert_eq!((parsed.id, parsed.maybe, parsed.list), (7, None, vec![]));
        assert_eq!(
            ids(json!({"id": 1, "maybe": "9"})).expect("ok").maybe,
            Some(9)
        );
    }

    #[test]
    fn junk_ids_are_errors_not_panics() {
        assert!(ids(json!({"id": ""})).is_err());
        assert!(ids(json!({"id": "abc"})).is_err());
        assert!(ids(json!({"id": -1})).is_err());
        assert!(ids(json!({"id": 1, "list": ["x"]})).is_err());
    }
}
