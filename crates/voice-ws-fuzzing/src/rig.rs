//! The part of a harness that does not depend on which state machine it
//! drives: the virtual clock, the Discord-like server, the model of what
//! the client received, and the wire-side bookkeeping of the current
//! socket.
//!
//! The transport and session harnesses differ in their rules (the session
//! adds credentials, reconnects and held sends); the checks here are the
//! ones both hold the core to on every frame, heartbeat, event and
//! timeout, so they are written once.

use core::time::Duration;
use voice_ws_proto::{Instant, State, Transmit, TransportConfig};

use crate::machine::Machine;
use crate::model::{self, Beats, Outcome, Prediction, Receiver, queued_events};
use crate::ops::Header;
use crate::server::{Out, Server};
use crate::wire::{NONCE_LIMIT, TOKEN_STEM};

/// Outputs one input may produce beyond the configured queue bounds:
/// control items (close, abort, heartbeat, state changes).
const SLACK: usize = 8;

/// An event as far as the shared checks care; each harness maps its own
/// event type onto this.
pub(crate) enum Seen {
    /// A heartbeat ACK with its round trip.
    HeartbeatAck(Duration),
    /// A socket came up.
    Connected,
    /// A socket went down.
    Disconnected,
    /// Anything else.
    Other,
}

/// The state both harnesses keep besides the machine under test.
pub(crate) struct Rig {
    pub(crate) header: Header,
    /// The virtual clock, in milliseconds.
    pub(crate) now_ms: u64,
    pub(crate) server: Server,
    /// What the rules say the client received and queued.
    pub(crate) rx: Receiver,
    /// The current socket's heartbeats.
    pub(crate) beats: Beats,
    /// A socket is up and we have not written a close or abort on it.
    pub(crate) writable: bool,
    /// Between `Connected` and `Disconnected` in the event stream.
    pub(crate) connected: bool,
    /// The owner called `force_close`.
    pub(crate) terminated: bool,
    /// Last heartbeat nonce on the current socket.
    pub(crate) socket_nonce: Option<u64>,
    /// The input being checked is `handle_timeout`.
    pub(crate) in_timeout: bool,
    /// When the current socket opened (harness clock, ms).
    pub(crate) opened_ms: u64,
    /// Inputs since the events were last drained completely.
    pub(crate) inputs_since_drain: usize,
    /// The end of the run: the owner takes every event at once.
    pub(crate) settling: bool,
}

impl Rig {
    pub(crate) fn new(header: Header, config: &TransportConfig) -> Self {
        Self {
            header,
            now_ms: 0,
            server: Server::new(!header.loose_driver()),
            rx: Receiver::new(config.max_pending_events),
            beats: Beats::new(config.heartbeat_tolerance),
            writable: false,
            connected: false,
            terminated: false,
            socket_nonce: None,
            in_timeout: false,
            opened_ms: 0,
            inputs_since_drain: 0,
            settling: false,
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    /// The driver keeps the contract (opens, closes and feeds frames only
    /// while that makes sense), so the stricter ordering rules apply.
    pub(crate) fn strict(&self) -> bool {
        !self.header.loose_driver()
    }

    /// The owner takes every event right after each input.
    pub(crate) fn drains_now(&self) -> bool {
        !self.header.lazy_owner() || self.settling
    }

    /// A new socket is open: its heartbeats and nonces start afresh.
    pub(crate) fn socket_opened(&mut self) {
        self.writable = true;
        self.socket_nonce = None;
        self.opened_ms = self.now_ms;
        self.beats.opened();
    }

    /// After an input: without a socket nothing may be written, and the
    /// server forgets the connection (its session and buffer live on).
    pub(crate) fn note_socket(&mut self, has_socket: bool) {
        if !has_socket {
            self.writable = false;
            self.server.socket_lost();
        }
    }

    /// Whether the next server frame reaches `m`: a driver keeping the
    /// contract stops reading when the socket is gone; a loose one feeds
    /// frames regardless, to probe the machine's guards.
    pub(crate) fn frame_reaches<M: Machine>(&self, m: &M) -> bool {
        !self.strict() || m.state().has_socket()
    }

    /// The server cannot serve the Resume just sent (its buffer lost part
    /// of what `seq_ack` asks for): it closes 4006 rather than replay a
    /// partial gap. The harness drains after this input as after any.
    pub(crate) fn refuse_resume<M: Machine>(&self, m: &mut M) {
        m.handle_close(self.now(), Some(4006));
    }

    /// Feeds one server frame to `m` and holds it to the model: the
    /// predicted fate, its counters, exactly-once delivery, heartbeat
    /// ACKs, and what it does to the socket. Returns the prediction for
    /// the harness's own rules and the drop check after its drain.
    pub(crate) fn feed_frame<M: Machine>(&mut self, m: &mut M, out: &Out) -> Prediction {
        let state = m.state();
        // A lazy owner lets events pile up; a numbered message meets a
        // full queue only then.
        let room = if self.drains_now() {
            true
        } else {
            queued_events(&format!("{m:?}")) < self.rx.bound()
        };
        let config = m.transport_config();
        let (max, any_frame_is_alive) = (config.max_message_size, config.any_frame_is_alive);
        let p = self.rx.predict(
            &out.wire,
            state.has_socket(),
            state == State::Open,
            max,
            room,
        );
        let before = m.stats();
        m.handle_frame(self.now(), out.wire.frame());
        let after = m.stats();
        self.rx.verify(&p, &before, &after);
        self.rx.apply(&p);
        model::check_delivery(&mut self.server, out.class, &p);
        if state.has_socket() && p.outcome != Outcome::Oversized && any_frame_is_alive {
            self.beats.proof_of_life();
        }
        model::check_ack(&mut self.beats, &p, &before, &after);
        if p.drop.is_some() {
            assert!(
                !m.state().has_socket(),
                "{:?} left the socket up",
                p.outcome
            );
        } else if state.has_socket() {
            assert_eq!(
                m.state(),
                state,
                "a frame changed the socket's state ({:?})",
                p.outcome
            );
        }
        p
    }

    /// `handle_timeout` at the current clock; a beat missed without a new
    /// one sent means the socket was declared a zombie, which the model
    /// must allow.
    pub(crate) fn handle_timeout<M: Machine>(&mut self, m: &mut M) {
        let before = m.stats();
        m.handle_timeout(self.now());
        let after = m.stats();
        let missed = after.heartbeats_missed - before.heartbeats_missed;
        if missed == 1 && after.heartbeats_sent == before.heartbeats_sent {
            self.beats.zombie();
        }
    }

    /// The bound on what one input may write.
    pub(crate) fn check_transmit_count(&self, transmits: &[Transmit], max_outbound_frames: usize) {
        let bound = max_outbound_frames + SLACK;
        assert!(
            transmits.len() <= bound,
            "{} transmits from one input (bound {bound})",
            transmits.len()
        );
    }

    /// The bound on the events waiting after a complete drain of `count`;
    /// the next drain counts inputs afresh.
    pub(crate) fn drained(&mut self, count: usize, max_pending_events: usize) {
        let bound = max_pending_events + SLACK * self.inputs_since_drain;
        assert!(count <= bound, "{count} events queued (bound {bound})");
        self.inputs_since_drain = 0;
    }

    /// Checks every transmit both machines write alike: no token in its
    /// `Debug`, and (driver keeping the contract) data only on a writable
    /// socket, nothing but another close after a close or abort.
    pub(crate) fn check_written(&mut self, t: &Transmit) {
        let debug = format!("{t:?}");
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into Debug: {debug}"
        );
        if self.strict() {
            match t {
                Transmit::Text(_) | Transmit::Binary(_) => assert!(
                    self.writable,
                    "data frame written with no socket, or after a close frame: {t:?}"
                ),
                // A second close frame (a drop while a graceful close
                // waits) is tolerated: WebSocket layers ignore it.
                Transmit::Close(_) | Transmit::Abort => self.writable = false,
            }
        }
    }

    /// A heartbeat the client wrote: its nonce is a JSON-safe integer
    /// rising on the socket, the server and the beat model hear it, and
    /// it carries the last seq received.
    pub(crate) fn check_heartbeat(&mut self, nonce: u64, seq_ack: i64) {
        assert!(nonce < NONCE_LIMIT, "nonce {nonce} is not below 2^53");
        if let Some(last) = self.socket_nonce {
            assert!(nonce > last, "nonce {nonce} does not rise after {last}");
        }
        self.socket_nonce = Some(nonce);
        self.server.heard_heartbeat(nonce);
        self.beats.sent(nonce, self.in_timeout);
        let received = self.received();
        assert_eq!(
            seq_ack, received,
            "heartbeat carries seq_ack {seq_ack}, not the last seq received"
        );
    }

    /// The last seq received, as the wire writes it (-1: none).
    pub(crate) fn received(&self) -> i64 {
        self.rx.ack.map_or(-1, i64::from)
    }

    /// Checks every event both machines emit alike: no token in it, an
    /// RTT no longer than the socket's age, and (driver keeping the
    /// contract) `Connected` and `Disconnected` alternating.
    pub(crate) fn check_event_common(&mut self, debug: &str, seen: Seen) {
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into an event: {debug}"
        );
        match seen {
            // A lazy owner may take an ACK after its socket is gone.
            Seen::HeartbeatAck(rtt) if !self.header.lazy_owner() => {
                let alive = Duration::from_millis(self.now_ms - self.opened_ms);
                assert!(
                    rtt <= alive,
                    "RTT {rtt:?} longer than the socket has been up ({alive:?})"
                );
            }
            Seen::Connected if self.strict() => {
                assert!(!self.connected, "Connected twice without Disconnected");
                self.connected = true;
            }
            Seen::Disconnected if self.strict() => {
                assert!(self.connected, "Disconnected without Connected");
                self.connected = false;
            }
            _ => {}
        }
    }
}
