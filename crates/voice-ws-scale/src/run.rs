//! The whole comparison in one invocation: for each size, one sim process,
//! and each client against it in turn, in processes of their own; then
//! the table and the chart.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::child::{SimChild, run_client};
use crate::driver::Driver;
use crate::figures::Row;
use crate::ours::Reader;
use crate::progress::{self, Progress};
use crate::{chart, table};

/// After a client's process exits, the sim has its sockets to tear down:
/// the next client starts this much later.
const PAUSE: Duration = Duration::from_secs(3);

/// What to compare.
#[derive(Debug)]
pub(crate) struct Campaign {
    /// Connection counts, in order.
    pub(crate) sizes: Vec<usize>,
    pub(crate) drivers: Vec<Driver>,
    pub(crate) settle: Duration,
    pub(crate) steady: Duration,
    pub(crate) workers: usize,
    pub(crate) reader: Reader,
    pub(crate) heap: bool,
    /// Times each client is measured at each size (the table shows medians).
    pub(crate) rounds: usize,
    /// Where the table, the chart and the raw figures go.
    pub(crate) out: PathBuf,
}

/// Runs every client at every size; prints the table, writes the files.
pub(crate) fn run(campaign: &Campaign) -> Result<(), String> {
    let setup = table::Setup {
        workers: campaign.workers,
        reader: campaign.reader,
        steady: campaign.steady,
        rounds: campaign.rounds,
        machine: table::Machine::this(),
    };
    println!("{}", setup.describe());
    let clients = campaign.drivers.len();
    let total = campaign.sizes.len() * clients * campaign.rounds;
    let started = Instant::now();
    let mut rows = Vec::with_capacity(total);
    let mut done = 0;
    for (k, &conns) in campaign.sizes.iter().enumerate() {
        let mut sim = SimChild::spawn()?;
        // Each size and round starts with a different client, so that none
        // is always the one measured first against a fresh sim.
        for j in 0..clients * campaign.rounds {
            let driver = campaign.drivers[(j + k + j / clients) % clients];
            let label = format!(
                "[{}/{total} {driver} x{conns}{}]",
                done + 1,
                remaining(campaign, started, done, total)
            );
            let args = client_args(campaign, driver, &sim.url, conns, label);
            // A client that fails (say, not all Ready in time) is reported
            // and left out; the others still run.
            match run_client(&args, &mut sim) {
                Ok(client) => {
                    let lateness = sim.report()?;
                    let row = Row { client, lateness };
                    println!("{}", table::summary(&row));
                    rows.push(row);
                }
                Err(error) => println!("{driver:>8} x{conns:<6} failed: {error}"),
            }
            done += 1;
            pause(PAUSE, done < total);
        }
    }
    if rows.is_empty() {
        return Err("no client run succeeded".into());
    }
    let points = crate::figures::points(&rows);
    let markdown = table::markdown(&setup, &points);
    println!("\n{markdown}");
    write(campaign, &rows, &points, &markdown)
}

/// ` ~4 min 10 s left` from the runs so far (nothing before the first).
fn remaining(campaign: &Campaign, started: Instant, done: usize, total: usize) -> String {
    if done == 0 {
        let guess = campaign.settle + campaign.steady + Duration::from_secs(10);
        return format!(", ~{} left", progress::duration(guess * total as u32));
    }
    let each = started.elapsed() / done as u32;
    format!(
        ", ~{} left",
        progress::duration(each * (total - done) as u32)
    )
}

fn client_args(
    campaign: &Campaign,
    driver: Driver,
    url: &str,
    conns: usize,
    label: String,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "client",
        url,
        "--driver",
        driver.name(),
        "--conns",
        &conns.to_string(),
        "--settle",
        &campaign.settle.as_secs().to_string(),
        "--steady",
        &campaign.steady.as_secs().to_string(),
        "--workers",
        &campaign.workers.to_string(),
        "--reader",
        campaign.reader.name(),
        "--label",
        &label,
    ]
    .map(String::from)
    .into();
    if campaign.heap {
        args.push("--heap".into());
    }
    args
}

/// Waits between runs, saying so on a terminal.
fn pause(span: Duration, more: bool) {
    if more {
        let mut progress = Progress::new("");
        progress.show(|| format!("letting the sim settle for {}", progress::duration(span)));
        std::thread::sleep(span);
    }
}

fn write(
    campaign: &Campaign,
    rows: &[Row],
    points: &[crate::figures::Point],
    markdown: &str,
) -> Result<(), String> {
    let out = &campaign.out;
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(rows).map_err(|e| e.to_string())?;
    let files = [
        ("scale.md", markdown.to_owned()),
        ("scale.json", json),
        ("scale.svg", chart::svg(points)?),
    ];
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
