//! Message bodies SQS accepts whatever the customer typed.
//!
//! SQS refuses a body with any character outside the XML 1.0 `Char` production
//! (#x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF). serde_json already escapes
//! the C0 controls, but writes U+FFFE and U+FFFF as they are: one such character in a ticket
//! subject made the whole send fail. [`to_queue_json`] writes JSON in which every refused
//! character is a `\uXXXX` escape, so any JSON parser (and [`super::SyncMessage::decode`])
//! gives back the exact text. The escaped form is what counts against the size limit.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// Whether SQS accepts `c` in a message body or a string attribute.
pub fn is_queue_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// The first character of `text` SQS would refuse, with its byte offset.
pub fn first_refused_char(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| !is_queue_char(*c))
}

/// `text` with every character SQS refuses replaced by U+FFFD: for short diagnostic texts (a
/// dead letter's reason), never for bodies.
pub fn lossy_queue_text(text: &str) -> String {
    text.chars()
        .map(|c| if is_queue_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// Compact JSON whose string contents are escaped wherever SQS would refuse a character.
struct QueueSafe;

impl Formatter for QueueSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if !is_queue_char(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every refused character is in the BMP (surrogates are not `char`s), so one
                // `\uXXXX` escape is exact.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as compact JSON containing only characters SQS accepts. Empty if `value` cannot be
/// serialised (plain data with string keys always can).
pub fn to_queue_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, QueueSafe);
    if value.serialize(&mut serializer).is_err() {
        return String::new();
    }
    // serde_json writes UTF-8 and the escapes are ASCII.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any char, with the refused ones and their neighbours drawn often.
    fn hostile_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
            prop::sample::select(vec![
                '\u{7F}',
                '\u{D7FF}',
                '\u{E000}',
                '\u{FFFD}',
                '\u{FFFE}',
                '\u{FFFF}',
                '\u{10000}',
                '\u{10FFFF}',
                '"',
                '\\',
                '/',
            ]),
        ]
    }

    fn hostile_text() -> impl Strategy<Value = String> {
        prop::collection::vec(hostile_char(), 0..40).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn any_text_is_encoded_with_accepted_characters_and_decodes_exactly(text in hostile_text()) {
            let encoded = to_queue_json(&text);
            prop_assert_eq!(first_refused_char(&encoded), None, "{:?}", encoded);
            let decoded: String = serde_json::from_str(&encoded).unwrap();
            prop_assert_eq!(decoded, text);
        }

        #[test]
        fn text_in_keys_and_nested_values_is_escaped_too(key in hostile_text(), value in hostile_text()) {
            let document = serde_json::json!({ key.clone(): [value.clone(), {"v": value.clone()}] });
            let encoded = to_queue_json(&document);
            prop_assert_eq!(first_refused_char(&encoded), None, "{:?}", encoded);
            let decoded: serde_json::Value = serde_json::from_str(&encoded).unwrap();
            prop_assert_eq!(decoded, document);
        }

        #[test]
        fn lossy_text_is_accepted_and_keeps_every_accepted_character(text in hostile_text()) {
            let lossy = lossy_queue_text(&text);
            prop_assert_eq!(first_refused_char(&lossy), None);
            prop_assert_eq!(lossy.chars().count(), text.chars().count());
        }
    }

    #[test]
    fn the_accepted_set_is_exactly_the_one_sqs_documents() {
        let refused: Vec<u32> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| !is_queue_char(*c))
            .map(u32::from)
            .collect();
        let expected: Vec<u32> = (0..0x20)
            .filter(|c| ![0x9, 0xA, 0xD].contains(c))
            .chain([0xFFFE, 0xFFFF])
            .collect();
        assert_eq!(refused, expected);
    }

    #[test]
    fn plain_serde_json_leaves_u_ffff_raw_which_is_why_this_exists() {
        let text = "Re: invoice \u{FFFF}\u{FFFE}\u{1}";
        assert!(first_refused_char(&serde_json::to_string(text).unwrap()).is_some());
        assert_eq!(to_queue_json(text), "\"Re: invoice \\uffff\\ufffe\\u0001\"");
    }
}
