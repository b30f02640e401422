//! A one-line progress report on standard error, rewritten in place, only
//! when standard error is a terminal: piped or redirected output stays
//! free of it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redraws at most this often.
const EVERY: Duration = Duration::from_millis(200);

/// The progress line of one piece of work.
#[derive(Debug)]
pub(crate) struct Progress {
    on: bool,
    /// What the work is, at the start of every line.
    label: String,
    drawn: Option<Instant>,
}

impl Progress {
    pub(crate) fn new(label: impl Into<String>) -> Self {
        Self {
            on: std::io::stderr().is_terminal(),
            label: label.into(),
            drawn: None,
        }
    }

    /// Redraws the line with `line()`, unless it was drawn very recently
    /// or nobody is looking.
    pub(crate) fn show(&mut self, line: impl FnOnce() -> String) {
        if !self.on || self.drawn.is_some_and(|at| at.elapsed() < EVERY) {
            return;
        }
        self.drawn = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        // Carriage return, then erase the line: the new text replaces the old.
        let _ = write!(err, "\r\x1b[2K{} {}", self.label, line()).and_then(|()| err.flush());
    }

    /// Erases the line, so that what is printed next starts clean.
    pub(crate) fn clear(&mut self) {
        if self.on && self.drawn.take().is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `12.3 s` or `4 min 05 s`.
pub(crate) fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 100 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}
