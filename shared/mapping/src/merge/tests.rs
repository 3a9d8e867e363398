use super::*;
use crate::domain::{CasePriority, CaseStatus, UserId};

pub(super) const REMOTE: MergeRules = MergeRules {
    priority: SyncPriority::Remote,
    push_to_zendesk: true,
};
pub(super) const LOCAL: MergeRules = MergeRules {
    priority: SyncPriority::Local,
    push_to_zendesk: true,
};
pub(super) const ONE_WAY: MergeRules = MergeRules {
    priority: SyncPriority::Remote,
    push_to_zendesk: false,
};

pub(super) fn case() -> CaseSide {
    CaseSide {
        subject: "Printer on fire".into(),
        description: "It burns".into(),
        status: CaseStatus::Open,
        priority: CasePriority::Normal,
        assigned_to: Some(UserId::new("alice")),
        assignee_in_zendesk: Some(101),
    }
}

pub(super) fn ticket() -> TicketSide {
    TicketSide {
        subject: Some("Printer on fire".into()),
        description: Some("It burns".into()),
        status: Some(TicketStatus::Open),
        priority: Some(TicketPriority::Normal),
        assignee_id: Some(101),
        assignee_in_crm: Some(UserId::new("alice")),
    }
}

pub(super) fn agreed() -> Shadow {
    Shadow::agreed(&case(), &ticket())
}

#[test]
fn unchanged_input_keeps_the_shadow() {
    let result = merge_fields(&agreed(), &case(), &ticket(), REMOTE);
    assert!(result.is_empty());
    assert_eq!(result.new_shadow, agreed());
}

#[test]
fn the_echo_of_our_own_push_is_no_change() {
    let case = CaseSide {
        status: CaseStatus::InProgress,
        subject: "Renamed".into(),
        ..case()
    };
    let pushed = merge_fields(&agreed(), &case, &ticket(), LOCAL);
    assert_eq!(
        pushed.zendesk_changes,
        ZendeskChanges {
            subject: Some("Renamed".into()),
            status: Some(TicketStatus::Pending),
            ..ZendeskChanges::default()
        }
    );
    // Zendesk sends the ticket back (webhook / export) with what we pushed.
    let echo = TicketSide {
        subject: Some("Renamed".into()),
        status: Some(TicketStatus::Pending),
        ..ticket()
    };
    let again = merge_fields(&pushed.new_shadow, &case, &echo, LOCAL);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(again.new_shadow, pushed.new_shadow);
    // An older copy of the ticket (before our push) arriving late is not re-applied either
    // way round: it looks like Zendesk changed back, and Zendesk-side changes win…
    let late = merge_fields(&pushed.new_shadow, &case, &ticket(), LOCAL);
    assert_eq!(
        late.case_changes.subject.as_deref(),
        Some("Printer on fire")
    );
    // …which is why stale states are dropped before the merge (case_mapping::disposition).
}

#[test]
fn a_pushed_description_is_not_taken_back_by_zendesks_unchanged_description() {
    let case = CaseSide {
        description: "Rewritten in the CRM".into(),
        ..case()
    };
    let pushed = merge_fields(&agreed(), &case, &ticket(), REMOTE);
    assert_eq!(
        pushed.zendesk_changes.description.as_deref(),
        Some("Rewritten in the CRM")
    );
    // Zendesk still has its first comment as the description afterwards.
    let again = merge_fields(&pushed.new_shadow, &case, &ticket(), REMOTE);
    assert!(again.is_empty(), "{again:?}");
    // A later redaction in Zendesk is a Zendesk-side change and reaches the case.
    let redacted = TicketSide {
        description: Some("It ▇▇▇▇▇".into()),
        ..ticket()
    };
    let after = merge_fields(&pushed.new_shadow, &case, &redacted, REMOTE);
    assert_eq!(after.case_changes.description.as_deref(), Some("It ▇▇▇▇▇"));
}

#[test]
fn after_a_failed_push_the_next_merge_pushes_again() {
    let ticket = TicketSide {
        status: Some(TicketStatus::Pending),
        ..ticket()
    };
    let mut case_now = CaseSide {
        priority: CasePriority::High,
        ..case()
    };
    let first = merge_fields(&agreed(), &case_now, &ticket, LOCAL);
    assert_eq!(first.case_changes.status, Some(CaseStatus::InProgress));
    assert_eq!(first.zendesk_changes.priority, Some(TicketPriority::High));
    // The case change is saved, the push fails, the old shadow is kept.
    case_now.status = CaseStatus::InProgress;
    let retry = merge_fields(&agreed(), &case_now, &ticket, LOCAL);
    assert!(retry.case_changes.is_empty());
    assert_eq!(retry.zendesk_changes, first.zendesk_changes);
    assert_eq!(retry.new_shadow, first.new_shadow);
}

#[test]
fn an_unpushed_crm_change_stays_pending_until_two_way_is_on() {
    let case = CaseSide {
        priority: CasePriority::High,
        ..case()
    };
    let off = merge_fields(&agreed(), &case, &ticket(), ONE_WAY);
    assert!(off.is_empty());
    assert_eq!(off.new_shadow, agreed());
    let on = merge_fields(&off.new_shadow, &case, &ticket(), REMOTE);
    assert_eq!(on.zendesk_changes.priority, Some(TicketPriority::High));
}

fn rules_for(
    two_way: bool,
    deleted: bool,
    closed: bool,
    priority: Option<SyncPriority>,
) -> MergeRules {
    let now = chrono::DateTime::from_timestamp(0, 0).unwrap_or_default();
    let integration = Integration {
        id: "i".into(),
        name: "n".into(),
        url: "https://a.zendesk.com".into(),
        api_email: "a@b.co".into(),
        api_token_set: true,
        default_zendesk_user_email: None,
        owner_id: "o".into(),
        two_way_sync: two_way,
        sync_priority: priority,
        active: true,
        webhook_id: None,
        created_at: now,
        updated_at: now,
    };
    let mut record = crate::record_mapping::new_ticket_record(
        &serde_json::from_value(serde_json::json!({"id": 1})).expect("ticket"),
        "i".into(),
        "c".into(),
        &TicketPeople::default(),
    );
    record.deleted = deleted;
    record.closed_in_zendesk = closed;
    MergeRules::for_ticket(&integration, Some(&record))
}

#[test]
fn rules_follow_the_integration_and_the_ticket() {
    let local = Some(SyncPriority::Local);
    assert_eq!(rules_for(true, false, false, local), LOCAL);
    assert_eq!(rules_for(false, false, false, local), ONE_WAY);
    let no_push_local = MergeRules {
        push_to_zendesk: false,
        ..LOCAL
    };
    assert_eq!(rules_for(true, true, false, local), no_push_local);
    assert_eq!(rules_for(true, false, true, local), no_push_local);
}

mod properties;
mod reopen;
mod scenarios;
