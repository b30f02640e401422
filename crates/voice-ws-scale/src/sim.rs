//! The server side, run as a child process (`voice-ws-scale sim`), so that
//! neither its memory nor its CPU counts against the client, and each
//! side has its own file descriptor limit. One sim serves every client of
//! a size in turn: the drivers compared face the same server process.
//!
//! It prints `url <URL>` and then obeys its standard input, one word a
//! line: `start` and `stop` mark a client's steady window, `report`
//! prints `lateness <JSON>` (heartbeat lateness within the last window)
//! and then `end`. It exits when its standard input closes, so it never
//! outlives the harness, and after [`MAX_LIFE`] in any case.

use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};

use serde_json::Value;
use voice_ws_sim::{RecordedFrame, Sim, SimConfig};

use crate::lateness::{Beat, Figures, Lateness};

/// The sim's heartbeat interval (Discord's is ~13.75 s; 1 s stresses more).
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// However it was started, the sim stops after this long.
const MAX_LIFE: Duration = Duration::from_secs(60 * 60);

/// Serves on 127.0.0.1:`port` (0: any) until standard input closes.
pub(crate) fn serve(port: u16) -> Result<(), String> {
    std::thread::spawn(|| {
        std::thread::sleep(MAX_LIFE);
        eprintln!("sim: stopping after {MAX_LIFE:?}");
        std::process::exit(2);
    });
    crate::limit::raise_open_files();
    serve_until_closed(port).map_err(|e| format!("sim: {e}"))
}

fn serve_until_closed(port: u16) -> io::Result<()> {
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
            "start" => (from, to) = (epoch.elapsed(), Duration::MAX),
            "stop" => to = epoch.elapsed(),
            "report" => {
                let figures = report(&sim, from..to);
                let json = serde_json::to_string(&figures).map_err(io::Error::other)?;
                writeln!(out, "lateness {json}")?;
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
fn report(sim: &Sim, window: std::ops::Range<Duration>) -> Figures {
    let mut lateness = Lateness::default();
    for connection in &sim.connections() {
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
    lateness.figures()
}

/// The nonce of a heartbeat (`{"op":3,"d":{"t":NONCE,...}}`, its keys in
/// any order); `None` for anything else.
fn heartbeat_nonce(text: &str) -> Option<u64> {
    let value: Value = serde_json::from_str(text).ok()?;
    if value.get("op")?.as_u64()? != 3 {
        return None;
    }
    value.get("d")?.get("t")?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_nonce_is_read_whatever_the_key_order() {
        assert_eq!(
            heartbeat_nonce(r#"{"op":3,"d":{"t":1501184119561,"seq_ack":10}}"#),
            Some(1501184119561)
        );
        assert_eq!(
            heartbeat_nonce(r#"{"d":{"seq_ack":-1,"t":42},"op":3}"#),
            Some(42)
        );
        assert_eq!(heartbeat_nonce(r#"{"op":5,"d":{"t":42}}"#), None);
        assert_eq!(heartbeat_nonce("not json"), None);
    }
}
