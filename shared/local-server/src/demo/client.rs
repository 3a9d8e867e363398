//! The demo talks to its own server the way a CRM front end does: over HTTP, with a bearer
//! token, reading the JSON of docs/http-api.md.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::DemoError;

pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl ApiClient {
    pub fn new(base_url: String, token: String) -> Result<Self, DemoError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| DemoError::Http(e.to_string()))?;
        Ok(Self {
            http,
            base_url,
            token,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, DemoError> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, DemoError> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DemoError> {
        let url = format!("{}{path}", self.base_url);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| DemoError::Http(format!("{method} {path}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DemoError::Http(format!("{method} {path}: {e}")))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let message = json
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or(&text);
            return Err(DemoError::Api {
                request: format!("{method} {path}"),
                status: status.as_u16(),
                message: message.to_owned(),
            });
        }
        Ok(json)
    }

    /// Every item of a paginated list (`{"items", "next_cursor"}`), at most `max_pages` pages.
    pub async fn all_pages(
        &self,
        path_with_query: &str,
        max_pages: usize,
    ) -> Result<Vec<Value>, DemoError> {
        let separator = if path_with_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages {
            let path = match &cursor {
                Some(c) => format!("{path_with_query}{separator}limit=200&cursor={c}"),
                None => format!("{path_with_query}{separator}limit=200"),
            };
            let page = self.get(&path).await?;
            if let Some(list) = page.get("items").and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            cursor = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(url_encode);
            if cursor.is_none() {
                return Ok(items);
            }
        }
        Err(DemoError::Http(format!(
            "{path_with_query}: more than {max_pages} pages"
        )))
    }
}

/// Percent-encodes a query value (cursors are opaque and may contain `+`, `/`, `=`).
fn url_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cursors_are_percent_encoded() {
        assert_eq!(super::url_encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(super::url_encode("plain-1.2_~"), "plain-1.2_~");
    }
}
