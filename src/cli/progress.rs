//! A progress bar for long sweeps on stderr: redrawn in place on a terminal, one line per event
//! otherwise (logs, CI), with elapsed time and a rough remaining-time estimate.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use crate::sweep::Progress;

/// Draws [`Progress`] reports.
pub struct ProgressBar {
    start: Instant,
    tty: bool,
}

impl ProgressBar {
    /// Starts the clock; draws in place when stderr is a terminal.
    pub fn new() -> Self {
        ProgressBar {
            start: Instant::now(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// Draws one report: `[#####·····] 12/42 curves  3m12s elapsed  ~4m40s left  <line>`.
    pub fn update(&mut self, p: &Progress) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let text = format!("{}  {}", status(p, elapsed), p.line);
        let mut err = std::io::stderr().lock();
        // a failed write to stderr must not stop a sweep
        let _ = if self.tty {
            write!(err, "\r\x1b[K{text}")
        } else {
            writeln!(err, "{text}")
        };
    }

    /// Ends the in-place line.
    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new()
    }
}

/// The bar, the counts and the times of one report (the remaining time assumes the remaining
/// curves cost what the finished ones did on average; curves at large d cost more).
fn status(p: &Progress, elapsed: f64) -> String {
    const WIDTH: usize = 20;
    let frac = if p.curves == 0 {
        1.0
    } else {
        p.curves_done as f64 / p.curves as f64
    };
    let filled = ((frac * WIDTH as f64).round() as usize).min(WIDTH);
    let left = if p.curves_done == 0 {
        "?".to_string()
    } else {
        minutes(elapsed / p.curves_done as f64 * (p.curves - p.curves_done) as f64)
    };
    format!(
        "[{}{}] {}/{} curves  {} elapsed  ~{} left",
        "#".repeat(filled),
        "·".repeat(WIDTH - filled),
        p.curves_done,
        p.curves,
        minutes(elapsed),
        left
    )
}

fn minutes(secs: f64) -> String {
    let s = secs.round() as u64;
    format!("{}m{:02}s", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_counts_and_extrapolates() {
        let p = Progress {
            curves_done: 5,
            curves: 20,
            line: "x",
        };
        let s = status(&p, 100.0);
        assert!(
            s.starts_with("[#####···············] 5/20 curves  1m40s elapsed  ~5m00s left"),
            "{s}"
        );
        let first = status(&Progress { curves_done: 0, ..p }, 3.0);
        assert!(first.contains("~? left"), "{first}");
    }
}
