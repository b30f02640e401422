//! The server side, meant to run as a child process (`scale sim`), so that
//! neither its memory nor its CPU counts against the client, and each
//! side has its own file descriptor limit.
//!
//! It prints `url <URL>` and then obeys its standard input, one word a
//! line: `start` and `stop` mark the steady window, `report` prints the
//! heartbeat lateness within it and then `end`. It exits when its standard
//! input closes, so it never outlives the client, and after [`MAX_LIFE`]
//! in any case.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use voice_ws_sim::{RecordedFrame, Sim, SimConfig};

use crate::lateness::{Beat, Lateness};

/// The sim's heartbeat interval (Discord's is ~13.75 s; 1 s stresses more).
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// However it was started, the sim stops after this long.
const MAX_LIFE: Duration = Duration::from_secs(30 * 60);

/// Serves on 127.0.0.1:`port` (0: any) until standard input closes.
pub(crate) fn serve(port: u16) -> io::Result<()> {
    std::thread::spawn(|| {
        std::thread::sleep(MAX_LIFE);
        eprintln!("sim: stopping after {MAX_LIFE:?}");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // Frames are recorded with their arrival time, which is all we need.
    let config = SimConfig::default()
        .with_port(port)
        .with_heartbeat_interval_ms(INTERVAL.as_secs_f64() * 1e3);
    // The sim's clock starts within microseconds of this one.
    let epoch = Instant::now();
    let sim = runtime.block_on(Sim::start(config))?;
    let mut out = io::stdout().lock();
    writeln!(out, "url {}", sim.url())?;
    out.flush()?;

    let (mut from, mut to) = (Duration::ZERO, Duration::MAX);
    for line in io::stdin().lock().lines() {
        match line?.trim() {
            "start" => from = epoch.elapsed(),
            "stop" => to = epoch.elapsed(),
            "report" => {
                for line in report(&sim, from..to) {
                    writeln!(out, "{line}")?;
                }
                writeln!(out, "end")?;
                out.flush()?;
            }
            other => eprintln!("sim: unknown command {other:?}"),
        }
    }
    drop(sim);
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// Lateness of the heartbeats that arrived within `window`.
fn report(sim: &Sim, window: std::ops::Range<Duration>) -> Vec<String> {
    let connections = sim.connections();
    let mut lateness = Lateness::default();
    for connection in &connections {
        let beats: Vec<Beat> = connection
            .received
            .iter()
            .filter(|r| window.contains(&r.at))
            .filter_map(|r| {
                match &r.frame {
                    RecordedFrame::Text(text) => heartbeat_nonce(text),
                    _ => None,
                }
                .map(|nonce_ms| Beat { at: r.at, nonce_ms })
            })
            .collect();
        lateness.add(&beats, INTERVAL);
    }
    let mut lines = vec![format!(
        "sim: {} connections accepted, {} heartbeats in the window",
        connections.len(),
        lateness.beats()
    )];
    lines.extend(lateness.summary());
    lines
}

/// The nonce of a heartbeat, `{"op":3,"d":{"t":NONCE,...}}` as the core
/// writes it; `None` for anything else.
fn heartbeat_nonce(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(r#"{"op":3,"d":{"t":"#)?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}
