//! Logs for people on a terminal, JSON for machines: compact human lines when stdout is a
//! terminal, one JSON object per line when it is not (or with `--log-format json`). `RUST_LOG`
//! sets the filter. Ids (integration, job, ticket) are fields, so JSON logs can be queried.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::SubscriberBuilder;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human lines on a terminal, JSON otherwise.
    Auto,
    /// Compact human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// What `Auto` means here and now.
    pub fn resolve(self) -> LogFormat {
        match self {
            Self::Auto if std::io::stdout().is_terminal() => Self::Pretty,
            Self::Auto => Self::Json,
            other => other,
        }
    }
}

/// Changes the level filter of the installed subscriber (the demo is quiet while its progress
/// bar runs, then shows requests). Does nothing when `RUST_LOG` chose the filter.
pub struct FilterHandle(Option<SetFilter>);

type SetFilter = Box<dyn Fn(&str) + Send + Sync>;

impl FilterHandle {
    pub fn set(&self, filter: &str) {
        if let Some(set) = &self.0 {
            set(filter);
        }
    }
}

/// The JSON layout, the same as the Lambdas' (`zsync_lambda::json_log_builder`, a test holds
/// them equal): `timestamp`, `level`, `target`, the event's fields at the top level, `spans`.
pub fn json_builder() -> SubscriberBuilder<JsonFields, Format<Json>> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
}

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is not set.
pub fn init(format: LogFormat, default_filter: &str) -> FilterHandle {
    let from_env = EnvFilter::try_from_default_env().ok();
    let fixed = from_env.is_some();
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(default_filter));
    // The handle's type differs per format; keep only what setting a filter needs.
    let (installed, set): (_, SetFilter) = match format.resolve() {
        LogFormat::Json => {
            let builder = json_builder()
                .with_env_filter(filter)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            (
                builder.try_init(),
                Box::new(move |f: &str| {
                    let _ = handle.reload(EnvFilter::new(f));
                }),
            )
        }
        _ => {
            let builder = tracing_subscriber::fmt()
                .compact()
                .with_target(false)
                .with_env_filter(filter)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            (
                builder.try_init(),
                Box::new(move |f: &str| {
                    let _ = handle.reload(EnvFilter::new(f));
                }),
            )
        }
    };
    // An error means a subscriber was installed already (tests): keep that one.
    FilterHandle((installed.is_ok() && !fixed).then_some(set))
}
