//! Sync jobs (docs/http-api.md "Sync job") and the per-ticket sync log (docs/sync-rules.md §7
//! `/log`).

use serde::{Deserialize, Serialize};

use crate::domain::{IntegrationId, JobId, Timestamp, ZendeskId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Scheduled,
    Manual,
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounters {
    pub tickets_seen: u64,
    pub cases_created: u64,
    pub cases_updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

/// Which counter one processed ticket moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobCounter {
    TicketsSeen,
    CasesCreated,
    CasesUpdated,
    Unchanged,
    Failed,
}

impl JobCounters {
    /// Tickets with an outcome: created, updated, unchanged or failed.
    pub fn processed(&self) -> u64 {
        self.cases_created
            .saturating_add(self.cases_updated)
            .saturating_add(self.unchanged)
            .saturating_add(self.failed)
    }

    pub fn add(&mut self, counter: JobCounter, n: u64) {
        let slot = match counter {
            JobCounter::TicketsSeen => &mut self.tickets_seen,
            JobCounter::CasesCreated => &mut self.cases_created,
            JobCounter::CasesUpdated => &mut self.cases_updated,
            JobCounter::Unchanged => &mut self.unchanged,
            JobCounter::Failed => &mut self.failed,
        };
        *slot = slot.saturating_add(n);
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncJob {
    pub id: JobId,
    pub integration_id: IntegrationId,
    pub kind: JobKind,
    pub state: JobState,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub counters: JobCounters,
    pub error: Option<String>,
    /// The export has read everything this job covers; the job succeeds once the mapper has
    /// reported an outcome for every ticket the export saw.
    #[serde(default)]
    pub export_complete: bool,
}

impl SyncJob {
    /// Export done and every ticket it saw applied (or failed): time to call it succeeded.
    pub fn is_settled(&self) -> bool {
        self.export_complete && self.counters.processed() >= self.counters.tickets_seen
    }
}

/// Where an integration's incremental export stands; stored after each page is enqueued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCursor {
    pub integration_id: IntegrationId,
    /// Zendesk `after_cursor`; `None` before the first page (then `start_time` is used).
    pub cursor: Option<String>,
    pub start_time: i64,
    /// The job the export currently works for.
    pub job_id: Option<JobId>,
    pub end_of_stream: bool,
    pub updated_at: Timestamp,
    /// The comment stream (time-based ticket-events export); absent in cursors stored before
    /// it existed, which then start it from the beginning.
    #[serde(default)]
    pub events: EventsPosition,
}

/// Where the ticket-events (comments) export stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPosition {
    /// The next request's `start_time` (the previous page's `end_time`).
    #[serde(default)]
    pub start_time: i64,
    /// Audits at exactly `start_time` that were already enqueued: Zendesk hands the last
    /// second back when polled again, so these are skipped instead of sent twice.
    #[serde(default)]
    pub seen_at_start: Vec<ZendeskId>,
    #[serde(default)]
    pub end_of_stream: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogOutcome {
    Created,
    Updated,
    Unchanged,
    Pushed,
    Stale,
    Echo,
    Deleted,
    ClosedInZendesk,
    Conflict,
    Failed,
    /// A reopened case's status was not pushed to its solved or closed ticket
    /// (docs/sync-rules.md §4 "Reopening").
    ReopenWithheld,
}

impl LogOutcome {
    pub const ALL: [LogOutcome; 11] = [
        Self::Created,
        Self::Updated,
        Self::Unchanged,
        Self::Pushed,
        Self::Stale,
        Self::Echo,
        Self::Deleted,
        Self::ClosedInZendesk,
        Self::Conflict,
        Self::Failed,
        Self::ReopenWithheld,
    ];

    /// The wire name (docs/http-api.md "Values").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Pushed => "pushed",
            Self::Stale => "stale",
            Self::Echo => "echo",
            Self::Deleted => "deleted",
            Self::ClosedInZendesk => "closed_in_zendesk",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
            Self::ReopenWithheld => "reopen_withheld",
        }
    }

    /// The outcome with this wire name, exactly as written.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == raw)
    }
}

#[cfg(test)]
mod log_outcome_tests {
    use super::LogOutcome;

    #[test]
    fn wire_names_are_serdes_and_parse_back() {
        for outcome in LogOutcome::ALL {
            let json = serde_json::to_value(outcome).expect("serialise");
            assert_eq!(json, outcome.as_str());
            assert_eq!(LogOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(LogOutcome::parse("Pushed"), None);
        assert_eq!(LogOutcome::parse("nope"), None);
    }
}

/// One line of the per-ticket sync log: what happened, when, why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncLogEntry {
    pub integration_id: IntegrationId,
    pub ticket_number: Option<ZendeskId>,
    pub at: Timestamp,
    pub outcome: LogOutcome,
    pub message: String,
    pub job_id: Option<JobId>,
}
