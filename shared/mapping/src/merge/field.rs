//! The merge of one synced field, generic over its CRM (`C`) and Zendesk (`Z`) values.

use crate::domain::SyncPriority;

use super::MergeRules;

/// One field as the merge sees it.
pub(super) struct Field<C, Z> {
    pub crm: C,
    pub zendesk: Z,
    /// What the Zendesk value means for the case; `None` if it has no CRM meaning.
    pub zendesk_as_crm: Option<C>,
    /// What the case value is sent to Zendesk as.
    pub crm_as_zendesk: Z,
    /// A push makes Zendesk hold `crm_as_zendesk`. False for the description: Zendesk cannot
    /// rewrite a ticket's first comment, so after a push Zendesk still holds its old value.
    pub push_sets_zendesk: bool,
    /// The last agreed values; `None` before the first sync.
    pub shadow: Option<(C, Z)>,
}

#[derive(Debug, PartialEq)]
pub(super) struct FieldMerge<C, Z> {
    pub to_case: Option<C>,
    pub to_zendesk: Option<Z>,
    pub shadow: (C, Z),
    /// Changed on both sides since the last sync (and not to the same value).
    pub conflict: bool,
}

pub(super) fn merge_field<C, Z>(field: Field<C, Z>, rules: MergeRules) -> FieldMerge<C, Z>
where
    C: Clone + PartialEq,
    Z: Clone + PartialEq,
{
    let agree =
        field.zendesk_as_crm.as_ref() == Some(&field.crm) || field.crm_as_zendesk == field.zendesk;
    let Some((shadow_crm, shadow_zendesk)) = field.shadow.clone() else {
        // First sync: Zendesk wins and both values become the shadow.
        return if agree {
            settled(field)
        } else {
            zendesk_wins(field, false)
        };
    };
    let crm_changed = field.crm != shadow_crm;
    let zendesk_changed = field.zendesk != shadow_zendesk;
    match (crm_changed, zendesk_changed) {
        (false, false) => FieldMerge {
            to_case: None,
            to_zendesk: None,
            shadow: (shadow_crm, shadow_zendesk),
            conflict: false,
        },
        _ if agree => settled(field),
        (false, true) => zendesk_wins(field, false),
        (true, false) => crm_wins(field, rules, false),
        (true, true) => match rules.priority {
            SyncPriority::Remote => zendesk_wins(field, true),
            SyncPriority::Local => crm_wins(field, rules, true),
        },
    }
}

/// Nothing to write; the current values are the new agreement.
fn settled<C, Z>(field: Field<C, Z>) -> FieldMerge<C, Z> {
    FieldMerge {
        to_case: None,
        to_zendesk: None,
        shadow: (field.crm, field.zendesk),
        conflict: false,
    }
}

fn zendesk_wins<C: Clone + PartialEq, Z>(field: Field<C, Z>, conflict: bool) -> FieldMerge<C, Z> {
    match field.zendesk_as_crm {
        Some(value) if value != field.crm => FieldMerge {
            to_case: Some(value.clone()),
            to_zendesk: None,
            shadow: (value, field.zendesk),
            conflict,
        },
        // No CRM meaning (or already equal): the case keeps its value.
        _ => FieldMerge {
            to_case: None,
            to_zendesk: None,
            shadow: (field.crm, field.zendesk),
            conflict,
        },
    }
}

fn crm_wins<C, Z: Clone>(
    field: Field<C, Z>,
    rules: MergeRules,
    conflict: bool,
) -> FieldMerge<C, Z> {
    if rules.push_to_zendesk {
        FieldMerge {
            to_case: None,
            to_zendesk: Some(field.crm_as_zendesk.clone()),
            shadow: if field.push_sets_zendesk {
                (field.crm, field.crm_as_zendesk)
            } else {
                (field.crm, field.zendesk)
            },
            conflict,
        }
    } else {
        // Not ours to write: leave the shadow, so the CRM change stays a pending change.
        let (crm, zendesk) = match field.shadow {
            Some(pair) => pair,
            None => (field.crm, field.zendesk),
        };
        FieldMerge {
            to_case: None,
            to_zendesk: None,
            shadow: (crm, zendesk),
            conflict,
        }
    }
}
