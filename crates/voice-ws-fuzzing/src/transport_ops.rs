//! Target `transport`: a [`Transport`] driven by an op program.

use bytes::Bytes;
use core::time::Duration;
use voice_ws_proto::SendError;
use voice_ws_proto::transport::Event;
use voice_ws_proto::{CloseCode, Instant, ServerMessage, State, Transmit, Transport};

use crate::app_send::client_message;
use crate::clock::{self, Clocked};
use crate::model;
use crate::ops::{self, AppSend, Header, Op};
use crate::rig::{Rig, Seen};
use crate::server::Out;
use crate::wire::{self, Sent};

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
    /// Clock, server, model and socket bookkeeping shared with `session`.
    rig: Rig,
    token: String,
    /// The owner has identified once; later sockets resume.
    identified: bool,
}

impl Harness {
    fn new(header: Header) -> Self {
        let config = header.transport_config();
        Self {
            rig: Rig::new(header, &config),
            t: Transport::new(config),
            token: wire::token(0),
            identified: false,
        }
    }

    fn step(&mut self, op: &Op) {
        let now = self.rig.now();
        let mut app_sends = 0;
        match op {
            Op::Open => return self.open(),
            Op::Text(text) => {
                let outs = self.rig.server.text(text, self.rig.now_ms);
                return self.frames_in(outs);
            }
            Op::Binary(binary) => {
                let outs = self.rig.server.binary(binary);
                return self.frames_in(outs);
            }
            Op::Close(code) => {
                if !self.rig.strict() || self.t.state().has_socket() {
                    self.t.handle_close(now, *code);
                }
            }
            Op::Advance(ms) => return clock::advance(self, *ms),
            Op::Send(send) => app_sends = self.send(send),
            Op::HeartbeatNow => self.t.heartbeat_now(now),
            Op::HeartbeatIn(ms) => self
                .t
                .heartbeat_in(now, Duration::from_millis(u64::from(*ms))),
            Op::CloseGracefully(code) => self.t.close(now, CloseCode(*code)),
            Op::Oversized(size) => self.oversized(*size as usize),
            Op::ForceClose(code) => {
                self.t.force_close(CloseCode(*code));
                self.rig.terminated = true;
            }
            // A bare transport has no credentials to update.
            Op::UpdateCredentials => {}
            Op::TakeEvents(n) => return self.take_events(usize::from(*n)),
        }
        if matches!(op, Op::Send(_)) {
            // An Identify or Resume may be queued now.
            self.check_debug();
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
        if self.rig.strict() && self.t.state().has_socket() {
            return;
        }
        self.t.handle_open(self.rig.now());
        if self.t.state() != State::Open {
            self.after_input(false);
            return;
        }
        self.rig.socket_opened();
        let mut served = true;
        if self.rig.strict() {
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
                served = self
                    .rig
                    .server
                    .resumed(self.t.seq_ack().map_or(-1, i64::from));
            } else {
                self.rig.server.identified();
            }
            self.identified = true;
        }
        self.check_debug();
        self.after_input(false);
        if !served {
            self.rig.refuse_resume(&mut self.t);
            self.after_input(false);
        }
    }

    fn check_debug(&self) {
        wire::assert_no_token_in_debug(&self.t, "transport");
    }

    /// Feeds what the server sent, in order, while the socket lasts.
    fn frames_in(&mut self, outs: Vec<Out>) {
        if outs.is_empty() {
            // Nothing reached the client; time and checks go on.
            self.after_input(false);
        }
        for out in outs {
            if !self.rig.frame_reaches(&self.t) {
                break;
            }
            let p = self.rig.feed_frame(&mut self.t, &out);
            let transmits = self.after_input(false);
            model::check_drop(&p, &transmits);
        }
    }

    fn oversized(&mut self, size: usize) {
        let had_socket = self.t.state().has_socket();
        self.t.handle_oversized(self.rig.now(), size);
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

    fn timeout(&mut self) {
        self.rig.handle_timeout(&mut self.t);
        self.rig.in_timeout = true;
        self.after_input(false);
        self.rig.in_timeout = false;
    }

    /// Drains and checks what one input produced; returns the transmits.
    fn after_input(&mut self, from_app: bool) -> Vec<Transmit> {
        assert_eq!(
            self.t.seq_ack(),
            self.rig.rx.ack,
            "seq_ack is not the last numbered message received"
        );
        let mut transmits = Vec::new();
        while let Some(t) = self.t.poll_transmit() {
            self.check_transmit(&t, from_app);
            transmits.push(t);
        }
        self.rig
            .check_transmit_count(&transmits, self.t.config().max_outbound_frames);
        if self.rig.terminated {
            assert_eq!(self.t.poll_timeout(), None, "a timer survived force_close");
            assert_eq!(self.t.state(), State::Terminated);
        }
        self.rig.note_socket(self.t.state().has_socket());
        self.rig.inputs_since_drain += 1;
        if self.rig.drains_now() {
            self.take_events(0);
        }
        transmits
    }

    fn check_transmit(&mut self, t: &Transmit, from_app: bool) {
        self.rig.check_written(t);
        assert!(!self.rig.terminated, "transmit after force_close: {t:?}");
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
        match sent {
            Sent::Heartbeat { nonce, seq_ack } => self.rig.check_heartbeat(nonce, seq_ack),
            Sent::Resume { seq_ack, .. } => assert_eq!(
                seq_ack,
                self.rig.received(),
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
                let max = self.t.config().max_pending_events;
                return self.rig.drained(count, max);
            };
            count += 1;
            assert_eq!(
                self.t.seq_ack(),
                self.rig.rx.ack,
                "taking {event:?} moved seq_ack"
            );
            self.check_event(&event);
        }
    }

    fn check_event(&mut self, event: &Event) {
        let seen = match *event {
            Event::HeartbeatAck { rtt } => Seen::HeartbeatAck(rtt),
            Event::Connected => Seen::Connected,
            Event::Disconnected { .. } => Seen::Disconnected,
            _ => Seen::Other,
        };
        self.rig.check_event_common(&format!("{event:?}"), seen);
        if let Event::Message(incoming) = event {
            assert!(
                !matches!(incoming.message, ServerMessage::HeartbeatAck(_)),
                "an ACK surfaced as a message"
            );
            let expected = self
                .rig
                .rx
                .take()
                .unwrap_or_else(|| panic!("{incoming:?} delivered, but no message is queued"));
            assert_eq!(
                incoming, &expected,
                "delivered out of order, twice, or altered"
            );
        }
    }

    /// Plays a well-behaved owner and server until the transport has
    /// received every fresh message of the server session: exactly-once
    /// delivery is also "eventually".
    fn settle(&mut self) {
        use crate::ops::{SeqChoice, ServerText};
        self.rig.settling = true;
        for _ in 0..8 {
            self.take_events(0);
            let max = self.t.config().max_message_size;
            if self.rig.server.caught_up() || self.rig.server.largest_owed() > max {
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
        if self.rig.strict() && !self.rig.terminated {
            self.settle();
        }
        self.take_events(0);
        self.t.force_close(CloseCode::NORMAL);
        self.rig.terminated = true;
        self.after_input(false);
        self.take_events(0);
        assert_eq!(
            self.rig.rx.pending(),
            0,
            "messages received but never delivered"
        );
        assert_eq!(self.t.poll_transmit(), None);
        assert_eq!(self.t.poll_timeout(), None);
    }
}

impl Clocked for Harness {
    fn clock_ms(&mut self) -> &mut u64 {
        &mut self.rig.now_ms
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.t.poll_timeout()
    }

    fn on_timeout(&mut self) {
        self.timeout();
    }
}
