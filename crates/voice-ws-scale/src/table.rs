//! The results as text: a line per run while the harness works, and the
//! markdown table of ratios to the baseline at the end.

use std::fmt::Write as _;
use std::time::Duration;

use crate::driver::Driver;
use crate::figures::{Point, Row};
use crate::ours::Reader;

/// A client's cost per connection counts as flat across sizes when its
/// largest figure is at most this times its smallest.
const FLAT: f64 = 1.2;

/// The goals at 10,000 connections (issue 12).
const GOAL_CONNS: usize = 10_000;
const GOAL_CPU_RATIO: f64 = 1.0;
const GOAL_RSS_KIB: f64 = 8.0;
const GOAL_P99_MS: f64 = 5.0;

/// What the machine is.
#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) model: String,
}

impl Machine {
    pub(crate) fn this() -> Self {
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".to_owned());
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            model,
        }
    }
}

/// How every run was set up.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) workers: usize,
    pub(crate) reader: Reader,
    pub(crate) steady: Duration,
    /// Runs of each client at each size; the table shows medians.
    pub(crate) rounds: usize,
    pub(crate) machine: Machine,
}

impl Setup {
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} CPUs ({}); 1 s heartbeats; {} executor thread(s) per client; our events read by {} \
             reader; CPU over a {} s window; sim and each client in processes of their own; \
             {} round(s), medians shown",
            self.machine.cpus,
            self.machine.model,
            self.workers,
            match self.reader {
                Reader::Shared => "one shared",
                Reader::PerConnection => "a per-connection",
            },
            self.steady.as_secs(),
            self.rounds,
        )
    }
}

/// One run, one line.
pub(crate) fn summary(row: &Row) -> String {
    let c = &row.client;
    let heap = match (c.heap_bytes_per_conn, c.heap_blocks_per_conn) {
        (Some(bytes), Some(blocks)) => format!(", heap {bytes:.0} B in {blocks:.1} blocks"),
        _ => String::new(),
    };
    format!(
        "{:>8} x{:<6} ready in {:.1} s; RSS {:.2} KiB/conn{heap}; CPU {:.2} us/heartbeat, \
         {:.3} sleeps/heartbeat ({} ACKs, {:.3} of expected); lateness p50 {} / p99 {} ms (arrived p99 {} ms); trouble {}{}",
        c.driver.name(),
        c.conns,
        c.ramp_secs,
        c.rss_kib_per_conn(),
        c.cpu_us_per_beat(),
        c.sleeps_per_beat(),
        c.beats,
        c.beat_ratio(),
        ms(row.lateness.sent.map(|p| p.p50)),
        ms(row.lateness.sent.map(|p| p.p99)),
        ms(row.lateness.arrived.map(|p| p.p99)),
        c.trouble,
        if c.trouble_kinds.is_empty() {
            String::new()
        } else {
            format!(" {:?}", c.trouble_kinds)
        },
    )
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn find(points: &[Point], driver: Driver, conns: usize) -> Option<&Point> {
    points
        .iter()
        .find(|p| p.driver == driver && p.conns == conns)
}

fn ratio(ours: f64, base: Option<f64>) -> String {
    match base {
        Some(base) if base > 0.0 => format!("{:.2}×", ours / base),
        _ => "-".to_owned(),
    }
}

/// The sizes and the drivers present, in order.
fn axes(points: &[Point]) -> (Vec<usize>, Vec<Driver>) {
    let mut sizes: Vec<usize> = points.iter().map(|p| p.conns).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let drivers = Driver::ALL
        .into_iter()
        .filter(|d| points.iter().any(|p| p.driver == *d))
        .collect();
    (sizes, drivers)
}

/// The ratio table, the scaling table and the goals, in markdown.
pub(crate) fn markdown(setup: &Setup, points: &[Point]) -> String {
    let (sizes, drivers) = axes(points);
    let mut md = String::new();
    let _ = writeln!(md, "{}\n", setup.describe());
    md.push_str(
        "| connections | client | CPU per heartbeat | × baseline | sleeps per heartbeat \
         | RSS per connection | × baseline | lateness p50 / p99 | p99 on arrival \
         | ACKs / expected | trouble |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &conns in &sizes {
        let base = find(points, Driver::Baseline, conns);
        for &driver in &drivers {
            let Some(p) = find(points, driver, conns) else {
                continue;
            };
            let (cpu, rss) = (p.cpu_us_per_beat, p.rss_kib_per_conn);
            let _ = writeln!(
                md,
                "| {conns} | {} | {cpu:.2} µs | {} | {:.3} | {rss:.2} KiB | {} | {} / {} ms | {} ms | {:.3} | {} |",
                driver.label(),
                ratio(cpu, base.map(|b| b.cpu_us_per_beat)),
                p.sleeps_per_beat,
                ratio(rss, base.map(|b| b.rss_kib_per_conn)),
                ms(p.p50_ms),
                ms(p.p99_ms),
                ms(p.arrived_p99_ms),
                p.beat_ratio,
                p.trouble,
            );
        }
    }
    if sizes.len() > 1 {
        scaling(&mut md, points, &sizes, &drivers);
    }
    if sizes.contains(&GOAL_CONNS) {
        goals(&mut md, points);
    }
    md
}

/// Cost per connection across sizes: each figure, then the spread.
fn scaling(md: &mut String, points: &[Point], sizes: &[usize], drivers: &[Driver]) {
    let _ = writeln!(
        md,
        "\nScaling, {} → {} connections (flat: the largest figure within {FLAT}× the smallest):\n",
        sizes[0],
        sizes[sizes.len() - 1]
    );
    md.push_str(
        "| client | CPU per heartbeat (µs) | spread | RSS per connection (KiB) | spread | flat |\n",
    );
    md.push_str("|---|---|---:|---|---:|---|\n");
    for &driver in drivers {
        let series: Vec<&Point> = sizes
            .iter()
            .filter_map(|&n| find(points, driver, n))
            .collect();
        let cpu: Vec<f64> = series.iter().map(|p| p.cpu_us_per_beat).collect();
        let rss: Vec<f64> = series.iter().map(|p| p.rss_kib_per_conn).collect();
        let (cpu_spread, rss_spread) = (spread(&cpu), spread(&rss));
        let list = |values: &[f64]| {
            values
                .iter()
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {cpu_spread:.2}× | {} | {rss_spread:.2}× | {} |",
            driver.label(),
            list(&cpu),
            list(&rss),
            if cpu_spread <= FLAT && rss_spread <= FLAT {
                "yes"
            } else {
                "no"
            },
        );
    }
}

fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    if min > 0.0 { max / min } else { f64::NAN }
}

/// Our drivers against issue 12's goals at 10,000 connections.
fn goals(md: &mut String, points: &[Point]) {
    let _ = writeln!(
        md,
        "\nGoals at {GOAL_CONNS} connections: CPU per heartbeat ≤ {GOAL_CPU_RATIO:.1}× the baseline's, \
         RSS per connection ≤ {GOAL_RSS_KIB} KiB, heartbeat lateness p99 ≤ {GOAL_P99_MS} ms:\n"
    );
    md.push_str("| client | CPU | RSS | lateness p99 |\n|---|---|---|---|\n");
    let base = find(points, Driver::Baseline, GOAL_CONNS).map(|b| b.cpu_us_per_beat);
    for driver in [Driver::Tokio, Driver::Smol] {
        let Some(p) = find(points, driver, GOAL_CONNS) else {
            continue;
        };
        let verdict = |met: bool| if met { "met" } else { "not met" };
        let cpu = p.cpu_us_per_beat;
        let cpu = match base {
            Some(base) => format!(
                "{} ({:.2}×)",
                verdict(cpu <= base * GOAL_CPU_RATIO),
                cpu / base
            ),
            None => "no baseline".to_owned(),
        };
        let rss = p.rss_kib_per_conn;
        let p99 = p.p99_ms;
        let _ = writeln!(
            md,
            "| {} | {cpu} | {} ({rss:.2} KiB) | {} ({} ms) |",
            driver.label(),
            verdict(rss <= GOAL_RSS_KIB),
            verdict(p99.is_some_and(|p| p <= GOAL_P99_MS)),
            ms(p99),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use Point as P;

    fn setup() -> Setup {
        Setup {
            workers: 1,
            reader: Reader::Shared,
            steady: Duration::from_secs(20),
            rounds: 1,
            machine: Machine {
                cpus: 2,
                model: "test CPU".into(),
            },
        }
    }

    #[test]
    fn each_figure_is_divided_by_the_baselines_at_the_same_size() {
        let points = [
            P::example(Driver::Tokio, 10_000, 8.0, 7.5),
            P::example(Driver::Baseline, 10_000, 10.0, 12.0),
        ];
        let md = markdown(&setup(), &points);
        assert!(
            md.contains("| 10000 | voice-ws-tokio | 8.00 µs | 0.80× | 0.250 | 7.50 KiB | 0.62× | 1.0 / 4.0 ms | 6.0 ms |"),
            "{md}"
        );
        assert!(
            md.contains("| voice-ws-tokio | met (0.80×) | met (7.50 KiB) | met (4.0 ms) |"),
            "{md}"
        );
    }

    #[test]
    fn a_cost_that_grows_with_the_connections_is_not_flat() {
        let points = [
            P::example(Driver::Smol, 1000, 10.0, 9.0),
            P::example(Driver::Smol, 15_000, 13.0, 9.5),
        ];
        let md = markdown(&setup(), &points);
        assert!(
            md.contains(
                "| voice-ws-async-std on smol | 10.00 → 13.00 | 1.30× | 9.00 → 9.50 | 1.06× | no |"
            ),
            "{md}"
        );
    }
}
