//! Shared set-up of the simulator tests: a simulator with one API user and a client for it
//! with test-sized delays.

#![allow(dead_code)]

use std::time::Duration;

use secrecy::SecretString;
use zsync_core::ports::ZendeskAccount;
use zsync_mapping::IntegrationId;
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk::{
    ClientConfig, RequestBudget, RetryPolicy, ZendeskClient, ZendeskClientFactory,
};
use zsync_zendesk_sim::{SimConfig, Simulator};

pub const EMAIL: &str = "admin@acme.example.com";
pub const TOKEN: &str = "sim-token-3b9d0c7a11f4";

pub struct Setup {
    pub sim: Simulator,
    pub api_user: u64,
}

pub async fn simulator(config: SimConfig) -> Setup {
    let sim = Simulator::start(config).await.expect("simulator starts");
    let api_user = sim.add_api_user(EMAIL, TOKEN, UserRole::Admin);
    Setup { sim, api_user }
}

/// Production behaviour with delays shrunk so tests run in seconds.
pub fn test_config() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(80),
            max_rate_limit_wait: Duration::from_secs(20),
            default_rate_limit_wait: Duration::from_millis(500),
        },
        export_budget: RequestBudget {
            requests: 1_000,
            window: Duration::from_secs(1),
        },
        general_budget: RequestBudget {
            requests: 10_000,
            window: Duration::from_secs(1),
        },
        ..ClientConfig::default()
    }
}

pub fn client(sim: &Simulator, config: ClientConfig) -> ZendeskClient {
    client_with_token(sim, config, TOKEN)
}

pub fn client_with_token(sim: &Simulator, config: ClientConfig, token: &str) -> ZendeskClient {
    ZendeskClientFactory::new(config)
        .expect("client builds")
        .client(ZendeskAccount {
            integration_id: IntegrationId::new("int-sim"),
            base_url: sim.base_url(),
            api_email: EMAIL.into(),
            api_token: SecretString::from(token),
        })
        .expect("base URL accepted")
}
