//! Target `transport`: a [`Transport`] driven by an op program.

use bytes::Bytes;
use core::time::Duration;
use voice_ws_proto::SendError;
use voice_ws_proto::codec::{Identify, Resume, SelectProtocol, Speaking};
use voice_ws_proto::transport::Event;
use voice_ws_proto::{
    ClientMessage, CloseCode, Instant, ServerMessage, State, Transmit, Transport,
};

use crate::clock::{self, Clocked};
use crate::model::{self, Beats, Outcome, Receiver, queued_events};
use crate::ops::{self, AppSend, Header, Op};
use crate::server::{Out, Server};
use crate::wire::{self, NONCE_LIMIT, Sent, TOKEN_STEM};

/// Outputs one input may produce beyond the configured queue bounds:
/// control items (close, abort, heartbeat, state changes).
const SLACK: usize = 8;

/// Runs the op program in `data` (see the `ops` module for its format)
/// against a [`Transport`], asserting after every input:
///
/// - every frame meets the fate the rules give it (docs/protocol.md,
///   "seq_ack"): ignored without a socket; over the size limit, dropped
///   with 1009; undecodable, reported; numbered and not after the last
///   received (u16 serial order), skipped as a duplicate; numbered and new
///   with the event queue full, refused (`messages_refused`, `seq_ack`
///   unchanged, close 4000 + Abort); otherwise queued;
/// - `seq_ack` is the last numbered message queued, whether taken or not;
///   taking events never moves it; heartbeats (and the owner's Resume)
///   carry it;
/// - exactly once: with a driver that keeps the contract, the harness's
///   server (see `server.rs`) buffers what it sends and replays it after
///   the owner's Resume; every fresh message is received once and in
///   order across drops and resumes, repeats never; every event the owner
///   takes is the next message queued, and none is left at the end;
/// - numbered messages waiting never exceed `max_pending_events`;
/// - an ACK of one of the socket's last `tolerance` unanswered beats
///   counts, one never sent on this socket (or already answered) never
///   does; a zombie only after `tolerance` unanswered beats; RTT never
///   exceeds the socket's age;
/// - after `handle_timeout(now)`, `poll_timeout` is not before `now`;
/// - nothing at all is transmitted after `force_close`, and no timer remains;
/// - per input at most `max_outbound_frames` + 8 transmits and
///   `max_pending_events` + 8 events (8 per input for a lazy owner);
/// - the token appears in no transmit but Identify and Resume;
/// - heartbeat nonces are integers below 2^53, rising on each socket;
/// - an accepted send is written in the same step;
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
    /// What the rules say the transport received and queued.
    rx: Receiver,
    /// The current socket's heartbeats.
    beats: Beats,
    /// The owner has identified once; later sockets resume.
    identified: bool,
    /// A socket is up and we have not written a close or abort on it.
    writable: bool,
    /// Between `Connected` and `Disconnected` in the event stream.
    connected: bool,
    terminated: bool,
    /// Last heartbeat nonce on the current socket.
    socket_nonce: Option<u64>,
    /// The input being checked is `handle_timeout`.
    in_timeout: bool,
    /// When the current socket opened (harness clock, ms).
    opened_ms: u64,
    /// Inputs since the events were last drained completely.
    inputs_since_drain: usize,
    /// The end of the run: the owner takes every event at once.
    settling: bool,
}

impl Harness {
    fn new(header: Header) -> Self {
        let config = header.transport_config();
        Self {
            rx: Receiver::new(config.max_pending_events),
            beats: Beats::new(config.heartbeat_tolerance),
            t: Transport::new(config),
            header,
            now_ms: 0,
            server: Server::new(!header.loose_driver()),
            token: wire::token(0),
            identified: false,
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
            Op::Open => return self.open(),
            Op::Text(text) => {
                let outs = self.server.text(text, self.now_ms);
                return self.frames_in(outs);
            }
            Op::Binary(binary) => {
                let outs = self.server.binary(binary);
                return self.frames_in(outs);
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
        let transmits = self.after_input(matches!(op, Op::Send(_)));
        if matches!(op, Op::Send(_)) {
            let written = transmits
                .iter()
                .filter(|t| matches!(t, Transmit::Text(_) | Transmit::Binary(_)))
                .count();
            assert_eq!(
                written, app_sends,
                "an accepted send was not written at once"
            );
        }
    }

    /// The socket opened; a contract-keeping owner greets at once:
    /// Identify on the first socket, Resume with `seq_ack` after.
    fn open(&mut self) {
        if self.strict() && self.t.state().has_socket() {
            return;
        }
        self.t.handle_open(self.now());
        if self.t.state() != State::Open {
            self.after_input(false);
            return;
        }
        self.writable = true;
        self.socket_nonce = None;
        self.opened_ms = self.now_ms;
        self.beats.opened();
        let mut served = true;
        if self.strict() {
            let greeting = if self.identified {
                AppSend::Resume
            } else {
                AppSend::Identify
            };
            let message = client_message(&greeting, &self.token, self.t.seq_ack());
            if let Some(message) = message {
                self.t
                    .send(message)
                    .unwrap_or_else(|e| panic!("greeting refused on a new socket: {e:?}"));
            }
            if self.identified {
                served = self.server.resumed(self.t.seq_ack().map_or(-1, i64::from));
            } else {
                self.server.identified();
            }
            self.identified = true;
        }
        self.check_debug();
        self.after_input(false);
        if !served {
            // The buffer lost what the Resume asks for: 4006.
            self.t.handle_close(self.now(), Some(4006));
            self.after_input(false);
        }
    }

    fn check_debug(&self) {
        let debug = format!("{:?}", self.t);
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into the transport's Debug"
        );
    }

    /// Feeds what the server sent, in order, while the socket lasts.
    fn frames_in(&mut self, outs: Vec<Out>) {
        if outs.is_empty() {
            // Nothing reached the client; time and checks go on.
            self.after_input(false);
        }
        for out in outs {
            if self.strict() && !self.t.state().has_socket() {
                break;
            }
            self.frame_in(&out);
        }
    }

    fn frame_in(&mut self, out: &Out) {
        let state = self.t.state();
        let room = if self.header.lazy_owner() && !self.settling {
            queued_events(&format!("{:?}", self.t)) < self.rx.bound()
        } else {
            true
        };
        let max = self.t.config().max_message_size;
        let p = self.rx.predict(
            &out.wire,
            state.has_socket(),
            state == State::Open,
            max,
            room,
        );
        let before = self.t.stats();
        self.t.handle_frame(self.now(), out.wire.frame());
        let after = self.t.stats();
        self.rx.verify(&p, &before, &after);
        self.rx.apply(&p);
        model::check_delivery(&mut self.server, out.class, &p);
        if state.has_socket()
            && p.outcome != Outcome::Oversized
            && self.t.config().any_frame_is_alive
        {
            self.beats.proof_of_life();
        }
        model::check_ack(&mut self.beats, &p, &before, &after);
        if p.drop.is_some() {
            assert!(
                !self.t.state().has_socket(),
                "{:?} left the socket up",
                p.outcome
            );
        } else if state.has_socket() {
            assert_eq!(
                self.t.state(),
                state,
                "a frame changed the socket's state ({:?})",
                p.outcome
            );
        }
        let transmits = self.after_input(false);
        model::check_drop(&p, &transmits);
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
            typed => match client_message(typed, &self.token, self.t.seq_ack()) {
                Some(message) => self.t.send(message),
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
        let before = self.t.stats();
        self.t.handle_timeout(now);
        let after = self.t.stats();
        let missed = after.heartbeats_missed - before.heartbeats_missed;
        if missed == 1 && after.heartbeats_sent == before.heartbeats_sent {
            self.beats.zombie();
        }
        self.in_timeout = true;
        self.after_input(false);
        self.in_timeout = false;
    }

    /// Drains and checks what one input produced; returns the transmits.
    fn after_input(&mut self, from_app: bool) -> Vec<Transmit> {
        assert_eq!(
            self.t.seq_ack(),
            self.rx.ack,
            "seq_ack is not the last numbered message received"
        );
        let mut transmits = Vec::new();
        while let Some(t) = self.t.poll_transmit() {
            self.check_transmit(&t, from_app);
            transmits.push(t);
        }
        let bound = self.t.config().max_outbound_frames + SLACK;
        assert!(
            transmits.len() <= bound,
            "{} transmits from one input (bound {bound})",
            transmits.len()
        );
        if self.terminated {
            assert_eq!(self.t.poll_timeout(), None, "a timer survived force_close");
            assert_eq!(self.t.state(), State::Terminated);
        }
        if !self.t.state().has_socket() {
            self.writable = false;
            self.server.socket_lost();
        }
        self.inputs_since_drain += 1;
        if !self.header.lazy_owner() || self.settling {
            self.take_events(0);
        }
        transmits
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
        let received = self.rx.ack.map_or(-1, i64::from);
        match sent {
            Sent::Heartbeat { nonce, seq_ack } => {
                assert!(nonce < NONCE_LIMIT, "nonce {nonce} is not below 2^53");
                if let Some(last) = self.socket_nonce {
                    assert!(nonce > last, "nonce {nonce} does not rise after {last}");
                }
                self.socket_nonce = Some(nonce);
                self.server.heard_heartbeat(nonce);
                self.beats.sent(nonce, self.in_timeout);
                assert_eq!(
                    seq_ack, received,
                    "heartbeat carries seq_ack {seq_ack}, not the last seq received"
                );
            }
            Sent::Resume { seq_ack, .. } => assert_eq!(
                seq_ack, received,
                "Resume carries seq_ack {seq_ack}, not the last seq received"
            ),
            _ => {}
        }
    }

    /// Takes up to `n` events (0: all), checking each.
    fn take_events(&mut self, n: usize) {
        let mut count = 0;
        while n == 0 || count < n {
            let Some(event) = self.t.poll_event() else {
                let bound = self.t.config().max_pending_events + SLACK * self.inputs_since_drain;
                assert!(count <= bound, "{count} events queued (bound {bound})");
                self.inputs_since_drain = 0;
                return;
            };
            count += 1;
            assert_eq!(
                self.t.seq_ack(),
                self.rx.ack,
                "taking {event:?} moved seq_ack"
            );
            self.check_event(&event);
        }
    }

    fn check_event(&mut self, event: &Event) {
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
        }
        if let Event::Message(incoming) = event {
            assert!(
                !matches!(incoming.message, ServerMessage::HeartbeatAck(_)),
                "an ACK surfaced as a message"
            );
            let expected = self
                .rx
                .take()
                .unwrap_or_else(|| panic!("{incoming:?} delivered, but no message is queued"));
            assert_eq!(
                incoming, &expected,
                "delivered out of order, twice, or altered"
            );
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

    /// Plays a well-behaved owner and server until the transport has
    /// received every fresh message of the server session: exactly-once
    /// delivery is also "eventually".
    fn settle(&mut self) {
        use crate::ops::{SeqChoice, ServerText};
        self.settling = true;
        for _ in 0..8 {
            self.take_events(0);
            let max = self.t.config().max_message_size;
            if self.server.caught_up() || self.server.largest_owed() > max {
                // Done, or owed a message the client can never take.
                return;
            }
            match self.t.state() {
                State::Open => self.step(&Op::Text(ServerText::Resumed(SeqChoice::None))),
                State::CloseSent => {
                    clock::wake(self);
                }
                State::Terminated => return,
                _ => self.step(&Op::Open),
            }
        }
        panic!("fresh messages were never received");
    }

    fn finish(&mut self) {
        if self.strict() && !self.terminated {
            self.settle();
        }
        self.take_events(0);
        self.t.force_close(CloseCode::NORMAL);
        self.terminated = true;
        self.after_input(false);
        self.take_events(0);
        assert_eq!(
            self.rx.pending(),
            0,
            "messages received but never delivered"
        );
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
