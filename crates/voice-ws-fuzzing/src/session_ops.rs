//! Target `session`: a [`Session`] driven by an op program, with a driver
//! that (unless told otherwise) keeps the contract: it opens a socket only
//! when asked through `poll_connect`.

use bytes::Bytes;
use core::time::Duration;
use voice_ws_proto::SendError;
use voice_ws_proto::{
    CloseCode, Credentials, Endpoint, Event, Incoming, Instant, Invalidation, Outgoing, Phase,
    ServerMessage, Session, State, Transmit,
};

use crate::app_send::{SERVER_ID, USER_ID, client_message};
use crate::clock::{self, Clocked};
use crate::model::{self, Outcome, Prediction};
use crate::ops::{self, AppSend, Header, Op};
use crate::rig::{Rig, Seen};
use crate::server::Out;
use crate::wire::{self, Sent};

const ENDPOINT: &str = "voice.example.invalid:443";
const URL: &str = "wss://voice.example.invalid:443/?v=8";

/// Runs the op program in `data` (see the `ops` module for its format)
/// against a [`Session`], asserting after every input:
///
/// - every frame meets the fate the rules give it, as for the transport
///   (docs/protocol.md, "seq_ack"), with the session's event queue as the
///   one that counts: a numbered message arriving while it is full is
///   refused (`messages_refused`, `seq_ack` unchanged, close 4000 + Abort);
/// - `seq_ack` is the last numbered message queued, whether taken or not,
///   reset by each Identify, new credentials and invalidation; taking
///   events never moves it; heartbeats and Resume carry it;
/// - exactly once: with a driver that keeps the contract, every message
///   the harness's server sends with a fresh seq (see `server.rs`; it
///   buffers and replays after the Resume's `seq_ack` like Discord) is
///   received once and in order across any number of drops and resumes
///   while its server session lasts, and a repeat never is; every message
///   event the owner takes is the next message queued (nothing lost,
///   doubled or reordered between queue and owner), and none is left at
///   the end; numbered messages waiting never exceed `max_pending_events`;
/// - per credentials: Identify never after Ready, Resume never before
///   Ready (before Ready a new socket identifies again, with the same
///   credentials); Resumed only completes a Resume;
/// - (an owner that drains at once, driver keeping the contract)
///   reconnect attempts count up by one and restart only after progress
///   (Ready; on a resumed socket a new numbered message, or
///   `resume_stable_after` up); `Reconnecting::resume` says whether the
///   session reached Ready; `resume_loop_limit` unproven resumes that end
///   alike end in `ResumeLoop`, a cap run out in `AttemptsExhausted`; a
///   server close decides as the close-code table says (4020 fatal);
/// - ACKs: one of the socket's last `tolerance` unanswered beats counts,
///   one never sent on this socket (or answered) never does; a zombie only
///   after `tolerance` unanswered beats; RTT never exceeds the socket's age;
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

/// What a close code asks of the session (docs/protocol.md, "Close codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    Resume,
    NewSession,
    Stop,
    Fatal,
}

fn policy(code: u16) -> Policy {
    match code {
        1000 | 1001 | 1005 | 1006 | 4015 => Policy::Resume,
        4004 | 4012 | 4016 | 4017 | 4020 => Policy::Fatal,
        4014 | 4021 | 4022 => Policy::Stop,
        4000..=4999 => Policy::NewSession,
        _ => Policy::Resume,
    }
}

/// How a resumed socket ended, for the resume-loop rule.
type Ending = (Option<CloseCode>, bool, Option<u16>);

/// The reconnect rules' bookkeeping (kept for an owner that drains at once).
#[derive(Debug, Default)]
struct Progress {
    /// Reconnect attempts since the last progress.
    attempt: u32,
    /// The current socket made progress.
    proven: bool,
    /// When a resumed socket that stays up counts as progress.
    stable_at_ms: Option<u64>,
    /// How the last unproven resumed socket ended, and how many in a row.
    last_failure: Option<(Ending, u32)>,
    /// What the policy event after the last `Disconnected` must be.
    expect: Option<Expect>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// `Reconnecting`, or `AttemptsExhausted` when the cap runs out.
    Reconnect,
    Loop {
        resumes: u32,
        seq_ack: Option<u16>,
    },
    Invalidated(Option<CloseCode>),
    Stopped(Option<CloseCode>),
    Fatal(CloseCode),
}

impl Progress {
    fn made(&mut self) {
        self.proven = true;
        self.attempt = 0;
        self.last_failure = None;
        self.stable_at_ms = None;
    }
}

struct Harness {
    s: Session,
    /// Clock, server, model and socket bookkeeping shared with `transport`.
    rig: Rig,
    /// Index of the current credentials.
    creds: u32,
    /// The session reached Ready on the current credentials.
    ready: bool,
    progress: Progress,
    /// The owner closed (`c`, `F`): drops end the session.
    app_closed: bool,
    /// The input being checked replaces the credentials.
    replacing: bool,
    /// The server cannot serve the Resume just sent: it closes 4006.
    refuse_resume: bool,
    /// A connect was requested and the driver is dialing.
    dialing: bool,
    /// The session was stopped, failed or invalidated at the last check.
    dead: bool,
    /// Sends the session accepted, sends written, sends handed back.
    accepted: u64,
    written: u64,
    unsent: u64,
    next_text_id: u64,
    last_text_id: Option<u64>,
}

fn credentials(n: u32, dave: u16) -> Credentials {
    Credentials {
        server_id: SERVER_ID.into(),
        channel_id: "127121515262115840".into(),
        user_id: USER_ID.into(),
        session_id: format!("session{n}"),
        token: wire::token(n).into(),
        endpoint: Endpoint::parse(ENDPOINT, false).unwrap_or_else(|e| panic!("{e}")),
        max_dave_protocol_version: dave,
    }
}

/// The event the session makes of a queued message.
fn session_event(incoming: Incoming) -> Event {
    match incoming.message {
        ServerMessage::Hello(hello) => Event::Hello {
            heartbeat_interval: hello.heartbeat_interval,
        },
        ServerMessage::Ready(ready) => Event::Ready(ready),
        ServerMessage::Resumed => Event::Resumed,
        ServerMessage::SessionDescription(sd) => Event::SessionDescription(sd),
        message => Event::Message(Incoming {
            seq: incoming.seq,
            message,
        }),
    }
}

impl Harness {
    fn new(header: Header) -> Self {
        let config = header.session_config();
        Self {
            rig: Rig::new(header, &config.transport),
            s: Session::new(config, credentials(0, header.dave())),
            creds: 0,
            ready: false,
            progress: Progress::default(),
            app_closed: false,
            replacing: false,
            refuse_resume: false,
            dialing: false,
            dead: false,
            accepted: 0,
            written: 0,
            unsent: 0,
            next_text_id: 0,
            last_text_id: None,
        }
    }

    /// Whether the reconnect rules are checked event by event: the owner
    /// takes every event right after its input, and the driver keeps the
    /// contract.
    fn eager(&self) -> bool {
        self.rig.strict() && !self.rig.header.lazy_owner()
    }

    fn start(&mut self) {
        self.s.start(self.rig.now());
        self.after_input(false);
    }

    fn step(&mut self, op: &Op) {
        let now = self.rig.now();
        match op {
            Op::Open => {
                if !self.rig.strict() || self.dialing {
                    self.dialing = false;
                    let connecting = self.s.phase() == Phase::Connecting;
                    self.s.handle_open(now);
                    if connecting && self.s.state() == State::Open {
                        self.rig.socket_opened();
                    }
                }
            }
            Op::Text(text) => {
                let outs = self.rig.server.text(text, self.rig.now_ms);
                return self.frames_in(outs);
            }
            Op::Binary(binary) => {
                let outs = self.rig.server.binary(binary);
                return self.frames_in(outs);
            }
            Op::Close(code) => {
                if !self.rig.strict() || self.dialing || self.s.state().has_socket() {
                    self.dialing = false;
                    self.s.handle_close(now, *code);
                }
            }
            Op::Advance(ms) => return clock::advance(self, *ms),
            Op::Send(send) => self.send(send),
            Op::HeartbeatNow => self.s.heartbeat_now(now),
            Op::HeartbeatIn(ms) => self
                .s
                .heartbeat_in(now, Duration::from_millis(u64::from(*ms))),
            Op::CloseGracefully(_) => {
                self.app_closed = true;
                self.s.close(now);
            }
            Op::Oversized(size) => self.s.handle_oversized(now, *size as usize),
            Op::ForceClose(code) => {
                self.app_closed = true;
                self.s.force_close(CloseCode(*code));
                self.rig.terminated = true;
            }
            Op::UpdateCredentials => {
                self.creds += 1;
                let creds = credentials(self.creds, self.rig.header.dave());
                self.s.update_credentials(now, creds);
                if !self.rig.terminated {
                    // A fresh session: nothing received, not Ready.
                    self.rig.rx.reset();
                    self.ready = false;
                    self.app_closed = false;
                    self.progress.attempt = 0;
                    self.progress.last_failure = None;
                    self.replacing = true;
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
        self.replacing = false;
        if std::mem::take(&mut self.refuse_resume) {
            self.rig.refuse_resume(&mut self.s);
            self.after_input(false);
        }
    }

    fn check_debug(&self) {
        wire::assert_no_token_in_debug(&self.s, "session");
    }

    /// Feeds what the server sent, in order, while the socket lasts.
    fn frames_in(&mut self, outs: Vec<Out>) {
        if outs.is_empty() {
            self.after_input(false);
        }
        for out in outs {
            if !self.rig.frame_reaches(&self.s) {
                break;
            }
            let phase = self.s.phase();
            let p = self.rig.feed_frame(&mut self.s, &out);
            self.on_received(&p, phase);
            let transmits = self.after_input(false);
            model::check_drop(&p, &transmits);
        }
    }

    /// The handshake and progress rules for a frame handled in `phase`.
    fn on_received(&mut self, p: &Prediction, phase: Phase) {
        if p.outcome != Outcome::Accepted {
            return;
        }
        let handshake = matches!(phase, Phase::Identifying | Phase::Resuming);
        if p.seq().is_some() && matches!(phase, Phase::Resuming | Phase::Active) {
            // A message after the resume point.
            self.progress.made();
        }
        if p.accepted(|m| matches!(m, ServerMessage::Ready(_))) && handshake {
            self.ready = true;
            self.progress.made();
        }
        if p.accepted(|m| matches!(m, ServerMessage::Resumed)) {
            if phase == Phase::Identifying {
                assert_ne!(
                    self.s.phase(),
                    Phase::Active,
                    "Resumed completed an Identify"
                );
            }
            if phase == Phase::Resuming && !self.progress.proven {
                let stable = self.s.config().resume_stable_after;
                self.progress.stable_at_ms = Some(self.rig.now_ms + stable.as_millis() as u64);
            }
        }
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

    fn timeout(&mut self) {
        let stable = self
            .progress
            .stable_at_ms
            .is_some_and(|at| at <= self.rig.now_ms);
        if stable && self.s.phase() == Phase::Active {
            // A resumed socket that stayed up long enough.
            self.progress.made();
        }
        self.rig.handle_timeout(&mut self.s);
        self.rig.in_timeout = true;
        self.after_input(false);
        self.rig.in_timeout = false;
    }

    /// Drains and checks what one input produced; returns the transmits.
    fn after_input(&mut self, new_credentials: bool) -> Vec<Transmit> {
        // The documented drain order: transmits (they belong to the current
        // socket), events, then the connect request.
        let mut transmits = Vec::new();
        while let Some(t) = self.s.poll_transmit() {
            self.check_transmit(&t);
            transmits.push(t);
        }
        self.rig
            .check_transmit_count(&transmits, self.s.config().transport.max_outbound_frames);
        self.rig.inputs_since_drain += 1;
        let has_socket = self.s.state().has_socket();
        self.rig.note_socket(has_socket);
        if !has_socket {
            self.progress.stable_at_ms = None;
        }
        if self.rig.drains_now() {
            self.take_events(0);
        }
        if self.s.phase() == Phase::NeedsCredentials {
            // Invalidated: a new session starts at nothing received.
            self.rig.rx.reset();
            self.ready = false;
            self.progress.last_failure = None;
        }
        assert_eq!(
            self.s.seq_ack(),
            self.rig.rx.ack,
            "seq_ack is not the last numbered message received"
        );
        if let Some(url) = self.s.poll_connect() {
            assert!(!self.rig.terminated, "connect requested after force_close");
            assert!(
                !self.dead || new_credentials,
                "a stopped or invalidated session asked for a socket"
            );
            assert_eq!(url, URL);
            // The driver drops any socket or attempt it has and dials.
            self.dialing = true;
            self.rig.writable = false;
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
        if self.rig.terminated {
            assert_eq!(self.s.poll_timeout(), None, "a timer survived force_close");
            assert_eq!(self.s.state(), State::Terminated);
        }
        self.check_accounting(self.rig.header.lazy_owner());
        transmits
    }

    fn check_phase_and_state(&self) {
        let (phase, state) = (self.s.phase(), self.s.state());
        let consistent = match phase {
            Phase::Identifying | Phase::Resuming | Phase::Active => state == State::Open,
            Phase::Closing => state == State::CloseSent,
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
        self.rig.check_written(t);
        if self.rig.strict() && matches!(t, Transmit::Abort) {
            // The driver drops the socket, or the attempt it is dialing.
            self.dialing = false;
        }
        if self.rig.terminated {
            assert_eq!(t, &Transmit::Abort, "transmit after force_close");
        }
        let sent = wire::classify(t);
        if wire::carries_token(t) {
            assert!(
                matches!(sent, Sent::Identify(_) | Sent::Resume { .. }),
                "the token leaked into {t:?}"
            );
        }
        let token = wire::token(self.creds);
        let received = self.rig.received();
        match sent {
            Sent::Identify(text) => {
                assert!(
                    !self.ready,
                    "Identify after Ready on the same credentials (a new session loses the buffered messages)"
                );
                assert!(text.contains(&token), "Identify without the current token");
                // A new server session: the core starts at nothing received.
                self.rig.rx.reset();
                self.rig.server.identified();
                self.progress.proven = false;
                self.progress.stable_at_ms = None;
            }
            Sent::Resume { text, seq_ack } => {
                assert!(self.ready, "Resume before Ready: nothing to resume");
                assert!(text.contains(&token), "Resume without the current token");
                assert_eq!(
                    seq_ack, received,
                    "Resume carries seq_ack {seq_ack}, not the last seq received"
                );
                self.refuse_resume = !self.rig.server.resumed(seq_ack);
                self.progress.proven = false;
                self.progress.stable_at_ms = None;
            }
            Sent::Heartbeat { nonce, seq_ack } => self.rig.check_heartbeat(nonce, seq_ack),
            Sent::App => {
                self.written += 1;
                if let Transmit::Text(text) = t
                    && let Some(id) = app_text_id(text)
                {
                    if let Some(last) = self.last_text_id {
                        assert!(id > last, "raw text {id} written after {last}");
                    }
                    self.last_text_id = Some(id);
                }
            }
            Sent::Close | Sent::Abort => {}
        }
    }

    /// Takes up to `n` events (0: all), checking each.
    fn take_events(&mut self, n: usize) {
        let mut count = 0;
        while n == 0 || count < n {
            let ack = self.s.seq_ack();
            let Some(event) = self.s.poll_event() else {
                let max = self.s.config().transport.max_pending_events;
                return self.rig.drained(count, max);
            };
            count += 1;
            assert_eq!(self.s.seq_ack(), ack, "taking {event:?} moved seq_ack");
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
        if matches!(
            event,
            Event::Hello { .. }
                | Event::Ready(_)
                | Event::SessionDescription(_)
                | Event::Resumed
                | Event::Message(_)
        ) {
            let expected = self
                .rig
                .rx
                .take()
                .unwrap_or_else(|| panic!("{event:?} delivered, but no message is queued"));
            assert_eq!(
                event,
                &session_event(expected),
                "delivered out of order, twice, or altered"
            );
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
        if self.eager() {
            self.check_policy(event);
        }
    }

    /// The reconnect and close-code rules, event by event.
    fn check_policy(&mut self, event: &Event) {
        let max = self.s.config().max_reconnect_attempts;
        match *event {
            Event::Disconnected { code, by_self, .. } => {
                if self.replacing || self.app_closed {
                    return;
                }
                let policy = match code {
                    Some(code) if !by_self => policy(code.0),
                    _ => Policy::Resume,
                };
                self.progress.expect = Some(match policy {
                    Policy::Resume => self.resume_failure(code, by_self),
                    Policy::NewSession => Expect::Invalidated(code),
                    Policy::Stop => Expect::Stopped(code),
                    Policy::Fatal => Expect::Fatal(code.unwrap_or(CloseCode(1006))),
                });
            }
            Event::Reconnecting {
                attempt, resume, ..
            } => {
                let expect = self.progress.expect.take();
                assert!(
                    matches!(expect, None | Some(Expect::Reconnect)),
                    "Reconnecting where {expect:?} was due"
                );
                assert_eq!(
                    attempt,
                    self.progress.attempt + 1,
                    "attempt {attempt} after {} (reset only on progress)",
                    self.progress.attempt
                );
                assert!(attempt <= max, "attempt {attempt} past the cap {max}");
                assert_eq!(resume, self.ready, "Reconnecting says resume: {resume}");
                self.progress.attempt = attempt;
            }
            Event::SessionInvalidated { code, reason } => {
                let expect = self.progress.expect.take();
                match reason {
                    Invalidation::ClosedByServer => assert_eq!(
                        expect,
                        Some(Expect::Invalidated(code)),
                        "invalidated by the server's {code:?}"
                    ),
                    Invalidation::AttemptsExhausted { attempts } => {
                        assert!(
                            matches!(expect, None | Some(Expect::Reconnect)),
                            "AttemptsExhausted where {expect:?} was due"
                        );
                        assert_eq!(
                            (attempts, self.progress.attempt),
                            (max, max),
                            "AttemptsExhausted {{ attempts: {attempts} }}"
                        );
                    }
                    Invalidation::ResumeLoop { resumes, seq_ack } => assert_eq!(
                        expect,
                        Some(Expect::Loop { resumes, seq_ack }),
                        "ResumeLoop {{ resumes: {resumes}, seq_ack: {seq_ack:?} }}"
                    ),
                    other => panic!("unknown invalidation {other:?}"),
                }
            }
            Event::Stopped { code } => {
                let expect = self.progress.expect.take();
                assert!(
                    matches!(expect, None | Some(Expect::Stopped(_))),
                    "Stopped where {expect:?} was due"
                );
                if let Some(expect) = expect {
                    assert_eq!(expect, Expect::Stopped(code), "Stopped with {code:?}");
                }
            }
            Event::Fatal { code, .. } => {
                let expect = self.progress.expect.take();
                assert_eq!(expect, Some(Expect::Fatal(code)), "Fatal with {code:?}");
            }
            _ => {}
        }
    }

    /// A resumable drop: counts toward a resume loop when the socket was
    /// a resumed one (the session had reached Ready) without progress.
    fn resume_failure(&mut self, code: Option<CloseCode>, by_self: bool) -> Expect {
        if !self.ready || self.progress.proven {
            return Expect::Reconnect;
        }
        let ending = (code, by_self, self.rig.rx.ack);
        let repeats = match self.progress.last_failure {
            Some((last, n)) if last == ending => n + 1,
            _ => 1,
        };
        self.progress.last_failure = Some((ending, repeats));
        if repeats >= self.s.config().resume_loop_limit.max(1) {
            Expect::Loop {
                resumes: repeats,
                seq_ack: self.rig.rx.ack,
            }
        } else {
            Expect::Reconnect
        }
    }

    /// Plays a well-behaved driver, owner and server until the client has
    /// received every fresh message of the server session, as long as the
    /// session stays valid: exactly-once delivery is also "eventually".
    fn settle(&mut self) {
        use crate::ops::{SeqChoice, ServerText};
        self.rig.settling = true;
        // Enough for any resume loop and attempt cap the header can pick.
        for _ in 0..64 {
            self.take_events(0);
            if self.rig.server.caught_up() {
                return;
            }
            match self.s.phase() {
                Phase::Connecting if self.dialing => {
                    self.step(&Op::Open);
                    self.step(&Op::Text(ServerText::Hello {
                        style: 0,
                        interval_ms: 5000,
                    }));
                }
                Phase::Connecting | Phase::WaitingToReconnect => {
                    if !clock::wake(self) {
                        break;
                    }
                }
                // Resumed (again) brings the replay the server owes.
                Phase::Resuming | Phase::Active => {
                    self.step(&Op::Text(ServerText::Resumed(SeqChoice::None)));
                }
                // Identifying: a new server session, nothing owed.
                // Otherwise the session is no longer valid.
                _ => return,
            }
        }
        let phase = self.s.phase();
        assert!(
            matches!(
                phase,
                Phase::NeedsCredentials | Phase::Stopped | Phase::Failed | Phase::Closing
            ),
            "the session is {phase:?}, yet fresh messages were never received"
        );
    }

    fn finish(&mut self) {
        if self.rig.strict() && !self.rig.terminated {
            self.settle();
        }
        self.check_debug();
        self.take_events(0);
        self.check_accounting(false);
        self.s.force_close(CloseCode::NORMAL);
        self.rig.terminated = true;
        self.app_closed = true;
        self.after_input(false);
        self.take_events(0);
        self.check_accounting(false);
        assert_eq!(
            self.rig.rx.pending(),
            0,
            "messages received but never delivered"
        );
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
        &mut self.rig.now_ms
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.s.poll_timeout()
    }

    fn on_timeout(&mut self) {
        self.timeout();
    }
}
