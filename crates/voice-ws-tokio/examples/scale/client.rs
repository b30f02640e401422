//! The client side: N connections through the driver, their events read
//! the way an application would, and the measurements.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::SelectAll;
use voice_ws_tokio::{Credentials, DriverConfig, Endpoint, Event, Events, Handle};

use crate::measure::Reading;

/// Connections open at this rate, or slower so that they spread over one
/// heartbeat interval at least: their heartbeats then fall evenly over the
/// interval, as those of connections opened at random times would.
const OPEN_RATE: usize = 4000;
/// At most this many handshakes are unfinished at a time.
const MAX_HANDSHAKES: usize = 500;
/// Every connection must be Ready within this.
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// How the application reads its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// One task reads every connection's events (futures' `SelectAll`):
    /// the figures are then the driver's alone.
    Shared,
    /// A task per connection, as the simplest application would.
    PerConnection,
}

/// What to run.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The gateway's `ws://` URL.
    pub(crate) url: String,
    /// How many connections.
    pub(crate) conns: usize,
    /// Time after the last Ready before memory is read, so that every
    /// connection has sent and written a heartbeat.
    pub(crate) settle: Duration,
    /// The window over which CPU per heartbeat is measured.
    pub(crate) steady: Duration,
    /// How events are read.
    pub(crate) reader: Reader,
}

/// What the events said.
#[derive(Debug, Default)]
struct Tally {
    ready: AtomicUsize,
    /// Anything but Connected, Hello, Ready and heartbeat ACKs.
    trouble: AtomicUsize,
}

impl Tally {
    fn count(&self, event: &Event) {
        match event {
            Event::Ready(_) => drop(self.ready.fetch_add(1, Relaxed)),
            Event::Connected | Event::Hello { .. } | Event::HeartbeatAck { .. } => {}
            _ => drop(self.trouble.fetch_add(1, Relaxed)),
        }
    }
}

/// Runs the plan, printing its figures. `mark` is told `start` and `stop`
/// around the steady window (the sim measures lateness within it).
pub(crate) async fn run(plan: Plan, mark: &mut dyn FnMut(&str)) -> Result<(), String> {
    let endpoint = Endpoint::parse(&plan.url, true).map_err(|e| e.to_string())?;
    let tally = Arc::new(Tally::default());
    let mut read = reader(plan.reader, tally.clone());
    let mut handles: Vec<Handle> = Vec::with_capacity(plan.conns);

    let before = Reading::now();
    let started = Instant::now();
    let rate = plan.conns.clamp(1, OPEN_RATE) as f64;
    for i in 0..plan.conns {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        wait_until(started, || {
            i.saturating_sub(tally.ready.load(Relaxed)) < MAX_HANDSHAKES
        })
        .await?;
        let credentials = Credentials {
            server_id: "41771983423143937".into(),
            channel_id: "127121515262115840".into(),
            user_id: "104694319306248192".into(),
            session_id: format!("scale-{i}"),
            token: "scale-token".into(),
            endpoint: endpoint.clone(),
            max_dave_protocol_version: 0,
        };
        let (handle, events) = voice_ws_tokio::spawn(DriverConfig::default(), credentials);
        read(events);
        handles.push(handle);
    }
    wait_until(started, || tally.ready.load(Relaxed) == plan.conns).await?;
    println!(
        "{} connections ready in {:.1} s (events read by {:?})",
        plan.conns,
        started.elapsed().as_secs_f64(),
        plan.reader
    );

    tokio::time::sleep(plan.settle).await;
    let settled = Reading::now();
    let n = plan.conns as f64;
    println!(
        "per connection: RSS {:.2} KiB, heap {:.0} B in {:.1} blocks",
        (settled.rss_kib as f64 - before.rss_kib as f64) / n,
        (settled.heap_bytes - before.heap_bytes) as f64 / n,
        (settled.heap_blocks - before.heap_blocks) as f64 / n,
    );

    mark("start");
    let (acked_before, from, at) = (acked(&handles), Reading::now(), Instant::now());
    tokio::time::sleep(plan.steady).await;
    let (beats, to, window) = (acked(&handles) - acked_before, Reading::now(), at.elapsed());
    mark("stop");
    let cpu = to.cpu - from.cpu;
    println!(
        "CPU per heartbeat: {:.1} us ({beats} heartbeats acked in {:.1} s, {:.0} expected; CPU {:.2} s)",
        cpu.as_secs_f64() * 1e6 / beats.max(1) as f64,
        window.as_secs_f64(),
        n * window.as_secs_f64(),
        cpu.as_secs_f64(),
    );
    println!(
        "over the window: RSS {:+.3} KiB, heap {:+.1} B per connection; events other than the handshake's and ACKs: {}",
        (to.rss_kib as f64 - settled.rss_kib as f64) / n,
        (to.heap_bytes - settled.heap_bytes) as f64 / n,
        tally.trouble.load(Relaxed),
    );
    Ok(())
}

/// Hands each connection's events to their reader.
fn reader(kind: Reader, tally: Arc<Tally>) -> Box<dyn FnMut(Events)> {
    match kind {
        Reader::PerConnection => Box::new(move |mut events| {
            let tally = tally.clone();
            tokio::spawn(async move {
                while let Some(event) = events.next().await {
                    tally.count(&event);
                }
            });
        }),
        Reader::Shared => {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                let mut all = SelectAll::<Events>::new();
                loop {
                    tokio::select! {
                        Some(events) = rx.recv() => all.push(events),
                        Some(event) = all.next() => tally.count(&event),
                        else => break,
                    }
                }
            });
            Box::new(move |events| drop(tx.send(events)))
        }
    }
}

fn acked(handles: &[Handle]) -> u64 {
    handles.iter().map(|h| h.stats().heartbeats_acked).sum()
}

/// Polls `done` every 10 ms, failing past [`READY_DEADLINE`] from `started`.
async fn wait_until(started: Instant, done: impl Fn() -> bool) -> Result<(), String> {
    while !done() {
        if started.elapsed() > READY_DEADLINE {
            return Err(format!(
                "not every connection was ready within {READY_DEADLINE:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}
