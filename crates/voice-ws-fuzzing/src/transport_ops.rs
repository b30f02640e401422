//! Target `transport`: a [`Transport`] driven by an op program.

use bytes::Bytes;
use core::time::Duration;
use voice_ws_proto::codec::{Identify, Resume, SelectProtocol, Speaking};
use voice_ws_proto::transport::{Event, SendError};
use voice_ws_proto::{
    ClientMessage, CloseCode, Frame, Incoming, Instant, ServerMessage, State, Transmit, Transport,
};

use crate::clock::{self, Clocked};
use crate::ops::{self, AppSend, Header, Op, ServerText};
use crate::server::Server;
use crate::wire::{self, NONCE_LIMIT, Sent, TOKEN_STEM};

/// Outputs one input may produce beyond the configured queue bounds:
/// control items (close, abort, heartbeat, state changes).
const SLACK: usize = 8;

/// Runs the op program in `data` (see the `ops` module for its format)
/// against a [`Transport`], asserting after every input:
///
/// - `seq_ack` is exactly the seq of the last message taken from
///   `poll_event` (inputs never move it), and heartbeats carry it;
/// - after `handle_timeout(now)`, `poll_timeout` is not before `now`;
/// - nothing at all is transmitted after `force_close`, and no timer remains;
/// - per input at most `max_outbound_frames` + 8 transmits and
///   `max_pending_events` + 8 events (8 per input for a lazy owner);
/// - the token appears in no transmit but Identify and Resume;
/// - heartbeat nonces are integers below 2^53, rising on each socket;
/// - a frame within the size limit never closes the socket, a larger one
///   always does; an accepted send is written in the same step;
/// - (driver keeps the contract) `Connected` and `Disconnected` alternate,
///   and nothing follows a close frame or abort on the same socket.
pub fn transport_ops(data: &[u8]) {
    let (header, program) = ops::parse(data);
    let mut h = Harness::new(header);
    for op in &program {
        h.step(op);
    }
    h.finish();
}

struct Harness {
    t: Transport,
    header: Header,
    now_ms: u64,
    server: Server,
    token: String,
    /// The seq of the last message taken from `poll_event`.
    delivered: Option<u16>,
    /// A socket is up and we have not written a close or abort on it.
    writable: bool,
    /// Between `Connected` and `Disconnected` in the event stream.
    connected: bool,
    terminated: bool,
    /// Last heartbeat nonce on the current socket.
    socket_nonce: Option<u64>,
    /// This step fed an ACK whose nonce is not the last heartbeat's.
    stray_ack: bool,
    /// When the current socket opened (harness clock, ms).
    opened_ms: u64,
    /// Inputs since the events were last drained completely.
    inputs_since_drain: usize,
}

impl Harness {
    fn new(header: Header) -> Self {
        Self {
            t: Transport::new(header.transport_config()),
            header,
            now_ms: 0,
            server: Server::default(),
            token: wire::token(0),
            delivered: None,
            writable: false,
            connected: false,
            terminated: false,
            socket_nonce: None,
            stray_ack: false,
            opened_ms: 0,
            inputs_since_drain: 0,
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    fn strict(&self) -> bool {
        !self.header.loose_driver()
    }

    fn step(&mut self, op: &Op) {
        let now = self.now();
        let mut app_sends = 0;
        match op {
            Op::Open => {
                if !self.strict() || !self.t.state().has_socket() {
                    self.t.handle_open(now);
                    if self.t.state() == State::Open {
                        self.writable = true;
                        self.socket_nonce = None;
                        self.opened_ms = self.now_ms;
                    }
                }
            }
            Op::Text(text) => {
                if let ServerText::AckGuess(back) = text {
                    let nonce = self.now_ms.saturating_sub(u64::from(*back));
                    // Only checkable when every event is taken each step.
                    self.stray_ack = self.socket_nonce != Some(nonce) && !self.header.lazy_owner();
                }
                let text = self.server.text(text, self.now_ms);
                self.frame_in(Frame::Text(&text));
            }
            Op::Binary(binary) => {
                let bytes = Bytes::from(self.server.binary(binary));
                self.frame_in(Frame::Binary(bytes));
            }
            Op::Close(code) => {
                if !self.strict() || self.t.state().has_socket() {
                    self.t.handle_close(now, *code);
                }
            }
            Op::Advance(ms) => return self.advance(*ms),
            Op::Send(send) => app_sends = self.send(send),
            Op::HeartbeatNow => self.t.heartbeat_now(now),
            Op::HeartbeatIn(ms) => self
                .t
                .heartbeat_in(now, Duration::from_millis(u64::from(*ms))),
            Op::CloseGracefully(code) => self.t.close(now, CloseCode(*code)),
            Op::Oversized(size) => self.oversized(*size as usize),
            Op::ForceClose(code) => {
                self.t.force_close(CloseCode(*code));
                self.terminated = true;
            }
            // A bare transport has no credentials to update.
            Op::UpdateCredentials => {}
            Op::TakeEvents(n) => return self.take_events(usize::from(*n)),
        }
        if matches!(op, Op::Send(_)) {
            // An Identify or Resume may be queued now.
            let debug = format!("{:?}", self.t);
            assert!(
                !debug.contains(TOKEN_STEM),
                "the token leaked into the transport's Debug"
            );
        }
        let written = self.after_input(matches!(op, Op::Send(_)));
        self.stray_ack = false;
        if matches!(op, Op::Send(_)) {
            assert_eq!(
                written, app_sends,
                "an accepted send was not written at once"
            );
        }
    }

    fn frame_in(&mut self, frame: Frame<'_>) {
        let was_open = self.t.state() == State::Open;
        let size = frame.len();
        let max = self.t.config().max_message_size;
        self.t.handle_frame(self.now(), frame);
        if was_open && !self.header.lazy_owner() {
            if size > max {
                assert_eq!(
                    self.t.state(),
                    State::Closed,
                    "an oversized frame left the socket up"
                );
            } else {
                assert_eq!(
                    self.t.state(),
                    State::Open,
                    "a frame within the limit closed the socket"
                );
            }
        }
    }

    fn oversized(&mut self, size: usize) {
        let had_socket = self.t.state().has_socket();
        self.t.handle_oversized(self.now(), size);
        if had_socket {
            assert_eq!(
                self.t.state(),
                State::Closed,
                "handle_oversized left the socket up"
            );
        }
    }

    /// Sends as the application would; returns how many transmits that
    /// must produce in this step.
    fn send(&mut self, send: &AppSend) -> usize {
        let state = self.t.state();
        let result = match send {
            AppSend::Text(text) => self.t.send_text(wire::scrub(text.clone())),
            AppSend::Binary(bytes) => self
                .t
                .send_binary(Bytes::from(wire::scrub_bytes(bytes.clone()))),
            typed => match client_message(typed, &self.token, self.delivered) {
                Some(message) => self.t.send(&message),
                None => return 0,
            },
        };
        match result {
            Ok(()) => {
                assert_eq!(
                    state,
                    State::Open,
                    "a send was accepted without an open socket"
                );
                1
            }
            Err(SendError::Ended) => {
                assert_eq!(state, State::Terminated, "Ended before force_close");
                0
            }
            Err(SendError::NotOpen) => {
                assert!(
                    !matches!(state, State::Open | State::Terminated),
                    "NotOpen in state {state:?}"
                );
                0
            }
            Err(e) => panic!("send refused with {e:?} although the queue was drained"),
        }
    }

    fn advance(&mut self, ms: u32) {
        clock::advance(self, ms);
    }

    fn timeout(&mut self) {
        let now = self.now();
        self.t.handle_timeout(now);
        self.after_input(false);
    }

    /// Drains and checks what one input produced; returns the number of
    /// frames written.
    fn after_input(&mut self, from_app: bool) -> usize {
        let ack = self.t.seq_ack();
        assert_eq!(ack, self.delivered, "an input moved seq_ack");
        let mut written = 0;
        let mut count = 0;
        while let Some(t) = self.t.poll_transmit() {
            count += 1;
            written += usize::from(matches!(t, Transmit::Text(_) | Transmit::Binary(_)));
            self.check_transmit(&t, from_app);
        }
        let bound = self.t.config().max_outbound_frames + SLACK;
        assert!(
            count <= bound,
            "{count} transmits from one input (bound {bound})"
        );
        if self.terminated {
            assert_eq!(self.t.poll_timeout(), None, "a timer survived force_close");
            assert_eq!(self.t.state(), State::Terminated);
        }
        if !self.t.state().has_socket() {
            self.writable = false;
        }
        self.inputs_since_drain += 1;
        if !self.header.lazy_owner() {
            self.take_events(0);
        }
        written
    }

    fn check_transmit(&mut self, t: &Transmit, from_app: bool) {
        let debug = format!("{t:?}");
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into Debug: {debug}"
        );
        assert!(!self.terminated, "transmit after force_close: {t:?}");
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
        if from_app {
            // Raw sends may look like anything; only the typed Identify
            // and Resume the harness sent carry the token.
            let greeting = matches!(t, Transmit::Text(text)
                if text.starts_with(r#"{"op":0,"d":"#) || text.starts_with(r#"{"op":7,"d":"#));
            assert!(
                greeting || !wire::carries_token(t),
                "the token leaked into {t:?}"
            );
            return;
        }
        let sent = wire::classify(t);
        if wire::carries_token(t) {
            assert!(
                matches!(sent, Sent::Identify(_) | Sent::Resume { .. }),
                "the token leaked into {t:?}"
            );
        }
        if let Sent::Heartbeat { nonce, seq_ack } = sent {
            assert!(nonce < NONCE_LIMIT, "nonce {nonce} is not below 2^53");
            if let Some(last) = self.socket_nonce {
                assert!(nonce > last, "nonce {nonce} does not rise after {last}");
            }
            self.socket_nonce = Some(nonce);
            self.server.last_nonce = Some(nonce);
            let expected = self.delivered.map_or(-1, i64::from);
            assert_eq!(
                seq_ack, expected,
                "heartbeat carries a seq_ack not delivered"
            );
        }
    }

    /// Takes up to `n` events (0: all), checking each.
    fn take_events(&mut self, n: usize) {
        let mut count = 0;
        while n == 0 || count < n {
            let before = self.t.seq_ack();
            let Some(event) = self.t.poll_event() else {
                let bound = self.t.config().max_pending_events + SLACK * self.inputs_since_drain;
                assert!(count <= bound, "{count} events queued (bound {bound})");
                self.inputs_since_drain = 0;
                return;
            };
            count += 1;
            let after = self.t.seq_ack();
            self.check_event(&event, before, after);
        }
    }

    fn check_event(&mut self, event: &Event, before: Option<u16>, after: Option<u16>) {
        let debug = format!("{event:?}");
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into an event: {debug}"
        );
        // A lazy owner may take an ACK after its socket is gone.
        if let (Event::HeartbeatAck { rtt }, false) = (event, self.header.lazy_owner()) {
            let alive = Duration::from_millis(self.now_ms - self.opened_ms);
            assert!(
                *rtt <= alive,
                "RTT {rtt:?} longer than the socket has been up ({alive:?})"
            );
            assert!(
                !self.stray_ack,
                "an ACK with a stale or wrong nonce counted"
            );
        }
        match event {
            Event::Message(Incoming { seq, message }) => {
                assert!(
                    !matches!(message, ServerMessage::HeartbeatAck(_)),
                    "an ACK surfaced as a message"
                );
                match seq {
                    Some(seq) => {
                        assert_eq!(after, Some(*seq), "taking a message did not ack its seq");
                        self.delivered = Some(*seq);
                    }
                    None => assert_eq!(after, before, "an unsequenced message moved seq_ack"),
                }
            }
            other => assert_eq!(after, before, "{other:?} moved seq_ack"),
        }
        if self.strict() {
            match event {
                Event::Connected => {
                    assert!(!self.connected, "Connected twice without Disconnected");
                    self.connected = true;
                }
                Event::Disconnected { .. } => {
                    assert!(self.connected, "Disconnected without Connected");
                    self.connected = false;
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self) {
        self.take_events(0);
        self.t.force_close(CloseCode::NORMAL);
        self.terminated = true;
        self.after_input(false);
        self.take_events(0);
        assert_eq!(self.t.poll_transmit(), None);
        assert_eq!(self.t.poll_timeout(), None);
    }
}

/// The typed message an [`AppSend`] stands for (`None` for raw sends).
pub(crate) fn client_message(
    send: &AppSend,
    token: &str,
    seq_ack: Option<u16>,
) -> Option<ClientMessage> {
    const MODES: [&str; 3] = [
        "aead_aes256_gcm_rtpsize",
        "aead_xchacha20_poly1305_rtpsize",
        "xsalsa20_poly1305",
    ];
    Some(match send {
        AppSend::Text(_) | AppSend::Binary(_) => return None,
        AppSend::Speaking { speaking, ssrc } => ClientMessage::Speaking(Speaking {
            speaking: u32::from(*speaking),
            delay: 0,
            ssrc: *ssrc,
        }),
        AppSend::SelectProtocol { port, mode } => ClientMessage::SelectProtocol(SelectProtocol {
            address: "203.0.113.7".into(),
            port: *port,
            mode: MODES[usize::from(*mode) % MODES.len()].into(),
        }),
        AppSend::TransitionReady(id) => ClientMessage::DaveTransitionReady { transition_id: *id },
        AppSend::InvalidCommitWelcome(id) => {
            ClientMessage::DaveMlsInvalidCommitWelcome { transition_id: *id }
        }
        AppSend::KeyPackage(bytes) => {
            ClientMessage::DaveMlsKeyPackage(Bytes::from(wire::scrub_bytes(bytes.clone())))
        }
        AppSend::CommitWelcome(bytes) => {
            ClientMessage::DaveMlsCommitWelcome(Bytes::from(wire::scrub_bytes(bytes.clone())))
        }
        AppSend::Identify => ClientMessage::Identify(Identify {
            server_id: "41771983423143937".into(),
            user_id: "104694319306248192".into(),
            session_id: "my_session_id".into(),
            token: token.into(),
            max_dave_protocol_version: 1,
        }),
        AppSend::Resume => ClientMessage::Resume(Resume {
            server_id: "41771983423143937".into(),
            session_id: "my_session_id".into(),
            token: token.into(),
            seq_ack,
        }),
        AppSend::Heartbeat { nonce } => ClientMessage::Heartbeat {
            nonce: u64::from(*nonce),
            seq_ack,
        },
    })
}

impl Clocked for Harness {
    fn clock_ms(&mut self) -> &mut u64 {
        &mut self.now_ms
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.t.poll_timeout()
    }

    fn on_timeout(&mut self) {
        self.timeout();
    }
}
