//! Scale harness for the tokio driver: memory per connection, CPU per
//! heartbeat and heartbeat lateness, at N connections to the local voice
//! gateway sim over loopback (1 s heartbeats). Linux only: it reads
//! /proc/self.
//!
//! ```text
//! cargo run --release -p voice-ws-tokio --example scale -- [OPTIONS]
//!     the client here, the sim in a child process (this binary's `sim`)
//! cargo run --release -p voice-ws-tokio --example scale -- client URL [OPTIONS]
//!     the client only, against a sim started elsewhere (no lateness)
//! cargo run --release -p voice-ws-tokio --example scale -- sim [--port P]
//!     the sim only, until its standard input closes (30 minutes at most)
//!
//! OPTIONS
//!     --conns N         connections (1000)
//!     --settle SECS     wait after the last Ready before reading memory (3)
//!     --steady SECS     the window for CPU and lateness (20)
//!     --workers N       the client's tokio worker threads (1)
//!     --reader shared|task
//!                       one task reads every connection's events (shared,
//!                       the driver's cost alone), or a task per connection
//! ```
//!
//! - RSS per connection: VmRSS after all are Ready and `settle` has passed,
//!   minus VmRSS before the first connect, divided by N. The heap figures
//!   come from a counting allocator over the same span.
//! - CPU per heartbeat: the process's utime + stime over the window,
//!   divided by the heartbeats acknowledged in it (`Handle::stats`).
//! - Lateness: from the times the sim received each heartbeat (see
//!   `lateness.rs`); the sim runs in its own process, so neither its memory
//!   nor its CPU time counts against the client, and 10,000 connections
//!   need 10,000 file descriptors on each side.
//!
//! Bounded: connecting gives up after 120 s, the window is fixed, and the
//! sim exits when the client closes its standard input (or after 30
//! minutes). Loopback only: the sim binds 127.0.0.1.

mod client;
mod lateness;
mod measure;
mod sim;

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use client::{Plan, Reader};

#[global_allocator]
static ALLOCATOR: measure::Counting = measure::Counting;

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scale: {error}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
enum Mode {
    /// Client here, sim in a child process.
    Both,
    Client(String),
    Sim,
}

#[derive(Debug)]
struct Options {
    mode: Mode,
    conns: usize,
    settle: Duration,
    steady: Duration,
    workers: usize,
    reader: Reader,
    port: u16,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        mode: Mode::Both,
        conns: 1000,
        settle: Duration::from_secs(3),
        steady: Duration::from_secs(20),
        workers: 1,
        reader: Reader::Shared,
        port: 0,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "client" => options.mode = Mode::Client(value()?),
            "sim" => options.mode = Mode::Sim,
            "--conns" => options.conns = number::<usize>(&value()?)?.max(1),
            "--settle" => options.settle = Duration::from_secs(number::<u64>(&value()?)?),
            "--steady" => options.steady = Duration::from_secs(number::<u64>(&value()?)?),
            "--workers" => options.workers = number::<usize>(&value()?)?.max(1),
            "--port" => options.port = number(&value()?)?,
            "--reader" => {
                options.reader = match value()?.as_str() {
                    "shared" => Reader::Shared,
                    "task" => Reader::PerConnection,
                    other => return Err(format!("--reader shared|task, not {other:?}")),
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (see the example's docs)"
                ));
            }
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text:?}"))
}

fn run(options: Options) -> Result<(), String> {
    match &options.mode {
        Mode::Sim => sim::serve(options.port).map_err(|e| e.to_string()),
        Mode::Client(url) => client(&options, url.clone(), &mut |_| {}),
        Mode::Both => {
            let mut sim = SimChild::spawn().map_err(|e| format!("starting the sim: {e}"))?;
            let url = sim.url.clone();
            client(&options, url, &mut |word| sim.say(word))?;
            for line in sim.report().map_err(|e| format!("the sim's report: {e}"))? {
                println!("{line}");
            }
            Ok(())
        }
    }
}

fn client(options: &Options, url: String, mark: &mut dyn FnMut(&str)) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let plan = Plan {
        url,
        conns: options.conns,
        settle: options.settle,
        steady: options.steady,
        reader: options.reader,
    };
    runtime.block_on(client::run(plan, mark))
}

/// The sim, run by this same binary as a child process.
struct SimChild {
    process: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    url: String,
}

impl SimChild {
    fn spawn() -> io::Result<Self> {
        let mut process = Command::new(std::env::current_exe()?)
            .arg("sim")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (stdin, stdout) = (process.stdin.take(), process.stdout.take());
        let mut child = Self {
            process,
            stdin,
            stdout: BufReader::new(stdout.ok_or(io::ErrorKind::BrokenPipe)?),
            url: String::new(),
        };
        let line = child.line()?;
        child.url = line
            .strip_prefix("url ")
            .ok_or_else(|| io::Error::other(format!("expected its URL, got {line:?}")))?
            .to_owned();
        Ok(child)
    }

    fn say(&mut self, word: &str) {
        if let Some(stdin) = &mut self.stdin {
            let _ = writeln!(stdin, "{word}").and_then(|()| stdin.flush());
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(line.trim_end().to_owned())
    }

    /// The lines of its report on the window.
    fn report(&mut self) -> io::Result<Vec<String>> {
        self.say("report");
        let mut lines = Vec::new();
        loop {
            match self.line()? {
                end if end == "end" => return Ok(lines),
                line => lines.push(line),
            }
        }
    }
}

impl Drop for SimChild {
    fn drop(&mut self) {
        // Closing its standard input ends it; kill it if it lingers.
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
