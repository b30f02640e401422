//! Waiting for events and for the gateway's records, with deadlines that
//! only a broken driver reaches. Failures show everything seen so far.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, timeout, timeout_at};
use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::Sim;

use crate::driver::EventStream;
use crate::events::{is_ready, is_resumed, speaking_ssrc};
use crate::wire::received_heartbeats;

/// The default deadline: long enough for any step on a loaded 2-core machine.
pub const WAIT: Duration = Duration::from_secs(5);

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(10);

/// The next event, or `None` when the stream has ended.
///
/// # Panics
/// When nothing arrives within `within`.
pub async fn next_event(events: &mut EventStream, within: Duration) -> Option<Event> {
    match timeout(within, events.next()).await {
        Ok(event) => event,
        Err(_) => panic!("no event within {within:?}"),
    }
}

/// Events up to and including the first one matching `done`.
///
/// # Panics
/// When the stream ends first, or none matches within `within`.
pub async fn collect_until(
    events: &mut EventStream,
    mut done: impl FnMut(&Event) -> bool,
    within: Duration,
) -> Vec<Event> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match timeout_at(deadline, events.next()).await {
            Ok(Some(event)) => {
                let found = done(&event);
                seen.push(event);
                if found {
                    return seen;
                }
            }
            Ok(None) => panic!("the event stream ended before the expected event; saw {seen:#?}"),
            Err(_) => panic!("no expected event within {within:?}; saw {seen:#?}"),
        }
    }
}

/// Events up to and including Ready, then up to and including the first one
/// after it matching `done`.
///
/// # Panics
/// Like [`collect_until`], for each of the two.
pub async fn collect_past_ready(
    events: &mut EventStream,
    done: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = collect_until(events, is_ready, WAIT).await;
    seen.extend(collect_until(events, done, WAIT).await);
    seen
}

/// Reads events until `n` Speaking messages came; returns their ssrcs and
/// every event read.
///
/// # Panics
/// When the stream ends first, or waits more than [`WAIT`] for an event.
pub async fn collect_speaking(events: &mut EventStream, n: usize) -> (Vec<u32>, Vec<Event>) {
    let mut ssrcs = Vec::new();
    let mut seen = Vec::new();
    while ssrcs.len() < n {
        let event = timeout(WAIT, events.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} Speaking: {seen:#?}", ssrcs.len()))
            .unwrap_or_else(|| panic!("events ended: {seen:#?}"));
        ssrcs.extend(speaking_ssrc(&event));
        seen.push(event);
    }
    (ssrcs, seen)
}

/// The first event matching `wanted`, skipping the others.
///
/// # Panics
/// Like [`collect_until`].
pub async fn next_event_matching(
    events: &mut EventStream,
    wanted: impl FnMut(&Event) -> bool,
    within: Duration,
) -> Event {
    collect_until(events, wanted, within)
        .await
        .pop()
        .expect("collect_until returns at least the matching event")
}

/// Every event until the stream ends.
///
/// # Panics
/// When the stream has not ended within `within`.
pub async fn collect_to_end(events: &mut EventStream, within: Duration) -> Vec<Event> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match timeout_at(deadline, events.next()).await {
            Ok(Some(event)) => seen.push(event),
            Ok(None) => return seen,
            Err(_) => panic!("the event stream did not end within {within:?}; saw {seen:#?}"),
        }
    }
}

/// Waits `quiet` and checks that no event arrived and the stream stayed open.
///
/// # Panics
/// On any event, or when the stream ends.
pub async fn assert_quiet(events: &mut EventStream, quiet: Duration) {
    match timeout(quiet, events.next()).await {
        Err(_) => {}
        Ok(Some(event)) => panic!("expected no event for {quiet:?}, got {event:?}"),
        Ok(None) => panic!("expected the stream to stay open for {quiet:?}; it ended"),
    }
}

/// Polls `check` until it holds: a bounded wait for the gateway's records.
///
/// # Panics
/// When it still does not hold after `within`.
pub async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?}: {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until a heartbeat on connection `conn` carries `seq_ack`.
///
/// # Panics
/// After [`WAIT`] without one.
pub async fn wait_for_seq_ack(sim: &Sim, conn: usize, seq_ack: i64) {
    let what = format!("heartbeats on connection {conn} acknowledge seq {seq_ack}");
    eventually(&what, WAIT, || {
        received_heartbeats(&sim.connections()[conn])
            .iter()
            .any(|b| b.seq_ack == seq_ack)
    })
    .await;
}

/// Waits until the client's close frame on connection `conn` is recorded
/// with `code`.
///
/// # Panics
/// After [`WAIT`] without it.
pub async fn wait_for_client_close(sim: &Sim, conn: usize, code: u16) {
    let what = format!("the client's close frame on connection {conn} carries {code}");
    eventually(&what, WAIT, || {
        sim.connections()[conn].closed_by_client == Some(Some(code))
    })
    .await;
}

/// Waits until the gateway saw connection `conn` end.
///
/// # Panics
/// After [`WAIT`] with it still open.
pub async fn wait_for_end(sim: &Sim, conn: usize) {
    let what = format!("the gateway saw connection {conn} end");
    eventually(&what, WAIT, || sim.connections()[conn].ended_at.is_some()).await;
}

/// Everything up to Ready, then up to Resumed, for a session that must go
/// zombie in between: asserts `Zombified` is followed by our resumable drop
/// (`Disconnected { 4000, by_self }`), and returns the events with the
/// zombie's index.
pub async fn through_zombie_to_resumed(events: &mut EventStream) -> (Vec<Event>, usize) {
    let seen = collect_past_ready(events, is_resumed).await;
    let zombie = seen
        .iter()
        .position(|e| *e == Event::Zombified)
        .unwrap_or_else(|| panic!("Zombified before Resumed: {seen:#?}"));
    assert_eq!(
        seen.get(zombie + 1),
        Some(&Event::Disconnected {
            code: Some(CloseCode::RESUMABLE),
            by_self: true,
            lost: None,
        }),
        "{seen:#?}"
    );
    (seen, zombie)
}
