//! Heap allocations in the heartbeat steady state, counted by a global
//! allocator (the decode bench's): 0 to handle an ACK, at most 1 to produce a heartbeat.
//!
//! This is a behaviour test (how many allocations), not a timing test. It
//! lives in its own test binary because it replaces the global allocator.

use voice_ws_proto::transport::Event;
use voice_ws_proto::{Frame, Instant, Transmit, Transport, TransportConfig};

// The decode bench's counting allocator. A global allocator cannot be
// written without `unsafe`; it only forwards to the system allocator and
// bumps a counter.
#[allow(unsafe_code, dead_code)]
#[path = "../benches/decode/allocations.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

use counting::count_with as allocations;

const INTERVAL_MS: u64 = 13750;

/// The nonce of a v8 heartbeat frame, read with serde_json.
fn nonce_of(transmit: &Transmit) -> u64 {
    let Transmit::Text(text) = transmit else {
        panic!("expected a heartbeat, got {transmit:?}");
    };
    let value: serde_json::Value = serde_json::from_str(text).expect("heartbeat is JSON");
    value["d"]["t"].as_u64().expect("integer nonce")
}

#[test]
fn heartbeat_steady_state_allocation_budget() {
    let mut config = TransportConfig::default();
    // Beats at exact multiples of the interval, where this test expects them.
    config.heartbeat_coalesce = core::time::Duration::ZERO;
    let mut t = Transport::new(config);
    t.handle_open(Instant::ZERO);
    t.handle_frame(
        Instant::ZERO,
        Frame::Text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#),
    );
    // A sequenced message taken by the owner, so beats carry a real seq_ack.
    t.handle_frame(
        Instant::ZERO,
        Frame::Text(r#"{"op":5,"d":{"user_id":"1","ssrc":2,"speaking":1},"seq":41}"#),
    );
    while t.poll_event().is_some() {}

    let mut ack_allocs = Vec::new();
    let mut beat_allocs = Vec::new();
    for k in 1..=64u64 {
        let due = Instant::from_millis(k * INTERVAL_MS);
        assert_eq!(t.poll_timeout(), Some(due));

        // Producing a heartbeat: the timer fires and the driver takes the frame.
        let (beat, transmit) = allocations(|| {
            t.handle_timeout(due);
            t.poll_transmit()
        });
        let transmit = transmit.expect("a heartbeat is due");
        assert!(
            matches!(&transmit, Transmit::Text(s) if s.ends_with(r#","seq_ack":41}}"#)),
            "{transmit:?}"
        );

        // Handling its ACK: the frame comes in and the owner takes the event.
        let ack = format!(r#"{{"op":6,"d":{{"t":{}}}}}"#, nonce_of(&transmit));
        drop(transmit);
        let at = Instant::from_millis(k * INTERVAL_MS + 30);
        let (handled, event) = allocations(|| {
            t.handle_frame(at, Frame::Text(&ack));
            t.poll_event()
        });
        assert!(
            matches!(event, Some(Event::HeartbeatAck { .. })),
            "{event:?}"
        );
        assert_eq!(t.poll_event(), None);

        // The first cycles warm the queues up; the budget is for the rest.
        if k > 4 {
            beat_allocs.push(beat);
            ack_allocs.push(handled);
        }
    }
    eprintln!("allocations per ACK handled: {ack_allocs:?}");
    eprintln!("allocations per heartbeat produced: {beat_allocs:?}");
    assert!(
        ack_allocs.iter().all(|&n| n == 0),
        "allocations per ACK handled in steady state: {ack_allocs:?}"
    );
    assert!(
        beat_allocs.iter().all(|&n| n <= 1),
        "allocations per heartbeat produced in steady state: {beat_allocs:?}"
    );
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the budget test against a counter that never counts.
    let (n, v) = allocations(|| Vec::<u8>::with_capacity(16));
    assert_eq!(n, 1);
    drop(v);
}
