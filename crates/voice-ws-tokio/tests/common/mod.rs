//! Helpers shared by the driver tests: credentials for a sim, a config with
//! short timeouts, and waiting for events with a generous deadline.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use voice_ws_sim::Sim;
use voice_ws_tokio::{Credentials, DriverConfig, Endpoint, Event, Events, SessionConfig};

/// The token every test uses; it must never show up in a log.
pub const TOKEN: &str = "TOKEN-never-log-me-3f9a1c";
pub const SERVER_ID: &str = "41771983423143937";
/// Long enough for any event on a loaded 2-core machine.
pub const WAIT: Duration = Duration::from_secs(5);

pub fn credentials(sim: &Sim) -> Credentials {
    Credentials {
        server_id: SERVER_ID.into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "session-1".into(),
        token: TOKEN.into(),
        endpoint: Endpoint::parse(&sim.url(), true).unwrap(),
        max_dave_protocol_version: 1,
    }
}

/// Handshake timeouts of a few seconds, backoff in tens of milliseconds.
pub fn config() -> DriverConfig {
    let mut session = SessionConfig::default();
    session.connect_timeout = Duration::from_secs(3);
    session.hello_timeout = Duration::from_secs(3);
    session.handshake_timeout = Duration::from_secs(3);
    session.backoff_base = Duration::from_millis(20);
    session.backoff_cap = Duration::from_millis(100);
    session.transport.close_timeout = Duration::from_secs(2);
    DriverConfig::default().with_session(session)
}

/// The next event, failing the test after [`WAIT`].
pub async fn next(events: &mut Events) -> Option<Event> {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("no event within the deadline")
}

/// Events up to and including the first one matching `done`.
pub async fn until(events: &mut Events, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        match next(events).await {
            Some(event) => {
                let stop = done(&event);
                seen.push(event);
                if stop {
                    return seen;
                }
            }
            None => panic!("events ended before the expected one; saw {seen:#?}"),
        }
    }
}

/// Waits for the stream to end (the task ended), returning what came before.
pub async fn until_end(events: &mut Events) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Some(event) = next(events).await {
        seen.push(event);
    }
    seen
}

/// Polls `check` every 10 ms until it holds, failing after [`WAIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn is_ready(event: &Event) -> bool {
    matches!(event, Event::Ready(_))
}

pub fn is_resumed(event: &Event) -> bool {
    matches!(event, Event::Resumed)
}
