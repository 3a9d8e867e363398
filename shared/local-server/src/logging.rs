//! Logs for people on a terminal, JSON for machines: compact human lines when stdout is a
//! terminal, one JSON object per line when it is not (or with `--log-format json`). `RUST_LOG`
//! sets the filter. Ids (integration, job, ticket) are fields, so JSON logs can be queried.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

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

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is not set.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match format.resolve() {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        _ => builder.compact().with_target(false).try_init(),
    };
    if installed.is_err() {
        // Already installed (tests, or a second call): keep the first.
    }
}
