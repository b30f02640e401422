//! What the frame and timer checks need of the state machine under test.
//!
//! `Transport` and `Session` take frames and timeouts the same way and
//! keep the same socket state and counters; this trait names that common
//! surface so the checks in `rig.rs` are written once for both.

use core::fmt::Debug;
use voice_ws_proto::{Frame, Instant, Session, State, Stats, Transport, TransportConfig};

/// A state machine that owns (at most) one socket.
pub(crate) trait Machine: Debug {
    /// The socket's state.
    fn state(&self) -> State;
    /// The counters the model checks against.
    fn stats(&self) -> Stats;
    /// The bounds and limits of the socket layer.
    fn transport_config(&self) -> &TransportConfig;
    /// `handle_frame`.
    fn handle_frame(&mut self, now: Instant, frame: Frame<'_>);
    /// `handle_timeout`.
    fn handle_timeout(&mut self, now: Instant);
    /// `handle_close`: the server closed with `code`.
    fn handle_close(&mut self, now: Instant, code: Option<u16>);
}

impl Machine for Transport {
    fn state(&self) -> State {
        Transport::state(self)
    }

    fn stats(&self) -> Stats {
        Transport::stats(self)
    }

    fn transport_config(&self) -> &TransportConfig {
        self.config()
    }

    fn handle_frame(&mut self, now: Instant, frame: Frame<'_>) {
        Transport::handle_frame(self, now, frame);
    }

    fn handle_timeout(&mut self, now: Instant) {
        Transport::handle_timeout(self, now);
    }

    fn handle_close(&mut self, now: Instant, code: Option<u16>) {
        Transport::handle_close(self, now, code);
    }
}

impl Machine for Session {
    fn state(&self) -> State {
        Session::state(self)
    }

    fn stats(&self) -> Stats {
        Session::stats(self)
    }

    fn transport_config(&self) -> &TransportConfig {
        &self.config().transport
    }

    fn handle_frame(&mut self, now: Instant, frame: Frame<'_>) {
        Session::handle_frame(self, now, frame);
    }

    fn handle_timeout(&mut self, now: Instant) {
        Session::handle_timeout(self, now);
    }

    fn handle_close(&mut self, now: Instant, code: Option<u16>) {
        Session::handle_close(self, now, code);
    }
}
