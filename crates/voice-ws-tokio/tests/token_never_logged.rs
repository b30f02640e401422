//! The voice token must never reach a log line. A TRACE subscriber captures
//! everything this crate (and the sim) logs over a whole session —
//! connect, Identify, Ready, heartbeats, a malformed frame, a 4015 drop,
//! Resume, Resumed, a graceful close — and the token is nowhere in it,
//! while the server_id and the per-event fields are.
//!
//! Its own test binary: it installs the process-wide subscriber.
#![allow(clippy::unwrap_used)]

mod common;

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use common::{SERVER_ID, TOKEN, config, credentials, is_ready, is_resumed, until, until_end};
use voice_ws_sim::{Action, ConnectionPlan, Sim, SimConfig, Trigger};
use voice_ws_tokio::spawn;

/// Every formatted line goes here.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        lines.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[tokio::test]
async fn the_token_never_appears_in_any_log_line() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        // Plain text whatever features the workspace unifies (the CLI turns
        // on `ansi`, whose escape codes would split `code=...`).
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let first = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::SendMalformed)
        .then(Trigger::AfterHeartbeats(2), Action::Close(4015));
    let sim = SimConfig::default()
        .with_heartbeat_interval_ms(100.0)
        .with_plan(first);
    let sim = Sim::start(sim).await.unwrap();
    let (handle, mut events) = spawn(config(), credentials(&sim));
    until(&mut events, is_ready).await;
    until(&mut events, is_resumed).await;
    until(&mut events, |e| {
        matches!(e, voice_ws_tokio::Event::HeartbeatAck { .. })
    })
    .await;
    handle.close().await;
    until_end(&mut events).await;

    // The token really crossed the wire, in Identify and in Resume.
    let conns = sim.connections();
    assert_eq!(conns[0].received_json()[0]["d"]["token"], TOKEN);
    assert_eq!(conns[1].received_json()[0]["d"]["token"], TOKEN);

    let logs = capture.text();
    let hex: String = TOKEN.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!logs.contains(TOKEN), "token in the logs:\n{logs}");
    assert!(!logs.contains(&hex), "hex-encoded token in the logs");
    for expected in [
        SERVER_ID,
        "voice_ws",
        "connecting",
        "ready",
        "rtt_ms",
        "invalid frame",
        "code=Some(4015)",
        "resumed",
        "stopped",
    ] {
        assert!(
            logs.contains(expected),
            "{expected:?} missing from:\n{logs}"
        );
    }
}
