use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::domain::UserId;

fn zd(id: u64, public: bool, time: Option<&str>) -> Comment {
    serde_json::from_value(json!({
        "id": id, "public": public, "body": format!("body {id}"), "created_at": time, "author_id": 7
    }))
    .expect("comment decodes")
}

fn crm(id: &str, public: bool, minute: u32, zendesk: Option<u64>) -> CaseComment {
    CaseComment {
        id: CommentId::new(id),
        case_id: CaseId::new("case"),
        body: format!("crm {id}"),
        public,
        author: None,
        created_at: chrono::Utc
            .with_ymd_and_hms(2026, 1, 1, 0, minute, 0)
            .unwrap(),
        zendesk_comment_id: zendesk,
    }
}

#[test]
fn the_description_comment_is_the_first_public_one() {
    let comments = [
        zd(30, true, Some("2026-01-01T00:03:00Z")),
        zd(10, false, Some("2026-01-01T00:01:00Z")),
        zd(20, true, Some("2026-01-01T00:02:00Z")),
        zd(5, true, None),
    ];
    assert_eq!(description_comment(&comments).map(|c| c.id), Some(20));
    // same time: the lower id is first
    let tie = [
        zd(21, true, Some("2026-01-01T00:02:00Z")),
        zd(20, true, Some("2026-01-01T00:02:00Z")),
    ];
    assert_eq!(description_comment(&tie).map(|c| c.id), Some(20));
    // undated comments only count when nothing is dated
    assert_eq!(
        description_comment(&[zd(9, true, None), zd(8, true, None)]).map(|c| c.id),
        Some(8)
    );
    assert_eq!(description_comment(&[zd(1, false, None)]), None);
    assert_eq!(description_comment(&[]), None);

    let case_comments = [
        crm("b", true, 2, None),
        crm("a", false, 1, None),
        crm("c", true, 3, None),
    ];
    assert_eq!(
        crm_description_comment(&case_comments).map(|c| c.id.as_str()),
        Some("b")
    );
}

#[test]
fn import_targets_never_duplicate_the_description() {
    let zendesk = [
        zd(100, true, Some("2026-01-01T00:00:00Z")),
        zd(101, true, Some("2026-01-01T00:05:00Z")),
    ];
    // a published case: its description comment is not linked yet
    let published = [crm("desc", true, 0, None), crm("note", false, 1, Some(555))];
    assert_eq!(
        comment_target(&zendesk[0], &zendesk, &published),
        CommentTarget::LinkDescription(CommentId::new("desc"))
    );
    assert_eq!(
        comment_target(&zendesk[1], &zendesk, &published),
        CommentTarget::New
    );
    // once linked, the same comment is an update, never a second comment
    let linked = [crm("desc", true, 0, Some(100))];
    assert_eq!(
        comment_target(&zendesk[0], &zendesk, &linked),
        CommentTarget::Existing(CommentId::new("desc"))
    );
    // an imported case starts without comments: the description comment is created once
    assert_eq!(
        comment_target(&zendesk[0], &zendesk, &[]),
        CommentTarget::New
    );
}

#[test]
fn a_copy_from_before_a_redaction_never_brings_the_text_back() {
    let now = chrono::Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let mut stale = zd(100, true, Some("2026-01-01T00:00:00Z"));
    stale.body = "card 4111 1111".into();
    let mut comment = new_case_comment(&stale, "c1".into(), "case".into(), None, now);
    let mut redacted = stale.clone();
    redacted.body = "card ▇▇▇▇ 1111".into();
    redacted.public = false;
    assert!(update_case_comment(&mut comment, &redacted, None));
    // The message read before the redaction arrives last: nothing changes, privacy included.
    assert!(!update_case_comment(&mut comment, &stale, None));
    assert_eq!(
        (comment.body.as_str(), comment.public),
        ("card ▇▇▇▇ 1111", false)
    );
    // A further redaction still applies.
    let mut again = redacted.clone();
    again.body = "card ▇▇▇▇ ▇▇▇▇".into();
    assert!(update_case_comment(&mut comment, &again, None));
    assert_eq!(comment.body, "card ▇▇▇▇ ▇▇▇▇");
}

#[test]
fn only_a_masked_copy_of_the_same_text_counts_as_redacted() {
    assert!(undoes_redaction("a ▇▇ b", "a xy b"));
    assert!(!undoes_redaction("a ▇▇ b", "a ▇▇ b"), "the same text");
    assert!(!undoes_redaction("a xy b", "a ▇▇ b"), "a new redaction");
    assert!(!undoes_redaction("a ▇▇ b", "a xyz b"), "another length");
    assert!(!undoes_redaction("a ▇▇ b", "c xy b"), "other text");
    assert!(!undoes_redaction("no marks", "no marks!"));
}

proptest::proptest! {
    /// Masking any non-empty set of characters of any text: the original is recognised as
    /// older than the masked text, and the masked text is never taken for an older copy.
    #[test]
    fn masked_text_is_never_unmasked(
        text in "[a-z0-9 ]{1,40}",
        mask in proptest::collection::vec(proptest::bool::ANY, 40),
    ) {
        let masked: String = text
            .chars()
            .zip(&mask)
            .map(|(c, m)| if *m { REDACTION_MARK } else { c })
            .collect();
        proptest::prop_assume!(masked != text);
        proptest::prop_assert!(undoes_redaction(&masked, &text));
        proptest::prop_assert!(!undoes_redaction(&text, &masked));
    }
}

#[test]
fn edits_and_redactions_update_the_case_comment() {
    let original = zd(100, true, Some("2026-01-01T00:00:00Z"));
    let now = chrono::Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let author = Some(PersonRef::User(UserId::new("u")));
    let mut comment = new_case_comment(&original, "c1".into(), "case".into(), author.clone(), now);
    assert_eq!(comment.body, "body 100");
    assert_eq!(comment.zendesk_comment_id, Some(100));
    assert_eq!(
        comment.created_at,
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    );
    assert!(!update_case_comment(
        &mut comment,
        &original,
        author.clone()
    ));
    let mut redacted = original.clone();
    redacted.body = "▇▇▇▇".into();
    assert!(update_case_comment(&mut comment, &redacted, None));
    assert_eq!(comment.body, "▇▇▇▇");
    assert_eq!(comment.author, author);
}

#[test]
fn only_unlinked_non_description_comments_are_pushed() {
    let comments = [
        crm("late", true, 9, None),
        crm("desc", true, 0, None),
        crm("pushed", true, 1, Some(7)),
        crm("private", false, 2, None),
    ];
    let ids: Vec<&str> = comments_to_push(&comments)
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, vec!["private", "late"]);
}
