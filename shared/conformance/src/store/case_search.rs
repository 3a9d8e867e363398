//! The case list's subject word search (docs/http-api.md "Subject search").

use zsync_core::ports::{CaseFilter, CrmStore};
use zsync_mapping::CaseStatus;

use super::walk;
use crate::fixtures::case;

/// The subject word search (docs/http-api.md `GET /cases?subject=`): every word, any case
/// (Unicode), whole words; a walk with a small limit over mostly non-matching cases returns
/// every match exactly once, newest first.
pub async fn list_cases_word_search(store: &dyn CrmStore) {
    let mut expected = Vec::new();
    for i in 0..40 {
        let subject = match i % 5 {
            0 => "Écran cassé, PRINTER jam",
            1 => "printer jammed",
            2 => "Jam",
            _ => "Unrelated",
        };
        let c = case(
            &format!("case-{i:02}"),
            subject,
            CaseStatus::Open,
            Some("acme"),
            i64::from(i),
        );
        store.create_case(&c).await.expect("create");
        if i % 5 == 0 {
            expected.push(c.id.0.clone());
        }
    }
    expected.reverse();
    for (query, integration) in [
        ("printer JAM", None),
        ("jam écran", Some("acme")),
        ("ÉCRAN", None),
    ] {
        let filter = CaseFilter {
            subject: Some(query.into()),
            integration_id: integration.map(Into::into),
            ..Default::default()
        };
        let got = walk(2, |cursor| {
            let filter = &filter;
            async move { store.list_cases(filter, cursor.as_deref(), 2).await }
        })
        .await;
        let got: Vec<_> = got.iter().map(|c| c.id.0.clone()).collect();
        assert_eq!(got, expected, "{query:?}");
    }
    let whole_words = CaseFilter {
        subject: Some("jamm".into()),
        ..Default::default()
    };
    let none = store
        .list_cases(&whole_words, None, 50)
        .await
        .expect("list");
    assert!(none.items.is_empty(), "whole words only: {:?}", none.items);
}
