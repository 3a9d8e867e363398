//! The process-wide part (one reqwest client, one set of budgets per Zendesk account) and the
//! cheap per-integration handles it hands out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use url::Url;
use zsync_core::ports::{
    ZendeskAccount, ZendeskApi, ZendeskConnector, ZendeskError, ZendeskResult,
};

use crate::config::ClientConfig;
use crate::transport::{AccountBudgets, Connection};

#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client for Zendesk: {0}")]
pub struct BuildError(String);

/// Build once per cold start; share it between all integrations.
#[derive(Clone)]
pub struct ZendeskClientFactory {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    /// Keyed by the account's origin: integrations on one account share its rate limits.
    budgets: Arc<Mutex<HashMap<String, Arc<AccountBudgets>>>>,
}

impl std::fmt::Debug for ZendeskClientFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZendeskClientFactory")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ZendeskClientFactory {
    pub fn new(config: ClientConfig) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            // A redirect could carry the credentials to another host; Zendesk's API does not
            // redirect, so one is an error.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        Ok(Self {
            http,
            config: Arc::new(config),
            budgets: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A handle for one integration. Refuses base URLs that are not plain http(s) origins.
    pub fn client(&self, account: ZendeskAccount) -> ZendeskResult<ZendeskClient> {
        let base_url = parse_base_url(&account.base_url)?;
        let origin = base_url.origin().ascii_serialization();
        let budgets = {
            let mut all = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
            all.entry(origin)
                .or_insert_with(|| Arc::new(AccountBudgets::new(&self.config)))
                .clone()
        };
        Ok(ZendeskClient {
            conn: Connection {
                http: self.http.clone(),
                config: self.config.clone(),
                budgets,
                base_url,
                username: format!("{}/token", account.api_email.trim()),
                token: account.api_token,
                integration_id: account.integration_id,
            },
        })
    }
}

impl ZendeskConnector for ZendeskClientFactory {
    fn connect(&self, account: ZendeskAccount) -> ZendeskResult<Arc<dyn ZendeskApi>> {
        Ok(Arc::new(self.client(account)?))
    }
}

fn parse_base_url(raw: &str) -> ZendeskResult<Url> {
    let invalid = |summary: &str| ZendeskError::Invalid {
        endpoint: "account URL".into(),
        status: 0,
        summary: summary.to_owned(),
    };
    let mut url = Url::parse(raw.trim()).map_err(|_| invalid("not a URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid("expected an http(s) URL with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the URL must not carry credentials"));
    }
    url.set_path("");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// One integration's Zendesk account. Cheap: clones of shared parts plus the credentials.
pub struct ZendeskClient {
    pub(crate) conn: Connection,
}

impl std::fmt::Debug for ZendeskClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZendeskClient")
            .field("integration_id", &self.conn.integration_id)
            .field("base_url", &self.conn.base_url.as_str())
            .field("username", &self.conn.username)
            .field("api_token", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_origins_only() {
        assert_eq!(
            parse_base_url("https://acme.zendesk.com/")
                .unwrap()
                .as_str(),
            "https://acme.zendesk.com/"
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:9000/agent/x?y=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9000/"
        );
        for bad in [
            "ftp://acme.zendesk.com",
            "acme.zendesk.com",
            "https://u:p@acme.zendesk.com",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(ZendeskError::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
