//! A deterministic harness: one [`Transport`] and a virtual clock that only
//! moves when the test moves it (quinn-proto's `Pair`, server side played by
//! the test itself with literal frames).

#![allow(dead_code)]

use bytes::Bytes;
use core::time::Duration;
use voice_ws_proto::{Frame, Instant, Transmit, Transport, TransportConfig, transport::Event};

/// A transport under test and the virtual time it lives in.
pub(crate) struct Pair {
    /// The transport under test.
    pub(crate) t: Transport,
    /// The virtual clock; starts at 0 ms.
    pub(crate) now: Instant,
}

/// Milliseconds as an [`Instant`] on the virtual clock.
pub(crate) fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// Milliseconds as a [`Duration`].
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The default config with every heartbeat at its exact time (no
/// coalescing), as these tests spell the schedule out to the millisecond;
/// `transport_heartbeat` tests the default coalescing on its own.
pub(crate) fn exact() -> TransportConfig {
    let mut config = TransportConfig::default();
    config.heartbeat_coalesce = Duration::ZERO;
    config
}

impl Pair {
    /// A transport with the [`exact`] config, no socket, clock at 0 ms.
    pub(crate) fn new() -> Self {
        Self::with_config(exact())
    }

    /// A transport with `config`, no socket, clock at 0 ms.
    pub(crate) fn with_config(config: TransportConfig) -> Self {
        Self {
            t: Transport::new(config),
            now: Instant::ZERO,
        }
    }

    /// The virtual clock in whole milliseconds.
    pub(crate) fn now_ms(&self) -> u64 {
        self.now.as_millis()
    }

    /// The driver reports that the socket opened.
    pub(crate) fn open(&mut self) {
        self.t.handle_open(self.now);
    }

    /// The server sends a text frame.
    pub(crate) fn server_text(&mut self, text: &str) {
        self.t.handle_frame(self.now, Frame::Text(text));
    }

    /// The server sends a binary frame.
    pub(crate) fn server_binary(&mut self, bytes: &[u8]) {
        self.t
            .handle_frame(self.now, Frame::Binary(Bytes::copy_from_slice(bytes)));
    }

    /// The socket ends: the server's close code, or `None` for no close frame.
    pub(crate) fn server_close(&mut self, code: Option<u16>) {
        self.t.handle_close(self.now, code);
    }

    /// A well-behaved owner sleeping `ms` milliseconds: it wakes at every
    /// deadline `poll_timeout` reports up to the target (calling
    /// `handle_timeout` there), then once more at the target itself.
    pub(crate) fn advance(&mut self, ms: u64) {
        let target = self.now + Duration::from_millis(ms);
        let mut wakeups = 0u32;
        while let Some(deadline) = self.t.poll_timeout() {
            if deadline > target {
                break;
            }
            wakeups += 1;
            assert!(
                wakeups < 100_000,
                "poll_timeout keeps reporting {deadline:?} after handle_timeout ran there"
            );
            if deadline > self.now {
                self.now = deadline;
            }
            self.t.handle_timeout(self.now);
            if self.t.poll_timeout() == Some(deadline) && deadline <= self.now {
                panic!("handle_timeout at {deadline:?} left the same deadline in place");
            }
        }
        self.now = target;
        self.t.handle_timeout(self.now);
    }

    /// [`Pair::advance`] to an absolute time on the virtual clock.
    pub(crate) fn advance_to(&mut self, ms: u64) {
        let target = at(ms);
        assert!(target >= self.now, "the clock never runs backwards");
        self.advance(ms - self.now_ms());
    }

    /// A late owner: the clock jumps to `ms` without waking at the deadlines
    /// in between, then `handle_timeout` runs once.
    pub(crate) fn wake_late_at(&mut self, ms: u64) {
        let target = at(ms);
        assert!(target >= self.now, "the clock never runs backwards");
        self.now = target;
        self.t.handle_timeout(self.now);
    }

    /// Everything the transport wants written, in order.
    pub(crate) fn drain_transmits(&mut self) -> Vec<Transmit> {
        core::iter::from_fn(|| self.t.poll_transmit()).collect()
    }

    /// Everything the transport has to say, in order (taking a message
    /// acknowledges its seq).
    pub(crate) fn drain_events(&mut self) -> Vec<Event> {
        core::iter::from_fn(|| self.t.poll_event()).collect()
    }

    /// Drains the transmits and expects exactly one v8 heartbeat carrying
    /// `seq_ack`; returns its nonce.
    pub(crate) fn expect_one_heartbeat(&mut self, seq_ack: i32) -> u64 {
        let sent = self.drain_transmits();
        assert_eq!(sent.len(), 1, "expected one heartbeat, got {sent:?}");
        heartbeat_nonce(&sent[0], seq_ack)
    }

    /// The server acknowledges the heartbeat with `nonce` (v8 `{"t": nonce}`).
    pub(crate) fn server_ack(&mut self, nonce: u64) {
        let ack = format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#);
        self.server_text(&ack);
    }

    /// Opens the socket, the server sends Hello(`interval_ms`), and the
    /// owner drains what that produced.
    pub(crate) fn open_with_hello(&mut self, interval_ms: u64) {
        self.open();
        let hello = format!(r#"{{"op":8,"d":{{"heartbeat_interval":{interval_ms},"v":8}}}}"#);
        self.server_text(&hello);
        self.drain_events();
        self.drain_transmits();
    }
}

/// Checks that `transmit` is exactly `{"op":3,"d":{"t":<nonce>,"seq_ack":<seq_ack>}}`
/// and returns the nonce, which must be a JSON integer below 2^53.
///
/// The nonce is read with serde_json (a reference parser, not this crate's
/// encoder); the rest of the frame is compared with the literal text.
pub(crate) fn heartbeat_nonce(transmit: &Transmit, seq_ack: i32) -> u64 {
    let Transmit::Text(text) = transmit else {
        panic!("expected a heartbeat text frame, got {transmit:?}");
    };
    let value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("heartbeat {text} is not JSON: {e}"));
    let t = &value["d"]["t"];
    assert!(
        t.is_u64(),
        "heartbeat nonce must be a JSON integer, got {t} in {text}"
    );
    let nonce = t.as_u64().unwrap_or_default();
    assert!(nonce < 1 << 53, "nonce {nonce} is not below 2^53");
    assert_eq!(
        text,
        &format!(r#"{{"op":3,"d":{{"t":{nonce},"seq_ack":{seq_ack}}}}}"#)
    );
    nonce
}

/// The seqs of the `Message` events in `events`, in order.
pub(crate) fn message_seqs(events: &[Event]) -> Vec<Option<u16>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.seq),
            _ => None,
        })
        .collect()
}
