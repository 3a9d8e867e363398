//! Ids the service derives instead of inventing, so that replays and reorderings of the same
//! Zendesk data land on the same records (idempotence without a lookup first).

use zsync_mapping::{CaseId, CommentId, IntegrationId, ZendeskId};

/// The case made from Zendesk ticket `ticket` of `integration`. Cases published from the CRM
/// keep their own id; for those, the ticket record maps the ticket to the case.
pub fn case_id_for_ticket(integration: &IntegrationId, ticket: ZendeskId) -> CaseId {
    CaseId(format!("zd-{integration}-{ticket}"))
}

/// The case comment made from Zendesk comment `comment` (comment ids are unique per account).
pub fn comment_id_for_zendesk(integration: &IntegrationId, comment: ZendeskId) -> CommentId {
    CommentId(format!("zdc-{integration}-{comment}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct_per_integration() {
        let a = IntegrationId::from("a");
        let b = IntegrationId::from("b");
        assert_eq!(case_id_for_ticket(&a, 7), case_id_for_ticket(&a, 7));
        assert_ne!(case_id_for_ticket(&a, 7), case_id_for_ticket(&b, 7));
        assert_ne!(case_id_for_ticket(&a, 7), case_id_for_ticket(&a, 70));
        assert_ne!(comment_id_for_zendesk(&a, 7).0, case_id_for_ticket(&a, 7).0);
    }
}
