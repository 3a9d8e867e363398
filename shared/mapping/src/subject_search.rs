//! The case list's subject search (docs/http-api.md, `GET /cases?subject=`): a case matches when
//! every word of the query is a word of its subject.
//!
//! Words: the text is lower-cased (Unicode-aware: `É` and `é` are the same letter) and split on
//! every character that is not alphanumeric (Unicode letters and digits), so punctuation and
//! white space only separate words. Whole words match (`jam` does not match `jammed`); order and
//! repetition do not matter.

/// The words of `text`, lower-cased, in order (repeats kept).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A parsed subject query: its distinct words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectQuery {
    words: Vec<String>,
}

impl SubjectQuery {
    /// `None` when `query` has no word in it (only punctuation or white space).
    pub fn parse(query: &str) -> Option<Self> {
        let mut words = words(query);
        words.sort();
        words.dedup();
        (!words.is_empty()).then_some(Self { words })
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Every word of the query is a word of `subject`.
    pub fn matches(&self, subject: &str) -> bool {
        let subject = words(subject);
        self.words.iter().all(|w| subject.contains(w))
    }
}

/// `subject` matches the free-text `query` (a query without words matches nothing).
pub fn subject_matches(query: &str, subject: &str) -> bool {
    SubjectQuery::parse(query).is_some_and(|q| q.matches(subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_lowercased_and_split_on_anything_not_alphanumeric() {
        assert_eq!(
            words("Printer-JAM, 2nd floor!"),
            ["printer", "jam", "2nd", "floor"]
        );
        assert_eq!(words("ÉCRAN cassé"), ["écran", "cassé"]);
        assert_eq!(words("  ...  "), Vec::<String>::new());
    }

    #[test]
    fn every_word_must_be_present_in_any_order_and_case() {
        assert!(subject_matches("Printer jam", "JAM in the printer"));
        assert!(subject_matches("printer", "Printer on fire"));
        assert!(subject_matches("écran", "Écran noir"));
        assert!(!subject_matches("Printer jam", "Printer on fire"));
        assert!(
            !subject_matches("jam", "Printer jammed"),
            "whole words only"
        );
        assert!(!subject_matches("", "anything"));
        assert!(!subject_matches("--", "anything"));
    }

    #[test]
    fn a_query_without_words_does_not_parse() {
        assert_eq!(SubjectQuery::parse(" ?! "), None);
        assert_eq!(
            SubjectQuery::parse("b A a").map(|q| q.words().to_vec()),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
    }

    proptest! {
        /// A subject always matches any non-empty selection of its own words, whatever their case
        /// and separators.
        #[test]
        fn a_subject_matches_its_own_words(
            subject in "[A-Za-zÀ-ÿ0-9 ,.!-]{1,40}",
            pick in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
            upper in any::<bool>(),
        ) {
            let own = words(&subject);
            prop_assume!(!own.is_empty());
            let chosen: Vec<String> = pick.iter().map(|i| own[i.index(own.len())].clone()).collect();
            let round_trips = chosen.iter().all(|w| w.to_uppercase().to_lowercase() == *w);
            let mut query = chosen.join(" / ");
            // Upper-casing can change a word (ß → SS): only upper-case words that round-trip.
            if upper && round_trips {
                query = query.to_uppercase();
            }
            prop_assert!(subject_matches(&query, &subject), "{query:?} in {subject:?}");
        }

        /// Adding a word the subject does not have makes it not match.
        #[test]
        fn a_missing_word_never_matches(subject in "[a-z ]{0,30}", extra in "[a-z]{1,8}") {
            prop_assume!(!words(&subject).contains(&extra));
            let query = format!("{subject} {extra}");
            prop_assert!(!subject_matches(&query, &subject));
        }
    }
}
