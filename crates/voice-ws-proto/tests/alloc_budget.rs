//! Heap allocations in the heartbeat steady state, counted by a test-only
//! global allocator: 0 to handle an ACK, at most 1 to produce a heartbeat.
//!
//! This is a behaviour test (how many allocations), not a timing test. It
//! lives in its own test binary because it replaces the global allocator.

// A global allocator cannot be written without `unsafe`; it only forwards
// to the system allocator and bumps a counter.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use voice_ws_proto::transport::Event;
use voice_ws_proto::{Frame, Instant, Transmit, Transport, TransportConfig};

struct Counting;

thread_local! {
    // Per thread, so that other tests running in parallel do not count.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the allocator may run while the thread-local is torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the only addition is a counter in a const thread-local, which
// needs no allocation itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while `f` runs.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, out)
}

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
