//! A one-line progress bar on stderr while the sync job's counters move (redrawn in place on a
//! terminal, a line per change otherwise, nothing when turned off).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Off a terminal every line stays in the output: at most one a second.
const LINE_INTERVAL: Duration = Duration::from_secs(1);

pub struct Progress {
    enabled: bool,
    terminal: bool,
    last: Option<String>,
    last_at: Option<Instant>,
}

/// What the bar shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tickets whose state the mapper applied (created + updated + unchanged + failed).
    pub applied: u64,
    pub total: u64,
    pub created: u64,
    pub failed: u64,
    pub queued: usize,
}

const WIDTH: u64 = 30;

pub fn render(counts: &Counts) -> String {
    let total = counts.total.max(1);
    let applied = counts.applied.min(total);
    let filled = usize::try_from(applied * WIDTH / total).unwrap_or(0);
    let empty = usize::try_from(WIDTH).unwrap_or(30) - filled;
    format!(
        "syncing [{}{}] {applied}/{} tickets · {} cases created · {} failed · {} queued",
        "#".repeat(filled),
        "-".repeat(empty),
        counts.total,
        counts.created,
        counts.failed,
        counts.queued,
    )
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            terminal: std::io::stderr().is_terminal(),
            last: None,
            last_at: None,
        }
    }

    pub fn show(&mut self, counts: &Counts) {
        if !self.enabled {
            return;
        }
        let line = render(counts);
        if self.last.as_ref() == Some(&line) {
            return;
        }
        let done = counts.queued == 0 && counts.applied >= counts.total;
        let recent = self.last_at.is_some_and(|at| at.elapsed() < LINE_INTERVAL);
        if !self.terminal && recent && !done {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
        self.last = Some(line);
        self.last_at = Some(Instant::now());
    }

    pub fn finish(&mut self) {
        if self.enabled && self.terminal && self.last.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_applied_tickets() {
        let half = Counts {
            applied: 50,
            total: 100,
            created: 48,
            failed: 0,
            queued: 7,
        };
        let line = render(&half);
        assert!(line.contains(&format!("[{}{}]", "#".repeat(15), "-".repeat(15))));
        assert!(line.contains("50/100 tickets"));
        // More applied than expected (a webhook's extra message) never overflows the bar.
        let over = Counts {
            applied: 120,
            total: 100,
            ..half
        };
        assert!(render(&over).contains(&"#".repeat(30)));
    }
}
