//! One client run, in a process of its own (`voice-ws-scale client`): N
//! connections through one driver to a sim started elsewhere, the
//! readings, and one `result <JSON>` line on standard output.
//!
//! Standard output carries `mark start` and `mark stop` around the steady
//! window (the harness passes them on to the sim, which measures
//! lateness within it), then the result. Progress goes to standard error.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::baseline::Baseline;
use crate::driver::Driver;
use crate::executor::Executor;
use crate::figures::ClientFigures;
use crate::measure::{self, Reading};
use crate::ours::{Ours, Reader};
use crate::progress::{self, Progress};
use crate::tally::Tally;

/// Connections open at this rate, or slower so that they spread over one
/// heartbeat interval at least: their heartbeats then fall evenly over the
/// interval, as those of connections opened at random times would.
const OPEN_RATE: usize = 4000;
/// At most this many handshakes are unfinished at a time.
const MAX_HANDSHAKES: usize = 500;
/// Every connection must be Ready within this.
const READY_DEADLINE: Duration = Duration::from_secs(120);
/// How often the control thread looks at the counters.
const TICK: Duration = Duration::from_millis(2);

/// What to run.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) driver: Driver,
    /// The sim's `ws://` URL.
    pub(crate) url: String,
    pub(crate) conns: usize,
    /// Time after the last Ready before memory is read, so that every
    /// connection has sent and written a heartbeat.
    pub(crate) settle: Duration,
    /// The window over which CPU per heartbeat is measured.
    pub(crate) steady: Duration,
    /// Executor threads.
    pub(crate) workers: usize,
    /// How our drivers' events are read.
    pub(crate) reader: Reader,
    /// Count the heap (costs every allocation an atomic add).
    pub(crate) heap: bool,
    /// Where this run stands in the whole, for the progress line.
    pub(crate) label: String,
}

/// The connections of one driver.
enum Fleet {
    Ours(Ours),
    Baseline(Baseline),
}

impl Fleet {
    fn open(&mut self, executor: &Executor, i: usize) {
        match self {
            Self::Ours(ours) => ours.open(executor, i),
            Self::Baseline(baseline) => baseline.open(executor, i),
        }
    }
}

/// Runs the plan; the figures go to `out` as `result <JSON>`.
pub(crate) fn run(plan: &Plan, out: &mut impl Write) -> Result<(), String> {
    crate::limit::check_room(plan.conns)?;
    if plan.heap {
        measure::count_heap();
    }
    let executor = match plan.driver {
        Driver::Smol => Executor::smol(plan.workers),
        Driver::Tokio | Driver::Baseline => Executor::tokio(plan.workers),
    }
    .map_err(|e| format!("starting the executor: {e}"))?;
    let tally = Arc::new(Tally::default());
    let mut fleet = match plan.driver {
        Driver::Baseline => Fleet::Baseline(Baseline::new(&plan.url, tally.clone())),
        driver => Fleet::Ours(Ours::new(
            driver,
            &plan.url,
            plan.reader,
            tally.clone(),
            &executor,
        )?),
    };
    let mut progress = Progress::new(plan.label.clone());
    let n = plan.conns;

    // Ramp up.
    let before = Reading::now()?;
    let started = Instant::now();
    let rate = n.clamp(1, OPEN_RATE) as f64;
    let mut opened = 0;
    while opened < n {
        let due = (started.elapsed().as_secs_f64() * rate) as usize + 1;
        let ready = tally.ready.load(Relaxed);
        let room = (ready + MAX_HANDSHAKES).saturating_sub(opened);
        let until = due.min(n).min(opened + room);
        while opened < until {
            fleet.open(&executor, opened);
            opened += 1;
        }
        let counts = tally.counts();
        progress.show(|| {
            format!(
                "ramping up: opened {opened}/{n}, up {}, ready {}, trouble {} ({})",
                counts.up,
                counts.ready,
                counts.trouble,
                progress::duration(started.elapsed())
            )
        });
        deadline(started)?;
        std::thread::sleep(TICK);
    }
    while tally.ready.load(Relaxed) < n {
        let counts = tally.counts();
        progress.show(|| {
            format!(
                "waiting for Ready: up {}/{n}, ready {}, trouble {} ({})",
                counts.up,
                counts.ready,
                counts.trouble,
                progress::duration(started.elapsed())
            )
        });
        deadline(started)?;
        std::thread::sleep(TICK);
    }
    let ramp = started.elapsed();

    // Settle, then read memory.
    wait(plan.settle, &mut progress, &tally, "settling");
    let settled = Reading::now()?;

    // The steady window.
    say(out, "mark start")?;
    let (acked_before, from, at) = (tally.counts().acked, Reading::now()?, Instant::now());
    wait(plan.steady, &mut progress, &tally, "measuring");
    let (acked_after, to, window) = (tally.counts().acked, Reading::now()?, at.elapsed());
    say(out, "mark stop")?;
    progress.clear();

    let count = |total: isize| plan.heap.then(|| total as f64 / n as f64);
    let figures = ClientFigures {
        driver: plan.driver,
        conns: n,
        ramp_secs: ramp.as_secs_f64(),
        rss_before_kib: before.rss_kib,
        rss_after_kib: settled.rss_kib,
        heap_bytes_per_conn: count(settled.heap_bytes - before.heap_bytes),
        heap_blocks_per_conn: count(settled.heap_blocks - before.heap_blocks),
        window_secs: window.as_secs_f64(),
        cpu_secs: (to.cpu.saturating_sub(from.cpu)).as_secs_f64(),
        beats: acked_after - acked_before,
        sleeps: to.sleeps.saturating_sub(from.sleeps),
        rss_growth_kib: to.rss_kib as i64 - settled.rss_kib as i64,
        trouble: tally.counts().trouble,
        trouble_kinds: tally.kinds(),
    };
    let json = serde_json::to_string(&figures).map_err(|e| e.to_string())?;
    say(out, &format!("result {json}"))?;
    // Closing 15,000 connections one by one would only take time: the
    // process exits right after this, and the kernel closes every socket.
    std::mem::forget(fleet);
    std::mem::forget(executor);
    Ok(())
}

/// Sleeps `span`, keeping the progress line up to date.
fn wait(span: Duration, progress: &mut Progress, tally: &Tally, what: &str) {
    let from = Instant::now();
    while from.elapsed() < span {
        let counts = tally.counts();
        let left = span.saturating_sub(from.elapsed());
        progress.show(|| {
            format!(
                "{what}: {} left, ready {}, acked {}, trouble {}",
                progress::duration(left),
                counts.ready,
                counts.acked,
                counts.trouble
            )
        });
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

fn deadline(started: Instant) -> Result<(), String> {
    if started.elapsed() > READY_DEADLINE {
        return Err(format!(
            "not every connection was ready within {READY_DEADLINE:?}"
        ));
    }
    Ok(())
}

fn say(out: &mut impl Write, line: &str) -> Result<(), String> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing to the harness: {e}"))
}
