//! What one client run measured, as the client child reports it (one JSON
//! line) and as the harness keeps it.

use serde::{Deserialize, Serialize};

use crate::driver::Driver;
use crate::lateness;

/// One client's figures, from its own process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ClientFigures {
    pub(crate) driver: Driver,
    pub(crate) conns: usize,
    /// From the first connect to the last Ready.
    pub(crate) ramp_secs: f64,
    /// VmRSS before the first connect and after `settle`, KiB.
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_after_kib: u64,
    /// Live heap per connection over the same span (`--heap` only).
    pub(crate) heap_bytes_per_conn: Option<f64>,
    pub(crate) heap_blocks_per_conn: Option<f64>,
    /// The steady window.
    pub(crate) window_secs: f64,
    /// User + system time over the window.
    pub(crate) cpu_secs: f64,
    /// Heartbeat ACKs the application saw over the window.
    pub(crate) beats: u64,
    /// VmRSS growth over the window, KiB.
    pub(crate) rss_growth_kib: i64,
    /// Events or errors a steady run should not have, over the whole run.
    pub(crate) trouble: usize,
}

impl ClientFigures {
    pub(crate) fn rss_kib_per_conn(&self) -> f64 {
        (self.rss_after_kib as f64 - self.rss_before_kib as f64) / self.conns as f64
    }

    pub(crate) fn cpu_us_per_beat(&self) -> f64 {
        self.cpu_secs * 1e6 / self.beats.max(1) as f64
    }

    /// Heartbeats acknowledged over those expected (one per connection per
    /// second): well under 1, the client fell behind.
    pub(crate) fn beat_ratio(&self) -> f64 {
        self.beats as f64 / (self.conns as f64 * self.window_secs)
    }
}

/// A client's figures with the sim's view of its heartbeats.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) client: ClientFigures,
    pub(crate) lateness: lateness::Figures,
}
