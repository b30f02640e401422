//! One status line on stderr, redrawn in place, only when stderr is a
//! terminal: piped or captured output stays quiet.

use std::io::{IsTerminal, Write};

/// Prints progress lines when stderr is a terminal.
pub(crate) struct Progress {
    on: bool,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self {
            on: std::io::stderr().is_terminal(),
        }
    }

    /// Replaces the status line.
    pub(crate) fn show(&self, line: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        }
    }

    /// Clears the status line (before the report).
    pub(crate) fn done(&self) {
        if self.on {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
