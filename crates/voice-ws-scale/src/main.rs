//! The scale harness: our two drivers and a bare tokio-tungstenite client,
//! at thousands of connections to one local voice gateway sim over
//! loopback (1 s heartbeats), compared in one run. Linux only: it reads
//! /proc/self.
//!
//! Usage: `--help` prints [`USAGE`], the commands and their options.
//!
//! What each figure is:
//! - RSS per connection: the client's VmRSS after all are Ready and
//!   `settle` has passed, minus VmRSS before the first connect, over N.
//! - CPU per heartbeat: the client process's user + system time
//!   (`getrusage`) over the window, over the heartbeat ACKs its
//!   application saw in it.
//! - Lateness: from the heartbeats the sim received in the window (see
//!   `lateness.rs`): p50 and p99 of how late each was sent, by its nonce
//!   (the client's clock), and p99 of how late it arrived.
//!
//! Progress goes to standard error, only when it is a terminal. Bounded:
//! connecting gives up after 120 s, the window is fixed, and the sim exits
//! when the harness closes its standard input (or after an hour).
//! Loopback only: the sim binds 127.0.0.1.

/// What `--help` prints: the commands and their options.
const USAGE: &str = "\
cargo run --release -p voice-ws-scale -- [OPTIONS]
    every client at every size; the sim and each client run in
    processes of their own (this binary's `sim` and `client`)
cargo run --release -p voice-ws-scale -- client URL --driver D [OPTIONS]
    one client against a sim started elsewhere; prints its figures
cargo run --release -p voice-ws-scale -- sim [--port P]
    the sim only, until its standard input closes

OPTIONS
    --conns N,N,...   connection counts (1000,5000,10000,15000)
    --drivers D,...   tokio, smol, baseline (all three)
    --settle SECS     wait after the last Ready before reading memory (3)
    --steady SECS     the window for CPU and lateness (20)
    --workers N       each client's executor threads (1)
    --reader shared|task
                      our drivers' events read by one task for all
                      connections (shared), or by a task each
    --rounds N        measure each client N times at each size; the
                      table and chart show medians (1)
    --heap            also count the live heap (costs every allocation
                      an atomic add, unevenly across clients)
    --out DIR         where scale.md, scale.svg and scale.json go
                      (target/scale)
";

mod baseline;
mod chart;
mod child;
mod client;
mod driver;
mod executor;
mod figures;
mod lateness;
mod limit;
mod measure;
mod ours;
mod progress;
mod run;
mod sim;
mod table;
mod tally;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use driver::Driver;
use ours::Reader;

#[global_allocator]
static ALLOCATOR: measure::Counting = measure::Counting;

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)).and_then(dispatch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("voice-ws-scale: {error}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
enum Mode {
    /// The whole comparison.
    Run,
    /// One client against the sim at this URL.
    Client(String),
    Sim,
    /// Print [`USAGE`] and exit.
    Help,
}

#[derive(Debug)]
struct Options {
    mode: Mode,
    sizes: Vec<usize>,
    drivers: Vec<Driver>,
    settle: Duration,
    steady: Duration,
    workers: usize,
    reader: Reader,
    heap: bool,
    rounds: usize,
    out: PathBuf,
    port: u16,
    label: String,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        mode: Mode::Run,
        sizes: vec![1000, 5000, 10_000, 15_000],
        drivers: Driver::ALL.to_vec(),
        settle: Duration::from_secs(3),
        steady: Duration::from_secs(20),
        workers: 1,
        reader: Reader::Shared,
        heap: false,
        rounds: 1,
        out: PathBuf::from("target/scale"),
        port: 0,
        label: String::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "client" => options.mode = Mode::Client(value()?),
            "sim" => options.mode = Mode::Sim,
            "--conns" => options.sizes = list(&value()?, |n| Ok(number::<usize>(n)?.max(1)))?,
            "--drivers" => options.drivers = list(&value()?, Driver::parse)?,
            // One client's driver (client mode).
            "--driver" => options.drivers = vec![Driver::parse(&value()?)?],
            "--settle" => options.settle = Duration::from_secs(number(&value()?)?),
            "--steady" => options.steady = Duration::from_secs(number::<u64>(&value()?)?.max(1)),
            "--workers" => options.workers = number::<usize>(&value()?)?.max(1),
            "--reader" => options.reader = Reader::parse(&value()?)?,
            "--heap" => options.heap = true,
            "--rounds" => options.rounds = number::<usize>(&value()?)?.max(1),
            "--out" => options.out = PathBuf::from(value()?),
            "--port" => options.port = number(&value()?)?,
            "--label" => options.label = value()?,
            "--help" | "-h" => options.mode = Mode::Help,
            other => {
                return Err(format!("unknown argument {other:?} (see --help)"));
            }
        }
    }
    Ok(options)
}

fn list<T>(text: &str, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    let items = text
        .split(',')
        .map(|s| item(s.trim()))
        .collect::<Result<Vec<T>, String>>()?;
    if items.is_empty() {
        return Err(format!("an empty list: {text:?}"));
    }
    Ok(items)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    let plain = text.replace('_', "");
    plain.parse().map_err(|_| format!("not a number: {text:?}"))
}

fn dispatch(options: Options) -> Result<(), String> {
    match options.mode {
        Mode::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Mode::Sim => sim::serve(options.port),
        Mode::Client(url) => {
            let [driver] = options.drivers[..] else {
                return Err("a client runs one --driver".into());
            };
            let [conns] = options.sizes[..] else {
                return Err("a client runs one --conns".into());
            };
            let plan = client::Plan {
                driver,
                url,
                conns,
                settle: options.settle,
                steady: options.steady,
                workers: options.workers,
                reader: options.reader,
                heap: options.heap,
                label: options.label,
            };
            client::run(&plan, &mut std::io::stdout().lock())
        }
        Mode::Run => run::run(&run::Campaign {
            sizes: options.sizes,
            drivers: options.drivers,
            settle: options.settle,
            steady: options.steady,
            workers: options.workers,
            reader: options.reader,
            heap: options.heap,
            rounds: options.rounds,
            out: options.out,
        }),
    }
}
