//! The service's metrics, emitted through the `metrics` facade: whatever recorder the process
//! installed receives them (the Lambdas: CloudWatch Embedded Metric Format, flushed after each
//! invocation; the local server installs none, so they cost nothing there).
//!
//! Names and label keys are CloudWatch metric and dimension names (`template.yaml`'s alarms
//! and dashboard use them). Labels are low-cardinality on purpose: integration ids (a handful
//! per deployment, created by admins), outcomes, winners, reasons — never ticket ids, and no
//! integration on webhook refusals (the path segment there is whatever the caller sent).

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use zsync_mapping::zendesk::TicketExportPage;
use zsync_mapping::{IntegrationId, SyncPriority, Timestamp};

use crate::sync::ApplyOutcome;

/// The CloudWatch namespace of every metric (the `Function` dimension tells stages apart).
pub const NAMESPACE: &str = "ZendeskSync";

/// Ticket states applied to the CRM, by `Outcome` (`created`, `updated`, `unchanged`,
/// `failed`) and `Integration`.
pub const TICKETS_APPLIED: &str = "TicketsApplied";
/// Ticket states with fields changed on both sides, by `Winner` (`zendesk`, `crm`) and
/// `Integration`.
pub const CONFLICTS: &str = "Conflicts";
/// HTTP requests sent to Zendesk (every attempt), by `Integration`.
pub const ZENDESK_REQUESTS: &str = "ZendeskRequests";
/// Zendesk's 429 answers, by `Integration`.
pub const ZENDESK_RATE_LIMITED: &str = "ZendeskRateLimited";
/// The wait each 429 imposed, in seconds, by `Integration`.
pub const ZENDESK_RATE_LIMIT_WAIT: &str = "ZendeskRateLimitWaitSeconds";
/// How far behind now the ticket export is, per page read, by `Integration` (0 once a page
/// reaches the end of the stream).
pub const EXPORT_LAG: &str = "ExportLagSeconds";
/// Webhook deliveries refused: once without labels (the alarm's metric) and once by `Reason`
/// (the JSON error code).
pub const WEBHOOK_REFUSALS: &str = "WebhookRefusals";
/// Messages the mapper parks in the dead-letter queue, by `Path`: `poison` (parked at once)
/// or `exhausted` (failed its last delivery; the queue moves it).
pub const DEAD_LETTER_PARKS: &str = "DeadLetterParks";

/// Dimension names (metric labels) besides the `Function` every Lambda adds.
pub mod dimension {
    pub const INTEGRATION: &str = "Integration";
    pub const OUTCOME: &str = "Outcome";
    pub const WINNER: &str = "Winner";
    pub const REASON: &str = "Reason";
    pub const PATH: &str = "Path";
}

use dimension::{INTEGRATION, OUTCOME, PATH, REASON, WINNER};

/// Tells the installed recorder the units (CloudWatch shows them); call once after installing.
pub fn describe() {
    for (name, about) in [
        (TICKETS_APPLIED, "ticket states applied to the CRM"),
        (CONFLICTS, "ticket states with fields changed on both sides"),
        (ZENDESK_REQUESTS, "HTTP requests sent to Zendesk"),
        (ZENDESK_RATE_LIMITED, "429 answers from Zendesk"),
        (WEBHOOK_REFUSALS, "webhook deliveries refused"),
        (
            DEAD_LETTER_PARKS,
            "messages parked in the dead-letter queue",
        ),
    ] {
        describe_counter!(name, Unit::Count, about);
    }
    describe_histogram!(
        ZENDESK_RATE_LIMIT_WAIT,
        Unit::Seconds,
        "wait imposed by a 429"
    );
    describe_histogram!(EXPORT_LAG, Unit::Seconds, "ticket export lag");
}

/// The `Outcome` of an applied ticket state (the job counters' grouping).
pub fn outcome_label(outcome: ApplyOutcome) -> &'static str {
    match outcome {
        ApplyOutcome::Created => "created",
        ApplyOutcome::Updated | ApplyOutcome::Deleted => "updated",
        ApplyOutcome::Unchanged | ApplyOutcome::Stale | ApplyOutcome::IgnoredDeleted => "unchanged",
    }
}

pub fn ticket_applied(integration: &IntegrationId, outcome: &'static str) {
    counter!(TICKETS_APPLIED, INTEGRATION => integration.to_string(), OUTCOME => outcome)
        .increment(1);
}

pub fn conflict(integration: &IntegrationId, winner: SyncPriority) {
    let winner = match winner {
        SyncPriority::Remote => "zendesk",
        SyncPriority::Local => "crm",
    };
    counter!(CONFLICTS, INTEGRATION => integration.to_string(), WINNER => winner).increment(1);
}

pub fn zendesk_request(integration: &IntegrationId) {
    counter!(ZENDESK_REQUESTS, INTEGRATION => integration.to_string()).increment(1);
}

pub fn zendesk_rate_limited(integration: &IntegrationId, wait: std::time::Duration) {
    counter!(ZENDESK_RATE_LIMITED, INTEGRATION => integration.to_string()).increment(1);
    histogram!(ZENDESK_RATE_LIMIT_WAIT, INTEGRATION => integration.to_string())
        .record(wait.as_secs_f64());
}

pub fn export_lag(integration: &IntegrationId, page: &TicketExportPage, now: Timestamp) {
    histogram!(EXPORT_LAG, INTEGRATION => integration.to_string())
        .record(export_lag_seconds(page, now));
}

/// Seconds between now and the newest ticket change a page carries; 0 at the end of the
/// stream (nothing newer is waiting) or for a page without timestamps.
pub fn export_lag_seconds(page: &TicketExportPage, now: Timestamp) -> f64 {
    if page.end_of_stream {
        return 0.0;
    }
    page.tickets
        .iter()
        .filter_map(|t| t.state_time())
        .max()
        .map_or(0.0, |newest| {
            ((now - newest).num_milliseconds().max(0) as f64) / 1000.0
        })
}

pub fn webhook_refused(code: &'static str) {
    counter!(WEBHOOK_REFUSALS).increment(1);
    counter!(WEBHOOK_REFUSALS, REASON => code).increment(1);
}

pub fn dead_letter_parked(path: &'static str) {
    counter!(DEAD_LETTER_PARKS, PATH => path).increment(1);
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn page(updated: &[&str], end_of_stream: bool) -> TicketExportPage {
        let tickets: Vec<_> = updated
            .iter()
            .enumerate()
            .map(|(i, at)| json!({"id": i + 1, "updated_at": at}))
            .collect();
        serde_json::from_value(json!({
            "tickets": tickets, "after_cursor": "c", "end_of_stream": end_of_stream
        }))
        .unwrap()
    }

    #[test]
    fn export_lag_is_the_age_of_the_newest_ticket_until_the_stream_ends() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let behind = page(&["2026-12-06T10:00:00Z", "2026-12-06T11:30:00Z"], false);
        assert_eq!(export_lag_seconds(&behind, now), 1800.0);
        let caught_up = page(&["2026-12-06T10:00:00Z"], true);
        assert_eq!(export_lag_seconds(&caught_up, now), 0.0);
        // A clock behind Zendesk's never reports a negative lag.
        assert_eq!(export_lag_seconds(&behind, now - Duration::hours(2)), 0.0);
        assert_eq!(export_lag_seconds(&page(&[], false), now), 0.0);
    }

    #[test]
    fn outcomes_group_like_the_job_counters() {
        assert_eq!(outcome_label(ApplyOutcome::Deleted), "updated");
        assert_eq!(outcome_label(ApplyOutcome::Stale), "unchanged");
        assert_eq!(outcome_label(ApplyOutcome::Created), "created");
    }
}
