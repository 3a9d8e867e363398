//! The simulator over real HTTP (reqwest), parsed with zsync-mapping's wire types to prove
//! the shapes match what the client decodes.

mod comment_changes;
mod export;
mod limits_faults;
mod seed;
mod tickets;
mod users_auth;
mod webhooks;

use reqwest::{Client, Response};
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{SimConfig, Simulator};

pub const EMAIL: &str = "api@example.com";
pub const TOKEN: &str = "test-token";

pub struct Harness {
    pub sim: Simulator,
    pub http: Client,
    pub api_user: u64,
}

impl Harness {
    pub async fn start() -> Self {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("start simulator");
        let api_user = sim.add_api_user(EMAIL, TOKEN, UserRole::Admin);
        let http = Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("client");
        Self {
            sim,
            http,
            api_user,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .basic_auth(format!("{EMAIL}/token"), Some(TOKEN))
            .send()
            .await
            .expect("request")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> Response {
        self.http
            .request(method, self.url(path))
            .basic_auth(format!("{EMAIL}/token"), Some(TOKEN))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub fn end_user(&self, name: &str, email: &str) -> u64 {
        self.sim.add_user(name, Some(email), UserRole::EndUser)
    }

    pub fn agent(&self, name: &str, email: &str) -> u64 {
        self.sim.add_user(name, Some(email), UserRole::Agent)
    }
}

/// fixtures/zendesk/error_422_closed_ticket.json (recorded Zendesk body).
pub const CLOSED_TICKET_BODY: &str = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status closed prevents ticket update"}]}}"#;
/// fixtures/zendesk/error_404_record_not_found.json (recorded Zendesk body).
pub const NOT_FOUND_BODY: &str = r#"{"error":"RecordNotFound","description":"Not found"}"#;
