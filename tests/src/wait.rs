//! Waiting for events and for the gateway's records, with deadlines that
//! only a broken driver reaches. Failures show everything seen so far.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, timeout, timeout_at};
use voice_ws_proto::{CloseCode, Event};

use crate::driver::EventStream;

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

/// Everything up to Ready, then up to Resumed, for a session that must go
/// zombie in between: asserts `Zombified` is followed by our resumable drop
/// (`Disconnected { 4000, by_self }`), and returns the events with the
/// zombie's index.
pub async fn through_zombie_to_resumed(events: &mut EventStream) -> (Vec<Event>, usize) {
    let mut seen = collect_until(events, crate::events::is_ready, WAIT).await;
    seen.extend(collect_until(events, crate::events::is_resumed, WAIT).await);
    let zombie = seen
        .iter()
        .position(|e| *e == Event::Zombified)
        .unwrap_or_else(|| panic!("Zombified before Resumed: {seen:#?}"));
    assert_eq!(
        seen.get(zombie + 1),
        Some(&Event::Disconnected {
            code: Some(CloseCode::RESUMABLE),
            by_self: true
        }),
        "{seen:#?}"
    );
    (seen, zombie)
}
