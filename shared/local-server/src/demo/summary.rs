//! What the demo prints after the first sync: what came over, one case in full, the latest sync
//! log, and ready-to-paste curl commands.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

use serde_json::Value;
use zsync_mapping::{CaseId, IntegrationId};

use super::DemoError;
use super::account::SeededAccount;
use super::client::ApiClient;
use crate::server::LocalServer;

/// Bound on list pages read (200 items each).
const MAX_PAGES: usize = 500;

/// The outcome of the first sync, as the API reports it.
#[derive(Clone, Debug)]
pub struct Summary {
    pub integration_id: String,
    /// The finished job (docs/http-api.md "Sync job").
    pub job: Value,
    pub cases: usize,
    pub cases_by_status: BTreeMap<String, usize>,
    /// Zendesk ticket numbers of the integration's cases (one entry per case).
    pub ticket_numbers: Vec<u64>,
    pub contacts: usize,
    pub users: usize,
    /// One case in full (`GET /cases/{id}`).
    pub sample_case: Option<Value>,
    /// The newest sync log entries.
    pub log: Vec<Value>,
    pub webhook_endpoint: Option<String>,
    /// From the start of the demo to this summary.
    pub elapsed: Duration,
}

pub(super) async fn collect(
    api: &ApiClient,
    server: &LocalServer,
    integration: &IntegrationId,
    job: Value,
    account: &SeededAccount,
    started: Instant,
) -> Result<Summary, DemoError> {
    let cases = api
        .all_pages(&format!("/cases?integration_id={integration}"), MAX_PAGES)
        .await?;
    let mut cases_by_status = BTreeMap::new();
    for case in &cases {
        let status = case.get("status").and_then(Value::as_str).unwrap_or("?");
        *cases_by_status.entry(status.to_owned()).or_insert(0) += 1;
    }
    // Lists leave the ticket record out; read it per case.
    let store = &server.context().store;
    let mut ticket_numbers = Vec::with_capacity(cases.len());
    let mut by_ticket = BTreeMap::new();
    for case in &cases {
        let Some(id) = case.get("id").and_then(Value::as_str) else {
            continue;
        };
        let record = store
            .get_ticket_record_for_case(&CaseId::new(id))
            .await
            .map_err(|e| DemoError::Store(e.to_string()))?;
        if let Some(record) = record {
            ticket_numbers.push(record.value.ticket_number);
            by_ticket.insert(record.value.ticket_number, id.to_owned());
        }
    }
    ticket_numbers.sort_unstable();
    let contacts = api.all_pages("/contacts", MAX_PAGES).await?.len();
    let users = api.all_pages("/users", MAX_PAGES).await?.len();
    // The last ticket added has a private note and a requester without e-mail.
    let sample_id = account
        .ticket_ids
        .iter()
        .rev()
        .find_map(|t| by_ticket.get(t))
        .cloned();
    let sample_case = match sample_id {
        Some(id) => Some(api.get(&format!("/cases/{id}")).await?),
        None => None,
    };
    let log = api
        .get(&format!("/integrations/{integration}/log?limit=5"))
        .await?
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(Summary {
        integration_id: integration.to_string(),
        job,
        cases: cases.len(),
        cases_by_status,
        ticket_numbers,
        contacts,
        users,
        sample_case,
        log,
        webhook_endpoint: Some(zsync_core::admin::webhook_endpoint(
            server.public_url(),
            integration,
        )),
        elapsed: started.elapsed(),
    })
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("-")
}

fn person(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(p) if p.is_object() => format!("{} {}", s(p, "/kind"), s(p, "/id")),
        _ => "-".to_owned(),
    }
}

fn n(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// Shortens a body to one line for the listing.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

impl Summary {
    /// The text printed for people. `token` goes into the curl commands.
    pub fn render(&self, account: &SeededAccount, base_url: &str, token: &str) -> String {
        let mut out = String::new();
        let job = &self.job;
        let deleted = account
            .deleted_ticket
            .map(|t| format!(", ticket #{t} deleted in Zendesk"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\nSimulated Zendesk: {} tickets, {} comments, {} agents, {} end-users{deleted}.",
            account.ticket_ids.len(),
            account.comments,
            account.agents,
            account.end_users
        );
        let _ = writeln!(
            out,
            "First sync: job {} {}, all applied {:.1} s after the demo started — {} cases created, {} updated, {} unchanged, {} failed.",
            s(job, "/id"),
            s(job, "/state"),
            self.elapsed.as_secs_f64(),
            n(job, "/counters/cases_created"),
            n(job, "/counters/cases_updated"),
            n(job, "/counters/unchanged"),
            n(job, "/counters/failed"),
        );
        let _ = writeln!(out, "\nCases by status ({} in all):", self.cases);
        for (status, count) in &self.cases_by_status {
            let _ = writeln!(out, "  {status:<12} {count:>5}");
        }
        let _ = writeln!(
            out,
            "Contacts created: {}   CRM users: {}",
            self.contacts, self.users
        );
        if let Some(case) = &self.sample_case {
            self.render_case(&mut out, case);
        }
        if !self.log.is_empty() {
            let _ = writeln!(out, "\nLatest sync log entries:");
            for entry in &self.log {
                let _ = writeln!(
                    out,
                    "  {}  {:<10} {}",
                    s(entry, "/at"),
                    s(entry, "/outcome"),
                    one_line(s(entry, "/message"), 90)
                );
            }
        }
        if let Some(endpoint) = &self.webhook_endpoint {
            let _ = writeln!(out, "\nZendesk webhook registered: {endpoint}");
        }
        self.render_curl(&mut out, base_url, token);
        out
    }

    fn render_case(&self, out: &mut String, case: &Value) {
        let _ = writeln!(
            out,
            "\nSample case {}: {:?}\n  CRM:     status {} · priority {} · contact {} · assigned to {}",
            s(case, "/id"),
            s(case, "/subject"),
            s(case, "/status"),
            s(case, "/priority"),
            s(case, "/contact_id"),
            s(case, "/assigned_to"),
        );
        if let Some(ticket) = case.get("ticket").filter(|t| t.is_object()) {
            let _ = writeln!(
                out,
                "  Zendesk: ticket #{} · status {} · type {} · priority {} · requester {} · assignee {}",
                n(ticket, "/ticket_number"),
                s(ticket, "/status"),
                s(ticket, "/type"),
                s(ticket, "/priority"),
                person(ticket, "/requester"),
                person(ticket, "/assignee"),
            );
        }
        let comments = case
            .get("comments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let _ = writeln!(out, "  Comments ({}):", comments.len());
        for c in &comments {
            let visibility = if c.get("public").and_then(Value::as_bool) == Some(true) {
                "public "
            } else {
                "private"
            };
            let _ = writeln!(
                out,
                "    [{visibility}] {} by {}: {}",
                s(c, "/created_at"),
                person(c, "/author"),
                one_line(s(c, "/body"), 70)
            );
        }
    }

    fn render_curl(&self, out: &mut String, base: &str, token: &str) {
        let integration = &self.integration_id;
        let sample = self
            .sample_case
            .as_ref()
            .map_or("<case id>", |c| s(c, "/id"));
        let auth = "-H \"Authorization: Bearer $TOKEN\"";
        let json = "-H 'Content-Type: application/json'";
        let _ = writeln!(
            out,
            "\nExplore the API (an admin token, valid 12 h, signed with this session's secret):\n"
        );
        let _ = writeln!(out, "  export TOKEN='{token}'");
        let _ = writeln!(
            out,
            "  # list cases, show one with its ticket record and comments"
        );
        let _ = writeln!(out, "  curl -s {auth} '{base}/cases?limit=5'");
        let _ = writeln!(out, "  curl -s {auth} {base}/cases/{sample}");
        let _ = writeln!(
            out,
            "  # create a CRM case, then publish it to Zendesk (two-way sync is on)"
        );
        let _ = writeln!(
            out,
            "  curl -s -X POST {auth} {json} -d '{{\"subject\":\"Printer jams\",\"description\":\"Paper stuck in tray 2\"}}' {base}/cases"
        );
        let _ = writeln!(
            out,
            "  curl -s -X POST {auth} {json} -d '{{\"integration_id\":\"{integration}\"}}' {base}/cases/<id from above>/publish"
        );
        let _ = writeln!(out, "  # sync jobs and the per-ticket sync log");
        let _ = writeln!(
            out,
            "  curl -s {auth} {base}/integrations/{integration}/jobs"
        );
        let _ = writeln!(
            out,
            "  curl -s {auth} {base}/integrations/{integration}/log"
        );
    }
}
