//! Turning failed exchanges into [`ZendeskError`]s. Messages carry Zendesk's own error summary
//! and the endpoint, never request headers, query strings or bodies we sent.

use reqwest::StatusCode;
use zsync_core::ports::ZendeskError;
use zsync_mapping::ZendeskId;
use zsync_mapping::zendesk::ErrorBody;

/// Zendesk's summaries are short; anything longer is not worth carrying around.
const MAX_SUMMARY_CHARS: usize = 300;

/// The error for a non-success status that is neither 429 nor 5xx (those are retried).
pub fn error_for_status(
    status: StatusCode,
    body: &[u8],
    endpoint: String,
    ticket_id: Option<ZendeskId>,
) -> ZendeskError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let summary = summary(status, parsed.as_ref(), body);
    match status.as_u16() {
        401 | 403 => ZendeskError::Auth {
            endpoint,
            reason: format!("HTTP {}: {summary}", status.as_u16()),
        },
        404 => ZendeskError::NotFound { endpoint },
        409 => ZendeskError::Conflict { endpoint, summary },
        422 => match (
            ticket_id,
            parsed.as_ref().is_some_and(ErrorBody::is_closed_ticket),
        ) {
            (Some(ticket_id), true) => ZendeskError::ClosedTicket { ticket_id },
            _ => ZendeskError::Invalid {
                endpoint,
                status: 422,
                summary,
            },
        },
        other => ZendeskError::Invalid {
            endpoint,
            status: other,
            summary,
        },
    }
}

/// Zendesk's summary plus the field details of validation errors
/// (`details: {"email": [{"description": "…"}]}`), or the newer APIs' list shape
/// (`errors: [{"title": "…", "detail": "…"}]`, e.g. webhooks).
fn summary(status: StatusCode, body: Option<&ErrorBody>, raw: &[u8]) -> String {
    let mut text = body.map(ErrorBody::summary).unwrap_or_default();
    if text.is_empty() {
        text = error_list(raw);
    }
    if let Some(details) = body
        .and_then(|b| b.details.as_ref())
        .and_then(|d| d.as_object())
    {
        let fields: Vec<String> = details
            .iter()
            .flat_map(|(field, problems)| {
                let problems = problems.as_array().cloned().unwrap_or_default();
                problems.into_iter().filter_map(move |p| {
                    let description = p.get("description")?.as_str()?.to_owned();
                    Some(format!("{field}: {description}"))
                })
            })
            .collect();
        if !fields.is_empty() {
            text = format!("{text} ({})", fields.join("; "));
        }
    }
    if text.trim().is_empty() {
        text = status.canonical_reason().unwrap_or("error").to_owned();
    }
    if text.chars().count() > MAX_SUMMARY_CHARS {
        text = text.chars().take(MAX_SUMMARY_CHARS).collect::<String>() + "…";
    }
    text
}

fn error_list(raw: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(raw) else {
        return String::new();
    };
    let Some(errors) = value.get("errors").and_then(|e| e.as_array()) else {
        return String::new();
    };
    let text =
        |e: &serde_json::Value, key: &str| e.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    errors
        .iter()
        .filter_map(
            |e| match (text(e, "title").or(text(e, "code")), text(e, "detail")) {
                (Some(t), Some(d)) => Some(format!("{t}: {d}")),
                (t, d) => t.or(d),
            },
        )
        .collect::<Vec<_>>()
        .join("; ")
}

/// A request that got no complete answer: always transient (timeouts, connection failures,
/// a body cut off). The URL is dropped: its query may name people.
pub fn transport_error(endpoint: String, err: reqwest::Error) -> ZendeskError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    let mut reason = kind.to_owned();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    ZendeskError::Transient { endpoint, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str, ticket: Option<u64>) -> ZendeskError {
        error_for_status(
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            "PUT /api/v2/tickets/7.json".into(),
            ticket,
        )
    }

    #[test]
    fn closed_ticket_needs_the_422_wording_and_a_ticket() {
        let closed = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}"#;
        assert!(matches!(
            classify(422, closed, Some(7)),
            ZendeskError::ClosedTicket { ticket_id: 7 }
        ));
        let other = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"requester":[{"description":"Requester: Email is invalid"}]}}"#;
        match classify(422, other, Some(7)) {
            ZendeskError::Invalid {
                status, summary, ..
            } => {
                assert_eq!(status, 422);
                assert!(summary.contains("RecordInvalid"), "{summary}");
                assert!(
                    summary.contains("requester: Requester: Email is invalid"),
                    "{summary}"
                );
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert!(matches!(classify(401, "", None), ZendeskError::Auth { .. }));
        assert!(matches!(
            classify(403, "<html>", None),
            ZendeskError::Auth { .. }
        ));
        assert!(matches!(
            classify(404, "{}", None),
            ZendeskError::NotFound { .. }
        ));
        assert!(matches!(
            classify(409, "{}", Some(7)),
            ZendeskError::Conflict { .. }
        ));
        match classify(
            400,
            r#"{"error":{"title":"Invalid attribute","message":"bad"}}"#,
            None,
        ) {
            ZendeskError::Invalid { summary, .. } => assert_eq!(summary, "Invalid attribute: bad"),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn error_lists_are_summarised() {
        let body = r#"{"errors":[{"code":"InvalidValue","title":"InvalidValue","detail":"endpoint is required"}]}"#;
        match classify(400, body, None) {
            ZendeskError::Invalid { summary, .. } => {
                assert_eq!(summary, "InvalidValue: endpoint is required")
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn html_bodies_fall_back_to_the_status_reason_and_long_ones_are_cut() {
        match classify(400, "<html>nope</html>", None) {
            ZendeskError::Invalid { summary, .. } => assert_eq!(summary, "Bad Request"),
            e => panic!("{e:?}"),
        }
        let long = format!(r#"{{"error":"X","description":"{}"}}"#, "a".repeat(1000));
        match classify(400, &long, None) {
            ZendeskError::Invalid { summary, .. } => assert!(summary.chars().count() <= 301),
            e => panic!("{e:?}"),
        }
    }
}
