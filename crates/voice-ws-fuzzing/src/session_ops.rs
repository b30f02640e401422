//! Target `session`: a [`Session`] driven by an op program, with a driver
//! that (unless told otherwise) keeps the contract: it opens a socket only
//! when asked through `poll_connect`.

use bytes::Bytes;
use core::time::Duration;
use std::collections::HashSet;
use voice_ws_proto::transport::SendError;
use voice_ws_proto::{
    CloseCode, Credentials, Endpoint, Event, Frame, Incoming, Instant, Outgoing, Phase, Session,
    State, Transmit,
};

use crate::clock::{self, Clocked};
use crate::ops::{self, AppSend, Header, Op};
use crate::server::Server;
use crate::transport_ops::client_message;
use crate::wire::{self, NONCE_LIMIT, Sent, TOKEN_STEM};

/// Outputs one input may produce beyond the configured queue bounds.
const SLACK: usize = 8;

const ENDPOINT: &str = "voice.example.invalid:443";
const URL: &str = "wss://voice.example.invalid:443/?v=8";

/// Runs the op program in `data` (see the `ops` module for its format)
/// against a [`Session`], asserting after every input:
///
/// - `seq_ack` only changes when the owner takes a server message (then,
///   for a `Message`, to its seq) or is reset to none by a new session;
///   heartbeats carry a delivered seq, Resume carries exactly `seq_ack`;
/// - after `handle_timeout(now)`, `poll_timeout` is not before `now`;
/// - nothing but an abort is transmitted after `force_close`, no timer and
///   no connect request remains;
/// - `pending_sends() <= max_pending_sends`; per input at most
///   `max_outbound_frames` + 8 transmits and `max_pending_events` + 8
///   events (8 per input for a lazy owner);
/// - every accepted send is written, handed back in `Unsent`, or still
///   held: never silently dropped, and raw texts go out in order;
/// - the token appears in no transmit but Identify and Resume (which carry
///   the current token), in no event and in no `Debug` of the session;
/// - Identify goes out once per credentials, never after a drop; Resume
///   only after Identify;
/// - a stopped, failed or invalidated session stays so, and asks for no
///   socket, until `update_credentials`;
/// - the phase agrees with the transport's state;
/// - (driver keeps the contract) `Connected` and `Disconnected` alternate,
///   and nothing follows a close frame or abort on the same socket.
pub fn session_ops(data: &[u8]) {
    let (header, program) = ops::parse(data);
    let mut h = Harness::new(header);
    h.start();
    for op in &program {
        h.step(op);
    }
    h.finish();
}

struct Harness {
    s: Session,
    header: Header,
    now_ms: u64,
    server: Server,
    /// Index of the current credentials.
    creds: u32,
    /// Every seq the owner has taken with a message.
    delivered: HashSet<u16>,
    /// A connect was requested and the driver is dialing.
    dialing: bool,
    /// A socket is up and we have not written a close or abort on it.
    writable: bool,
    /// Between `Connected` and `Disconnected` in the event stream.
    connected: bool,
    terminated: bool,
    /// Identify may go out: once per credentials.
    identify_allowed: bool,
    /// The session was stopped, failed or invalidated at the last check.
    dead: bool,
    socket_nonce: Option<u64>,
    /// When the current socket opened (harness clock, ms).
    opened_ms: u64,
    /// Sends the session accepted, sends written, sends handed back.
    accepted: u64,
    written: u64,
    unsent: u64,
    next_text_id: u64,
    last_text_id: Option<u64>,
    inputs_since_drain: usize,
    /// The session was replaced or invalidated since the events were last
    /// drained: messages queued before that must not acknowledge.
    stale_messages: bool,
}

fn credentials(n: u32, dave: u16) -> Credentials {
    Credentials {
        server_id: "41771983423143937".into(),
        user_id: "104694319306248192".into(),
        session_id: format!("session{n}"),
        token: wire::token(n).into(),
        endpoint: Endpoint::parse(ENDPOINT, false).unwrap_or_else(|e| panic!("{e}")),
        max_dave_protocol_version: dave,
    }
}

impl Harness {
    fn new(header: Header) -> Self {
        Self {
            s: Session::new(header.session_config(), credentials(0, header.dave())),
            header,
            now_ms: 0,
            server: Server::default(),
            creds: 0,
            delivered: HashSet::new(),
            dialing: false,
            writable: false,
            connected: false,
            terminated: false,
            identify_allowed: true,
            dead: false,
            socket_nonce: None,
            opened_ms: 0,
            accepted: 0,
            written: 0,
            unsent: 0,
            next_text_id: 0,
            last_text_id: None,
            inputs_since_drain: 0,
            stale_messages: false,
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    fn strict(&self) -> bool {
        !self.header.loose_driver()
    }

    fn start(&mut self) {
        self.s.start(self.now());
        self.after_input(false);
    }

    fn step(&mut self, op: &Op) {
        let now = self.now();
        match op {
            Op::Open => {
                if !self.strict() || self.dialing {
                    self.dialing = false;
                    let connecting = self.s.phase() == Phase::Connecting;
                    self.s.handle_open(now);
                    if connecting && self.s.state() == State::Open {
                        self.writable = true;
                        self.socket_nonce = None;
                        self.opened_ms = self.now_ms;
                    }
                }
            }
            Op::Text(text) => {
                let text = self.server.text(text, self.now_ms);
                self.s.handle_frame(now, Frame::Text(&text));
            }
            Op::Binary(binary) => {
                let bytes = Bytes::from(self.server.binary(binary));
                self.s.handle_frame(now, Frame::Binary(bytes));
            }
            Op::Close(code) => {
                if !self.strict() || self.dialing || self.s.state().has_socket() {
                    self.dialing = false;
                    self.s.handle_close(now, *code);
                }
            }
            Op::Advance(ms) => return self.advance(*ms),
            Op::Send(send) => self.send(send),
            Op::HeartbeatNow => self.s.heartbeat_now(now),
            Op::HeartbeatIn(ms) => self
                .s
                .heartbeat_in(now, Duration::from_millis(u64::from(*ms))),
            Op::CloseGracefully(_) => self.s.close(now),
            Op::Oversized(size) => self.s.handle_oversized(now, *size as usize),
            Op::ForceClose(code) => {
                self.s.force_close(CloseCode(*code));
                self.terminated = true;
            }
            Op::UpdateCredentials => {
                self.creds += 1;
                let creds = credentials(self.creds, self.header.dave());
                self.s.update_credentials(now, creds);
                if !self.terminated {
                    self.identify_allowed = true;
                }
            }
            Op::TakeEvents(n) => return self.take_events(usize::from(*n)),
        }
        if matches!(op, Op::Open | Op::UpdateCredentials) {
            // Where the token is handled, with the greeting still queued.
            // (Formatting after every input would halve the target's speed.)
            self.check_debug();
        }
        self.after_input(matches!(op, Op::UpdateCredentials));
    }

    fn check_debug(&self) {
        let debug = format!("{:?}", self.s);
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into the session's Debug"
        );
    }

    fn send(&mut self, send: &AppSend) {
        let phase = self.s.phase();
        let result = match send {
            AppSend::Text(text) => {
                let id = self.next_text_id;
                self.next_text_id += 1;
                let text = format!("APP#{id}#{}", wire::scrub(text.clone()));
                self.s.send_text(text)
            }
            AppSend::Binary(bytes) => self
                .s
                .send_binary(Bytes::from(wire::scrub_bytes(bytes.clone()))),
            typed => {
                let token = wire::token(self.creds);
                let Some(message) = client_message(typed, &token, self.s.seq_ack()) else {
                    return;
                };
                let control = message.is_control();
                let op = message.op();
                let result = self.s.send(message);
                if control {
                    assert_eq!(
                        result,
                        Err(SendError::Reserved { op }),
                        "op {op} not refused"
                    );
                    return;
                }
                result
            }
        };
        match result {
            Ok(()) => self.accepted += 1,
            Err(SendError::QueueFull { bound }) => {
                assert_eq!(
                    bound,
                    self.s.config().max_pending_sends,
                    "QueueFull names the wrong bound"
                );
                assert_eq!(self.s.pending_sends(), bound, "QueueFull with room left");
            }
            Err(SendError::Ended) => assert!(
                matches!(phase, Phase::Stopped | Phase::Failed | Phase::Closing),
                "Ended in phase {phase:?}"
            ),
            Err(e) => panic!("send in phase {phase:?} refused with {e:?} instead of held"),
        }
    }

    fn advance(&mut self, ms: u32) {
        clock::advance(self, ms);
    }

    fn timeout(&mut self) {
        let now = self.now();
        self.s.handle_timeout(now);
        self.after_input(false);
    }

    /// Drains and checks what one input produced.
    fn after_input(&mut self, new_credentials: bool) {
        // The documented drain order: transmits (they belong to the current
        // socket), events, then the connect request.
        let ack = self.s.seq_ack();
        let mut count = 0;
        while let Some(t) = self.s.poll_transmit() {
            count += 1;
            self.check_transmit(&t);
        }
        let bound = self.s.config().transport.max_outbound_frames + SLACK;
        assert!(
            count <= bound,
            "{count} transmits from one input (bound {bound})"
        );
        assert_eq!(self.s.seq_ack(), ack, "draining transmits moved seq_ack");
        self.inputs_since_drain += 1;
        if new_credentials || self.s.phase() == Phase::NeedsCredentials {
            self.stale_messages = true;
        }
        if !self.header.lazy_owner() {
            self.take_events(0);
        }
        if let Some(url) = self.s.poll_connect() {
            assert!(!self.terminated, "connect requested after force_close");
            assert!(
                !self.dead || new_credentials,
                "a stopped or invalidated session asked for a socket"
            );
            assert_eq!(url, URL);
            // The driver drops any socket or attempt it has and dials.
            self.dialing = true;
            self.writable = false;
        }
        if !self.s.state().has_socket() {
            self.writable = false;
        }
        let phase = self.s.phase();
        let now_dead = matches!(
            phase,
            Phase::Stopped | Phase::Failed | Phase::NeedsCredentials
        );
        assert!(
            !self.dead || now_dead || new_credentials,
            "the session left a dead phase for {phase:?} without new credentials"
        );
        self.dead = now_dead;
        self.check_phase_and_state();
        let pending = self.s.pending_sends();
        let max = self.s.config().max_pending_sends;
        assert!(pending <= max, "{pending} held sends (bound {max})");
        if self.terminated {
            assert_eq!(self.s.poll_timeout(), None, "a timer survived force_close");
            assert_eq!(self.s.state(), State::Terminated);
        }
        self.check_accounting(self.header.lazy_owner());
    }

    fn check_phase_and_state(&self) {
        let (phase, state) = (self.s.phase(), self.s.state());
        let consistent = match phase {
            Phase::Identifying | Phase::Resuming | Phase::Active => state == State::Open,
            Phase::Closing => state == State::Closing,
            _ => !state.has_socket(),
        };
        assert!(consistent, "phase {phase:?} with transport state {state:?}");
    }

    fn check_accounting(&self, events_may_wait: bool) {
        let settled = self.written + self.unsent + self.s.pending_sends() as u64;
        if events_may_wait {
            assert!(settled <= self.accepted, "more sends settled than accepted");
        } else {
            assert_eq!(
                settled,
                self.accepted,
                "accepted sends were dropped: {} written, {} unsent, {} held of {}",
                self.written,
                self.unsent,
                self.s.pending_sends(),
                self.accepted
            );
        }
    }

    fn check_transmit(&mut self, t: &Transmit) {
        let debug = format!("{t:?}");
        assert!(
            !debug.contains(TOKEN_STEM),
            "the token leaked into Debug: {debug}"
        );
        if self.terminated {
            assert_eq!(t, &Transmit::Abort, "transmit after force_close");
        }
        let sent = wire::classify(t);
        if wire::carries_token(t) {
            assert!(
                matches!(sent, Sent::Identify(_) | Sent::Resume { .. }),
                "the token leaked into {t:?}"
            );
        }
        if self.strict() {
            match t {
                Transmit::Text(_) | Transmit::Binary(_) => assert!(
                    self.writable,
                    "data frame written with no socket, or after a close frame: {t:?}"
                ),
                // A second close frame (a drop while a graceful close
                // waits) is tolerated: WebSocket layers ignore it.
                Transmit::Close(_) => self.writable = false,
                Transmit::Abort => {
                    self.writable = false;
                    self.dialing = false;
                }
            }
        }
        let token = wire::token(self.creds);
        match sent {
            Sent::Identify(text) => {
                assert!(
                    self.identify_allowed,
                    "Identify again without new credentials"
                );
                self.identify_allowed = false;
                assert!(text.contains(&token), "Identify without the current token");
            }
            Sent::Resume { text, seq_ack } => {
                assert!(!self.identify_allowed, "Resume before Identify");
                assert!(text.contains(&token), "Resume without the current token");
                let expected = self.s.seq_ack().map_or(-1, i64::from);
                assert_eq!(
                    seq_ack, expected,
                    "Resume carries a seq_ack other than seq_ack()"
                );
                self.server.resumed_from(seq_ack);
            }
            Sent::Heartbeat { nonce, seq_ack } => {
                assert!(nonce < NONCE_LIMIT, "nonce {nonce} is not below 2^53");
                if let Some(last) = self.socket_nonce {
                    assert!(nonce > last, "nonce {nonce} does not rise after {last}");
                }
                self.socket_nonce = Some(nonce);
                self.server.last_nonce = Some(nonce);
                let delivered = u16::try_from(seq_ack).is_ok_and(|s| self.delivered.contains(&s));
                assert!(
                    seq_ack == -1 || delivered,
                    "heartbeat carries seq_ack {seq_ack}, never delivered"
                );
            }
            Sent::App => {
                self.written += 1;
                if let Transmit::Text(text) = t {
                    if let Some(id) = app_text_id(text) {
                        if let Some(last) = self.last_text_id {
                            assert!(id > last, "raw text {id} written after {last}");
                        }
                        self.last_text_id = Some(id);
                    }
                }
            }
            Sent::Close | Sent::Abort => {}
        }
    }

    /// Takes up to `n` events (0: all), checking each.
    fn take_events(&mut self, n: usize) {
        let mut batch = Vec::new();
        let mut drained = false;
        while n == 0 || batch.len() < n {
            let before = self.s.seq_ack();
            let Some(event) = self.s.poll_event() else {
                let count = batch.len();
                let bound =
                    self.s.config().transport.max_pending_events + SLACK * self.inputs_since_drain;
                assert!(count <= bound, "{count} events queued (bound {bound})");
                self.inputs_since_drain = 0;
                drained = true;
                break;
            };
            batch.push((event, before, self.s.seq_ack()));
        }
        // Messages queued before their session ended (new credentials, or
        // invalidated) acknowledge nothing when taken.
        let session_ended = self.stale_messages;
        for (event, before, after) in &batch {
            self.check_event(event, *before, *after, session_ended);
        }
        if drained {
            self.stale_messages = false;
        }
    }

    fn check_event(
        &mut self,
        event: &Event,
        before: Option<u16>,
        after: Option<u16>,
        session_ended: bool,
    ) {
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
        if after != before {
            let seq = after.unwrap_or_else(|| panic!("taking {event:?} reset seq_ack"));
            match event {
                Event::Message(Incoming { seq: Some(s), .. }) => {
                    assert_eq!(*s, seq, "taking a message acked another seq");
                }
                Event::Hello { .. }
                | Event::Ready(_)
                | Event::SessionDescription(_)
                | Event::Resumed => {}
                other => panic!("taking {other:?} moved seq_ack"),
            }
        }
        if let (Event::Message(Incoming { seq: Some(s), .. }), false) = (event, session_ended) {
            assert_eq!(after, Some(*s), "taking a message did not ack its seq");
        }
        if let Some(seq) = after {
            self.delivered.insert(seq);
        }
        if let Event::Unsent(items) = event {
            self.unsent += items.len() as u64;
            for item in items {
                if let Outgoing::Text(text) = item {
                    assert!(
                        app_text_id(text).is_some(),
                        "Unsent holds a text we never sent"
                    );
                }
            }
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
        self.check_debug();
        self.take_events(0);
        self.check_accounting(false);
        self.s.force_close(CloseCode::NORMAL);
        self.terminated = true;
        self.after_input(false);
        self.take_events(0);
        self.check_accounting(false);
        assert_eq!(self.s.poll_connect(), None);
        assert_eq!(self.s.poll_timeout(), None);
        assert_eq!(
            self.s.pending_sends(),
            0,
            "sends still held after force_close"
        );
    }
}

/// The id the harness put at the start of a raw text send.
fn app_text_id(text: &str) -> Option<u64> {
    text.strip_prefix("APP#")?.split('#').next()?.parse().ok()
}

impl Clocked for Harness {
    fn clock_ms(&mut self) -> &mut u64 {
        &mut self.now_ms
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.s.poll_timeout()
    }

    fn on_timeout(&mut self) {
        self.timeout();
    }
}
