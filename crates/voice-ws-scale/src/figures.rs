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
    /// Voluntary context switches over the window (absent from figures
    /// taken before they were counted).
    #[serde(default)]
    pub(crate) sleeps: u64,
    /// VmRSS growth over the window, KiB.
    pub(crate) rss_growth_kib: i64,
    /// Events or errors a steady run should not have, over the whole run.
    pub(crate) trouble: usize,
    /// The same, by kind.
    #[serde(default)]
    pub(crate) trouble_kinds: std::collections::BTreeMap<String, usize>,
}

impl ClientFigures {
    pub(crate) fn rss_kib_per_conn(&self) -> f64 {
        (self.rss_after_kib as f64 - self.rss_before_kib as f64) / self.conns as f64
    }

    pub(crate) fn cpu_us_per_beat(&self) -> f64 {
        self.cpu_secs * 1e6 / self.beats.max(1) as f64
    }

    pub(crate) fn sleeps_per_beat(&self) -> f64 {
        self.sleeps as f64 / self.beats.max(1) as f64
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

/// What the table and the chart show for one client at one size: the
/// median of each figure over the rounds.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub(crate) driver: Driver,
    pub(crate) conns: usize,
    pub(crate) cpu_us_per_beat: f64,
    /// Times the client's threads went to sleep, per heartbeat.
    pub(crate) sleeps_per_beat: f64,
    pub(crate) rss_kib_per_conn: f64,
    /// Lateness as sent, milliseconds.
    pub(crate) p50_ms: Option<f64>,
    pub(crate) p99_ms: Option<f64>,
    /// Lateness on arrival at the sim, milliseconds.
    pub(crate) arrived_p99_ms: Option<f64>,
    /// The lowest over the rounds.
    pub(crate) beat_ratio: f64,
    /// The sum over the rounds.
    pub(crate) trouble: usize,
}

#[cfg(test)]
impl Point {
    /// A point with the given CPU and RSS figures, and lateness p50 1 ms,
    /// p99 4 ms, 6 ms on arrival, 0.25 sleeps per heartbeat: for the
    /// table's and the chart's tests.
    pub(crate) fn example(driver: Driver, conns: usize, cpu: f64, rss: f64) -> Self {
        Self {
            driver,
            conns,
            cpu_us_per_beat: cpu,
            sleeps_per_beat: 0.25,
            rss_kib_per_conn: rss,
            p50_ms: Some(1.0),
            p99_ms: Some(4.0),
            arrived_p99_ms: Some(6.0),
            beat_ratio: 1.0,
            trouble: 0,
        }
    }
}

/// One point per client and size, in the order of the rows.
pub(crate) fn points(rows: &[Row]) -> Vec<Point> {
    let mut points: Vec<Point> = Vec::new();
    for row in rows {
        let (driver, conns) = (row.client.driver, row.client.conns);
        if points
            .iter()
            .any(|p| p.driver == driver && p.conns == conns)
        {
            continue;
        }
        let same: Vec<&Row> = rows
            .iter()
            .filter(|r| r.client.driver == driver && r.client.conns == conns)
            .collect();
        let of = |f: &dyn Fn(&Row) -> f64| median(same.iter().map(|r| f(r)).collect());
        let late = |f: &dyn Fn(&Row) -> Option<f64>| {
            let values: Vec<f64> = same.iter().filter_map(|r| f(r)).collect();
            (!values.is_empty()).then(|| median(values))
        };
        points.push(Point {
            driver,
            conns,
            cpu_us_per_beat: of(&|r| r.client.cpu_us_per_beat()),
            sleeps_per_beat: of(&|r| r.client.sleeps_per_beat()),
            rss_kib_per_conn: of(&|r| r.client.rss_kib_per_conn()),
            p50_ms: late(&|r| r.lateness.sent.map(|p| p.p50)),
            p99_ms: late(&|r| r.lateness.sent.map(|p| p.p99)),
            arrived_p99_ms: late(&|r| r.lateness.arrived.map(|p| p.p99)),
            beat_ratio: same
                .iter()
                .map(|r| r.client.beat_ratio())
                .fold(f64::INFINITY, f64::min),
            trouble: same.iter().map(|r| r.client.trouble).sum(),
        });
    }
    points
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
