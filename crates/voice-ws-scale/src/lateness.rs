//! Heartbeat lateness, from what the sim received.
//!
//! The core schedules beats on a fixed grid (each one interval after the
//! slot of the previous, never drifting), so a connection's beats should
//! go out exactly one interval apart. Three views of how far they miss,
//! each over every beat of every connection:
//! - sent: the beat's nonce is the client's clock in milliseconds when it
//!   woke up to send it; its offset from the grid, minus the smallest
//!   offset of that connection (its least late beat counts as on time).
//!   The client's own lateness, in 1 ms steps.
//! - arrived: the same with the time the sim read the beat, so the sim's
//!   own delays count too: an upper bound.
//! - between arrivals: the gap to the previous beat minus the interval.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Lateness figures over many connections, in milliseconds.
#[derive(Debug, Default)]
pub(crate) struct Lateness {
    sent: Vec<f64>,
    arrived: Vec<f64>,
    between: Vec<f64>,
}

/// One heartbeat as the sim saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Beat {
    /// When the sim read it.
    pub(crate) at: Duration,
    /// Its nonce: the client's clock in milliseconds when it was sent.
    pub(crate) nonce_ms: u64,
}

impl Lateness {
    /// Adds one connection's heartbeats, in order.
    pub(crate) fn add(&mut self, beats: &[Beat], interval: Duration) {
        let interval = interval.as_secs_f64();
        let sent: Vec<f64> = beats.iter().map(|b| b.nonce_ms as f64 / 1e3).collect();
        let arrived: Vec<f64> = beats.iter().map(|b| b.at.as_secs_f64()).collect();
        self.sent.extend(off_grid(&sent, interval));
        self.arrived.extend(off_grid(&arrived, interval));
        self.between.extend(
            arrived
                .windows(2)
                .map(|pair| (pair[1] - pair[0] - interval) * 1e3),
        );
    }

    /// How many beats were added.
    pub(crate) fn beats(&self) -> usize {
        self.sent.len()
    }

    /// The percentiles of each view (`None` without beats).
    pub(crate) fn figures(&mut self) -> Figures {
        Figures {
            beats: self.beats(),
            sent: Percentiles::of(&mut self.sent),
            arrived: Percentiles::of(&mut self.arrived),
            between: Percentiles::of(&mut self.between),
        }
    }
}

/// The three views of [`Lateness`], summed up.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Figures {
    /// Heartbeats counted.
    pub(crate) beats: usize,
    /// From the nonces: the client's own lateness.
    pub(crate) sent: Option<Percentiles>,
    /// From the arrival times: the sim's delays too.
    pub(crate) arrived: Option<Percentiles>,
    /// Gaps between arrivals, minus the interval.
    pub(crate) between: Option<Percentiles>,
}

/// Milliseconds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Percentiles {
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Percentiles {
    fn of(values: &mut [f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        Some(Self {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        })
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.p50, self.p99, self.max
        )
    }
}

/// Each time's offset from its slot on a grid `interval` apart, minus the
/// smallest offset, in milliseconds.
fn off_grid(times: &[f64], interval: f64) -> Vec<f64> {
    let Some(&first) = times.first() else {
        return Vec::new();
    };
    let offsets: Vec<f64> = times
        .iter()
        .map(|t| {
            let since = t - first;
            since - (since / interval).round() * interval
        })
        .collect();
    let least = offsets.iter().copied().fold(f64::INFINITY, f64::min);
    offsets.iter().map(|o| (o - least) * 1e3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounded(values: &[f64]) -> Vec<i64> {
        values.iter().map(|v| v.round() as i64).collect()
    }

    #[test]
    fn a_late_beat_is_late_in_every_view() {
        let beat = |at, nonce_ms| Beat {
            at: Duration::from_millis(at),
            nonce_ms,
        };
        let mut lateness = Lateness::default();
        let beats = [
            beat(5, 1000),
            beat(1005, 2000),
            beat(2008, 3002),
            beat(3005, 4000),
        ];
        lateness.add(&beats, Duration::from_secs(1));
        assert_eq!(lateness.beats(), 4);
        assert_eq!(rounded(&lateness.sent), [0, 0, 2, 0]);
        assert_eq!(rounded(&lateness.arrived), [0, 0, 3, 0]);
        assert_eq!(rounded(&lateness.between), [0, 3, -3]);
    }
}
