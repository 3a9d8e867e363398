//! Contact names from a Zendesk user's single `name` (docs/sync-rules.md §3.2).
//!
//! Decisions where docs/sync-rules.md is silent:
//! - Prefix and suffix keep the word as written minus one trailing dot ("Mr." → "Mr", "PhD." →
//!   "PhD", "Ph.D." → "Ph.D"); matching against the lists ignores case ("DR." is a prefix).
//! - The "more than two parts" test is made once on the whole name; a prefix or suffix is then
//!   taken off only if at least one word is left ("Mr. Bob Jr." → prefix Mr, suffix Jr, and Bob
//!   as first and last name).
//! - A blank name parses to empty parts; the caller chooses a fallback (see `people`).

use serde::{Deserialize, Serialize};

/// Leading titles, compared without a trailing dot, ignoring case.
pub const NAME_PREFIXES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Master", "Atty", "Rev", "Prof",
];

/// Trailing suffixes, compared without a trailing dot, ignoring case.
pub const NAME_SUFFIXES: &[&str] = &[
    "Jr", "Sr", "Jnr", "II", "III", "IV", "V", "PhD", "Ph.D", "MD", "M.D", "JD", "J.D", "MBA",
    "M.B.A", "BA", "B.A", "BSc", "B.Sc", "MA", "M.A", "MSc", "M.Sc", "PMP", "P.M.P", "RA", "R.A",
    "CSV", "C.S.V",
];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactName {
    pub prefix: Option<String>,
    pub first: String,
    pub middle: Option<String>,
    pub last: String,
    pub suffix: Option<String>,
}

/// The word without one trailing dot if it is in `list` (ignoring case).
fn listed(word: &str, list: &[&str]) -> Option<String> {
    let bare = word.strip_suffix('.').unwrap_or(word);
    list.iter()
        .any(|entry| entry.eq_ignore_ascii_case(bare))
        .then(|| bare.to_owned())
}

pub fn parse_contact_name(full_name: &str) -> ContactName {
    let mut words: Vec<&str> = full_name.split_whitespace().collect();
    let mut name = ContactName::default();

    if words.len() > 2 {
        if let Some(prefix) = listed(words[0], NAME_PREFIXES) {
            name.prefix = Some(prefix);
            words.remove(0);
        }
        if words.len() > 1
            && let Some(suffix) = words.last().and_then(|w| listed(w, NAME_SUFFIXES))
        {
            name.suffix = Some(suffix);
            words.pop();
        }
    }

    match words.as_slice() {
        [] => {}
        [only] => {
            name.first = (*only).to_owned();
            name.last = (*only).to_owned();
        }
        [first, last] => {
            name.first = (*first).to_owned();
            name.last = (*last).to_owned();
        }
        [first, middle, rest @ ..] => {
            name.first = (*first).to_owned();
            name.middle = Some((*middle).to_owned());
            name.last = rest.join(" ");
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(
        prefix: Option<&str>,
        first: &str,
        middle: Option<&str>,
        last: &str,
        suffix: Option<&str>,
    ) -> ContactName {
        ContactName {
            prefix: prefix.map(str::to_owned),
            first: first.into(),
            middle: middle.map(str::to_owned),
            last: last.into(),
            suffix: suffix.map(str::to_owned),
        }
    }

    #[test]
    fn spec_examples_and_rules() {
        for (raw, want) in [
            // The example of docs/sync-rules.md §3.2.
            (
                "Mr. Bob Miller Jr.",
                parts(Some("Mr"), "Bob", None, "Miller", Some("Jr")),
            ),
            // A single word is both first and last name.
            ("Cher", parts(None, "Cher", None, "Cher", None)),
            ("Bob Miller", parts(None, "Bob", None, "Miller", None)),
            // Two parts: no prefix/suffix handling.
            ("Mr Miller", parts(None, "Mr", None, "Miller", None)),
            ("Miller Jr", parts(None, "Miller", None, "Jr", None)),
            // Three or more parts left: second is middle, rest is last.
            (
                "Bob James Miller",
                parts(None, "Bob", Some("James"), "Miller", None),
            ),
            (
                "Anna Maria van der Berg",
                parts(None, "Anna", Some("Maria"), "van der Berg", None),
            ),
            (
                "Dr Anna Maria Berg PhD",
                parts(Some("Dr"), "Anna", Some("Maria"), "Berg", Some("PhD")),
            ),
            // Dots and case.
            (
                "DR. ann lee M.D.",
                parts(Some("DR"), "ann", None, "lee", Some("M.D")),
            ),
            (
                "prof. Ann Lee ph.d.",
                parts(Some("prof"), "Ann", None, "Lee", Some("ph.d")),
            ),
            // White space of any kind.
            (
                "  Bob \t Miller\n",
                parts(None, "Bob", None, "Miller", None),
            ),
            // Prefix and suffix never leave the name empty.
            (
                "Mr. Bob Jr.",
                parts(Some("Mr"), "Bob", None, "Bob", Some("Jr")),
            ),
            ("Mr Dr Bob", parts(Some("Mr"), "Dr", None, "Bob", None)),
            // Only a suffix.
            (
                "Bob Miller III",
                parts(None, "Bob", None, "Miller", Some("III")),
            ),
            // A suffix only counts at the end, a prefix only at the start.
            (
                "Bob Jr Miller",
                parts(None, "Bob", Some("Jr"), "Miller", None),
            ),
            (
                "Bob Mr Miller",
                parts(None, "Bob", Some("Mr"), "Miller", None),
            ),
            // A dot in the middle of a word is not a trailing dot.
            (
                "Bob Miller Ph.D..",
                parts(None, "Bob", Some("Miller"), "Ph.D..", None),
            ),
            ("", parts(None, "", None, "", None)),
            ("   ", parts(None, "", None, "", None)),
        ] {
            assert_eq!(parse_contact_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn every_listed_prefix_and_suffix_is_recognised() {
        for prefix in NAME_PREFIXES {
            let name = parse_contact_name(&format!("{prefix}. Bob Miller"));
            assert_eq!(name.prefix.as_deref(), Some(*prefix));
            assert_eq!((name.first.as_str(), name.last.as_str()), ("Bob", "Miller"));
        }
        for suffix in NAME_SUFFIXES {
            let name = parse_contact_name(&format!("Bob Miller {suffix}."));
            assert_eq!(name.suffix.as_deref(), Some(*suffix));
            assert_eq!((name.first.as_str(), name.last.as_str()), ("Bob", "Miller"));
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(raw in any::<String>()) {
            let _ = parse_contact_name(&raw);
        }

        #[test]
        fn parts_round_trip_to_the_words(
            words in prop::collection::vec(
                prop_oneof![
                    "[A-Za-z'-]{1,8}",
                    prop::sample::select(NAME_PREFIXES).prop_map(|p| format!("{p}.")),
                    prop::sample::select(NAME_SUFFIXES).prop_map(str::to_owned),
                ],
                0..6,
            ),
        ) {
            let name = parse_contact_name(&words.join("  "));
            // Words come back in order; only a listed prefix/suffix loses its trailing dot.
            let core_start = usize::from(name.prefix.is_some());
            let core_end = words.len() - usize::from(name.suffix.is_some());
            if let Some(prefix) = &name.prefix {
                prop_assert_eq!(prefix.as_str(), words[0].strip_suffix('.').unwrap_or(&words[0]));
            }
            if let Some(suffix) = &name.suffix {
                let last = &words[words.len() - 1];
                prop_assert_eq!(suffix.as_str(), last.strip_suffix('.').unwrap_or(last));
            }
            let core = &words[core_start..core_end];
            if core.len() == 1 {
                prop_assert_eq!(&name.first, &core[0]);
                prop_assert_eq!(&name.last, &core[0]);
                prop_assert_eq!(&name.middle, &None);
            } else if !core.is_empty() {
                let mut back = vec![name.first.clone()];
                back.extend(name.middle.clone());
                back.extend(name.last.split(' ').map(str::to_owned));
                prop_assert_eq!(back.as_slice(), core);
            }
            prop_assert_eq!(name.first.is_empty(), words.is_empty());
            prop_assert_eq!(name.last.is_empty(), words.is_empty());
        }
    }
}
