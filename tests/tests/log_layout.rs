//! The Lambdas and the local server write the same JSON log lines: one event through each
//! setup's layout gives the same keys, with the event's fields (ids included) at the top level,
//! so one CloudWatch Logs Insights query (`filter integration = "..."`) works on both.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tracing_subscriber::fmt::MakeWriter;

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn line(&self) -> Map<String, Value> {
        let bytes = self.0.lock().expect("lock").clone();
        let text = String::from_utf8(bytes).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "one event, one line: {text}");
        match serde_json::from_str(lines[0]).expect("JSON") {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }
}

/// The same event (inside a span, as a Zendesk call or a Lambda invocation is) through `subscriber`.
fn emit(subscriber: impl tracing::Subscriber + Send + Sync) {
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("zendesk_call", endpoint = "GET /api/v2/tickets/7.json");
        let _entered = span.enter();
        tracing::warn!(
            integration = "int-1",
            ticket_id = 7u64,
            job = "job-9",
            receive_count = 3u32,
            "will retry"
        );
    });
}

fn lambda_line() -> Map<String, Value> {
    let out = Captured::default();
    emit(
        zsync_lambda::json_log_builder()
            .with_writer(out.clone())
            .finish(),
    );
    out.line()
}

fn local_line() -> Map<String, Value> {
    let out = Captured::default();
    emit(
        zendesk_sync::logging::json_builder()
            .with_writer(out.clone())
            .finish(),
    );
    out.line()
}

#[test]
fn lambda_and_local_logs_have_the_same_flat_layout() {
    let lambda = lambda_line();
    let local = local_line();
    let keys = |line: &Map<String, Value>| line.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&lambda), keys(&local), "{lambda:?}\n{local:?}");
    for line in [&lambda, &local] {
        assert_eq!(line["message"], "will retry", "{line:?}");
        assert_eq!(line["integration"], "int-1");
        assert_eq!(line["ticket_id"], 7);
        assert_eq!(line["job"], "job-9");
        assert_eq!(line["receive_count"], 3);
        assert_eq!(line["level"], "WARN");
        assert!(line["timestamp"].is_string(), "{line:?}");
        assert!(
            !line.contains_key("fields"),
            "fields are not nested: {line:?}"
        );
        assert_eq!(line["spans"][0]["name"], "zendesk_call", "{line:?}");
        assert_eq!(line["spans"][0]["endpoint"], "GET /api/v2/tickets/7.json");
    }
    // Identical apart from the moment each was written.
    let without_time = |mut line: Map<String, Value>| {
        line.remove("timestamp");
        line
    };
    assert_eq!(without_time(lambda), without_time(local));
}
