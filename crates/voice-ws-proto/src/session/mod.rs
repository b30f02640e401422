//! A voice session's whole life on top of the transport: Identify or
//! Resume, handshake timeouts, the close-code policy, backoff, and sends
//! held while disconnected. Still no I/O: when it wants a socket,
//! [`Session::poll_connect`] names the URL and the driver obeys.

mod backoff;
mod config;
mod connect_error;
mod credentials;
mod endpoint;
mod event;
mod invalidation;
mod phase;
mod resume_loop;
mod socket_loss;
mod timer;

pub use config::SessionConfig;
pub use connect_error::ConnectError;
pub use credentials::Credentials;
pub use endpoint::{Endpoint, EndpointError};
pub use event::{Event, Outgoing};
pub use invalidation::Invalidation;
pub use phase::Phase;
pub use socket_loss::SocketLoss;

use alloc::string::String;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;

use crate::close_code::{CloseClass, CloseCode};
use crate::codec::{ClientMessage, Identify, Incoming, Resume, ServerMessage};
use crate::frame::{Frame, Transmit};
use crate::queue::BoundedQueue;
use crate::send_error::SendError;
use crate::time::Instant;
use crate::transport::{self, State, Stats, Transport};
use backoff::Rng;
use resume_loop::{Ending, ResumeFailures};
use timer::{Timer, TimerTable};

/// A voice gateway session, sans-IO.
///
/// Inputs: `handle_open`, `handle_frame`, `handle_close`,
/// `handle_connect_error`, `handle_timeout`.
/// Outputs, drained after every input in this order: `poll_transmit`
/// (they belong to the current socket), `poll_event`, `poll_connect` (open
/// a socket to this URL, dropping any other socket or attempt), then sleep
/// until `poll_timeout`.
pub struct Session {
    config: SessionConfig,
    credentials: Credentials,
    transport: Transport,
    phase: Phase,
    /// The queue that counts for `seq_ack`: a numbered message is received
    /// when it goes in here.
    events: BoundedQueue<Event>,
    pending: BoundedQueue<Outgoing>,
    /// The session reached Ready on the current credentials: a new socket
    /// resumes it. Before Ready there is nothing to resume (Discord answers
    /// 4006), so a new socket identifies again.
    ready: bool,
    /// The current socket has made progress: Ready, or on a resumed socket
    /// a new message or `resume_stable_after` of uptime.
    proven: bool,
    /// Reconnects since the last progress.
    attempt: u32,
    /// Unproven resumes in a row that ended alike.
    resume_failures: ResumeFailures,
    rng: Rng,
    connect_request: Option<String>,
    /// A socket nobody wants any more (it outlived its connect timeout, or
    /// opened after the session moved on): the next transmit drops it.
    abort_requested: bool,
    /// Why the latest requested socket failed to open; cleared when one
    /// opens.
    last_connect_error: Option<ConnectError>,
    /// Why the current socket ended without a close frame, as the driver
    /// reported it; taken by the `Disconnected` event it explains.
    lost: Option<SocketLoss>,
    timers: TimerTable,
}

impl Session {
    /// A session that will connect once `start` is called.
    pub fn new(config: SessionConfig, credentials: Credentials) -> Self {
        Self {
            transport: Transport::new(config.transport.clone()),
            events: BoundedQueue::new(config.transport.max_pending_events),
            pending: BoundedQueue::new(config.max_pending_sends),
            rng: Rng::new(config.rng_seed),
            config,
            credentials,
            phase: Phase::Idle,
            ready: false,
            proven: false,
            attempt: 0,
            resume_failures: ResumeFailures::default(),
            connect_request: None,
            abort_requested: false,
            last_connect_error: None,
            lost: None,
            timers: TimerTable::default(),
        }
    }

    // ---- getters ----

    /// Where the session is in its life.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The current socket's state.
    pub fn state(&self) -> State {
        self.transport.state()
    }

    /// The last sequence number received, i.e. queued for the application
    /// (`None`: -1).
    pub fn seq_ack(&self) -> Option<u16> {
        self.transport.seq_ack()
    }

    /// The latest heartbeat round-trip time.
    pub fn rtt(&self) -> Option<Duration> {
        self.transport.rtt()
    }

    /// The heartbeat interval from the current socket's Hello.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        self.transport.heartbeat_interval()
    }

    /// Traffic and heartbeat counters over the session's life.
    pub fn stats(&self) -> Stats {
        self.transport.stats()
    }

    /// The credentials in use (Debug redacts the token).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The settings this session runs with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Why the latest requested socket could not be opened; `None` once a
    /// socket opens (and before any attempt failed).
    pub fn last_connect_error(&self) -> Option<&ConnectError> {
        self.last_connect_error.as_ref()
    }

    /// Messages held until the handshake completes.
    pub fn pending_sends(&self) -> usize {
        self.pending.len()
    }

    // ---- inputs ----

    /// Starts the session: the first socket is requested.
    pub fn start(&mut self, now: Instant) {
        if self.phase == Phase::Idle {
            self.request_connect(now);
        }
    }

    /// The socket requested by `poll_connect` is open: Identify or Resume
    /// goes out at once, without waiting for Hello.
    pub fn handle_open(&mut self, now: Instant) {
        if self.phase != Phase::Connecting {
            // A socket nobody asked for any more (it outlived its timeout).
            self.abort_requested = true;
            return;
        }
        self.last_connect_error = None;
        self.transport.handle_open(now);
        self.proven = false;
        let greeting = if self.ready {
            self.enter(Phase::Resuming);
            let creds = &self.credentials;
            ClientMessage::Resume(Resume {
                server_id: creds.server_id.clone(),
                session_id: creds.session_id.clone(),
                token: creds.token.clone(),
                seq_ack: self.transport.seq_ack(),
            })
        } else {
            self.enter(Phase::Identifying);
            // A new server session: its seqs have nothing to do with any
            // earlier socket's.
            self.transport.reset_seq();
            let creds = &self.credentials;
            ClientMessage::Identify(Identify {
                server_id: creds.server_id.clone(),
                user_id: creds.user_id.clone(),
                session_id: creds.session_id.clone(),
                token: creds.token.clone(),
                max_dave_protocol_version: creds.max_dave_protocol_version,
            })
        };
        self.timers
            .set(Timer::Hello, now + self.config.hello_timeout);
        self.timers
            .set(Timer::Handshake, now + self.config.handshake_timeout);
        self.transport.send_greeting(&greeting);
        self.process(now);
    }

    /// A message arrived on the socket.
    pub fn handle_frame(&mut self, now: Instant, frame: Frame<'_>) {
        let room = !self.events.is_full();
        self.transport.receive_frame(now, frame, room);
        self.process(now);
    }

    /// The WebSocket layer refused a message over `max_message_size`.
    pub fn handle_oversized(&mut self, now: Instant, size: usize) {
        self.transport.handle_oversized(now, size);
        self.process(now);
    }

    /// The socket ended (`None`: no close frame), or a requested socket
    /// could not be opened at all.
    pub fn handle_close(&mut self, now: Instant, code: Option<u16>) {
        if self.phase == Phase::Connecting {
            self.reconnect(now);
            return;
        }
        self.transport.handle_close(now, code);
        self.process(now);
    }

    /// The open socket ended without a close frame, and why (EOF, reset,
    /// TLS, a protocol error). Like `handle_close(now, None)` on an open
    /// socket, with the reason carried by the [`Event::Disconnected`] that
    /// follows. Without an open socket (already reported, or still being
    /// dialed: a dial's failure is `handle_connect_error`) it is ignored.
    pub fn handle_lost(&mut self, now: Instant, loss: SocketLoss) {
        if self.phase == Phase::Connecting {
            return;
        }
        self.lost = Some(loss);
        self.handle_close(now, None);
        // Nothing to explain (no open socket): the reason goes with it.
        self.lost = None;
    }

    /// The socket requested by `poll_connect` could not be opened, and why.
    /// Like `handle_close(now, None)` while connecting, with the reason:
    /// [`Event::ConnectFailed`] comes before the `Reconnecting` (or
    /// `SessionInvalidated`) that follows. A report for an attempt the
    /// session no longer waits for is ignored.
    pub fn handle_connect_error(&mut self, now: Instant, error: ConnectError) {
        if self.phase == Phase::Connecting {
            self.connect_failed(now, error);
        }
    }

    /// A deadline from `poll_timeout` may have passed. Early or repeated
    /// calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        // One pass in a fixed order: a handler that re-arms its own timer
        // for `now` is seen again on the next call, never in a loop here.
        for timer in Timer::ALL {
            if self.timers.take_expired(timer, now) {
                self.on_timer(now, timer);
            }
        }
        self.transport.handle_timeout(now);
        self.process(now);
    }

    // ---- outputs ----

    /// A socket to open: drop any socket or attempt in progress and connect
    /// to this URL, then report `handle_open`, or `handle_connect_error`
    /// (`handle_close` when the reason is unknown).
    pub fn poll_connect(&mut self) -> Option<String> {
        self.connect_request.take()
    }

    /// The next frame to write, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if core::mem::take(&mut self.abort_requested) {
            return Some(Transmit::Abort);
        }
        self.transport.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// When `handle_timeout` should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.transport.poll_timeout(), self.timers.next()]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- commands ----

    /// Sends a message, or holds it (in order, bounded) while the session
    /// reconnects. Identify, Resume and Heartbeat are the session's own.
    pub fn send(&mut self, message: ClientMessage) -> Result<(), SendError> {
        if message.is_control() {
            return Err(SendError::Reserved { op: message.op() });
        }
        self.submit(Outgoing::Message(message))
    }

    /// Sends raw text, held like `send` while reconnecting.
    pub fn send_text(&mut self, text: String) -> Result<(), SendError> {
        self.submit(Outgoing::Text(text))
    }

    /// Sends a raw binary message `[op][payload]`, held like `send`.
    pub fn send_binary(&mut self, bytes: Bytes) -> Result<(), SendError> {
        self.submit(Outgoing::Binary(bytes))
    }

    /// How many connections the owner runs on this one's runtime, this one
    /// included: see [`Transport::set_runtime_connections`].
    pub fn set_runtime_connections(&mut self, connections: usize) {
        self.transport.set_runtime_connections(connections);
    }

    /// Sends a heartbeat now, outside the schedule; the cadence restarts
    /// from now. Nothing happens while no socket is open.
    pub fn heartbeat_now(&mut self, now: Instant) {
        self.transport.heartbeat_now(now);
    }

    /// Moves the next heartbeat to `now + delay` (brought forward onto the
    /// coalescing step, like every beat). Nothing happens while no socket
    /// is open.
    pub fn heartbeat_in(&mut self, now: Instant, delay: Duration) {
        self.transport.heartbeat_in(now, delay);
    }

    /// New credentials from the main gateway (after `SessionInvalidated`,
    /// a stop, a fatal error, or a voice server change): the current
    /// socket, if any, is closed and a fresh session is identified.
    pub fn update_credentials(&mut self, now: Instant, credentials: Credentials) {
        if self.transport.state() == State::Terminated {
            return;
        }
        self.credentials = credentials;
        self.transport.reset_seq();
        self.ready = false;
        self.attempt = 0;
        self.resume_failures.clear();
        // Held sends belong to the session they were made in (an old SSRC,
        // an old protocol selection): hand them back rather than replay them.
        self.return_unsent();
        // Our own drop: the application learns of it, and its consequence
        // is the connect below, not the close-code policy.
        self.transport.drop_socket(CloseCode::NORMAL);
        self.report_own_drop();
        self.request_connect(now);
    }

    /// Ends the session gracefully: close 1000 (which ends the voice
    /// session on Discord's side too), wait for the answer, then `Stopped`.
    pub fn close(&mut self, now: Instant) {
        if self.phase.is_terminal() || self.phase == Phase::Closing {
            return;
        }
        self.connect_request = None;
        if self.transport.state().has_socket() {
            // The socket's end, whatever its code, then means Stopped.
            self.enter(Phase::Closing);
            self.transport.close(now, CloseCode::NORMAL);
        } else {
            self.finish(Phase::Stopped, None);
        }
        self.process(now);
    }

    /// Ends everything now: nothing more is sent, no timer remains.
    /// Synchronous and idempotent, safe to call from `Drop`.
    pub fn force_close(&mut self, code: CloseCode) {
        if self.transport.state() == State::Terminated {
            return;
        }
        self.connect_request = None;
        self.abort_requested = false;
        self.transport.force_close(code);
        self.report_own_drop();
        if !self.phase.is_terminal() {
            self.finish(Phase::Stopped, Some(code));
        }
    }

    // ---- internals ----

    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Connect => {
                self.abort_requested = true;
                self.connect_failed(now, ConnectError::TimedOut);
            }
            Timer::Stable => self.made_progress(),
            Timer::Reconnect if self.has_room_to_reconnect() => self.request_connect(now),
            // The owner is not reading: a new socket would only queue more.
            // Look again after a backoff step.
            Timer::Reconnect => self
                .timers
                .set(Timer::Reconnect, now + self.config.backoff_base),
            Timer::Hello | Timer::Handshake => {
                self.timers.stop(Timer::Hello);
                self.timers.stop(Timer::Handshake);
                self.transport.drop_socket(CloseCode::RESUMABLE);
            }
        }
    }

    /// Moves to `phase`, stopping the timers that mean nothing there.
    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        self.timers.entered(phase);
    }

    /// Reports the end of a socket we dropped (new credentials, force
    /// close) without the close-code policy: the caller decides what
    /// follows.
    fn report_own_drop(&mut self) {
        while let Some(event) = self.transport.poll_event() {
            if let transport::Event::Disconnected { code, by_self } = event {
                self.emit_disconnected(code, by_self);
            }
        }
    }

    fn submit(&mut self, out: Outgoing) -> Result<(), SendError> {
        match self.phase {
            Phase::Stopped | Phase::Failed | Phase::Closing => return Err(SendError::Ended),
            Phase::Active if self.pending.len() == 0 => return self.put_on_wire(out),
            _ => {}
        }
        let bound = self.config.max_pending_sends;
        self.pending
            .push(out)
            .map_err(|_| SendError::QueueFull { bound })
    }

    fn put_on_wire(&mut self, out: Outgoing) -> Result<(), SendError> {
        match out {
            Outgoing::Message(m) => self.transport.send(m),
            Outgoing::Text(t) => self.transport.send_text(t),
            Outgoing::Binary(b) => self.transport.send_binary(b),
        }
    }

    /// Held messages go out in order once the handshake is done; whatever
    /// the transport's queue cannot take yet stays held.
    fn flush_pending(&mut self) {
        while self.phase == Phase::Active && self.transport.has_room() {
            let Some(out) = self.pending.pop() else { break };
            // An open socket with room takes any message.
            let sent = self.put_on_wire(out);
            debug_assert!(sent.is_ok(), "{sent:?}");
        }
    }

    fn request_connect(&mut self, now: Instant) {
        // A new request supersedes any attempt in progress: the driver drops
        // it when it takes the request, so an Abort for it would be noise
        // (and, drained after the request, would kill the new attempt).
        self.abort_requested = false;
        self.enter(Phase::Connecting);
        self.connect_request = Some(self.credentials.endpoint.url());
        self.timers
            .set(Timer::Connect, now + self.config.connect_timeout);
    }

    /// Moves the transport's events into the session's, acting on each.
    fn process(&mut self, now: Instant) {
        while let Some(event) = self.transport.poll_event() {
            self.on_transport_event(now, event);
        }
        self.flush_pending();
    }

    fn on_transport_event(&mut self, now: Instant, event: transport::Event) {
        use transport::Event as T;
        match event {
            T::Connected => self.emit(Event::Connected),
            T::Message(incoming) => self.on_message(now, incoming),
            T::HeartbeatAck { rtt } => self.emit(Event::HeartbeatAck { rtt }),
            T::Zombified => self.emit(Event::Zombified),
            T::InvalidFrame(e) => self.emit(Event::InvalidFrame(e)),
            T::Disconnected { code, by_self } => self.on_disconnected(now, code, by_self),
        }
    }

    /// The transport accepted `incoming` only because this queue had room,
    /// so it goes in whatever the bound says now.
    fn on_message(&mut self, now: Instant, incoming: Incoming) {
        let seq = incoming.seq;
        if seq.is_some() && matches!(self.phase, Phase::Resuming | Phase::Active) {
            // A message after the resume point: the server is past whatever
            // ended the last socket.
            self.made_progress();
        }
        let event = match incoming.message {
            ServerMessage::Hello(hello) => {
                self.timers.stop(Timer::Hello);
                Event::Hello {
                    heartbeat_interval: hello.heartbeat_interval,
                }
            }
            ServerMessage::Ready(ready) => {
                if matches!(self.phase, Phase::Identifying | Phase::Resuming) {
                    self.handshake_done();
                    self.ready = true;
                    self.made_progress();
                }
                Event::Ready(ready)
            }
            ServerMessage::Resumed => {
                // Resumed answers a Resume only: after an Identify it would
                // leave a session that never reached Ready looking resumable.
                if self.phase == Phase::Resuming {
                    self.handshake_done();
                    if !self.proven {
                        let stable = now + self.config.resume_stable_after;
                        self.timers.set(Timer::Stable, stable);
                    }
                }
                Event::Resumed
            }
            ServerMessage::SessionDescription(sd) => Event::SessionDescription(sd),
            message => Event::Message(Incoming { seq, message }),
        };
        self.events.push_control(event);
    }

    /// Ready or Resumed answered the greeting: messages flow.
    fn handshake_done(&mut self) {
        self.enter(Phase::Active);
    }

    /// The current socket is past whatever ended the last one: reconnects
    /// start again from an immediate first attempt.
    fn made_progress(&mut self) {
        self.proven = true;
        self.attempt = 0;
        self.resume_failures.clear();
        self.timers.stop(Timer::Stable);
    }

    /// A reconnect waits until the owner has read half the queue: a new
    /// socket's replay needs room, and room for one message would only
    /// drop the socket again.
    fn has_room_to_reconnect(&self) -> bool {
        self.events.len() < self.config.transport.max_pending_events.div_ceil(2)
    }

    fn emit_disconnected(&mut self, code: Option<CloseCode>, by_self: bool) {
        let lost = self.lost.take().filter(|_| code.is_none() && !by_self);
        self.emit(Event::Disconnected {
            code,
            by_self,
            lost,
        });
    }

    fn on_disconnected(&mut self, now: Instant, code: Option<CloseCode>, by_self: bool) {
        // Every way on from here changes the phase, which stops this
        // socket's timers.
        self.emit_disconnected(code, by_self);
        if self.phase == Phase::Closing {
            self.finish(Phase::Stopped, code);
            return;
        }
        // Our own drops (zombie, handshake timeout, oversized input) keep
        // the session; otherwise the server's code decides.
        let class = match code {
            Some(code) if !by_self => code.class(),
            _ => CloseClass::Resume,
        };
        match class {
            CloseClass::Resume => {
                if let Some(resumes) = self.repeated_resume_failure(code, by_self) {
                    let seq_ack = self.transport.seq_ack();
                    self.invalidate(code, Invalidation::ResumeLoop { resumes, seq_ack });
                } else {
                    self.reconnect(now);
                }
            }
            CloseClass::NewSession => self.invalidate(code, Invalidation::ClosedByServer),
            CloseClass::Stop => self.finish(Phase::Stopped, code),
            CloseClass::Fatal => {
                let code = code.unwrap_or(CloseCode::ABNORMAL);
                self.finish(Phase::Failed, Some(code));
            }
        }
    }

    /// Counts a resumed socket that ended before making progress; returns
    /// the count once `resume_loop_limit` of them in a row ended alike.
    fn repeated_resume_failure(&mut self, code: Option<CloseCode>, by_self: bool) -> Option<u32> {
        if !self.ready || self.proven {
            return None;
        }
        let ending = Ending {
            code,
            by_self,
            seq_ack: self.transport.seq_ack(),
        };
        let repeats = self.resume_failures.record(ending);
        (repeats >= self.config.resume_loop_limit.max(1)).then_some(repeats)
    }

    fn connect_failed(&mut self, now: Instant, error: ConnectError) {
        self.last_connect_error = Some(error.clone());
        self.emit(Event::ConnectFailed { error });
        self.reconnect(now);
    }

    fn reconnect(&mut self, now: Instant) {
        self.attempt += 1;
        if self.attempt > self.config.max_reconnect_attempts {
            let attempts = self.attempt - 1;
            self.invalidate(None, Invalidation::AttemptsExhausted { attempts });
            return;
        }
        let cfg = &self.config;
        let delay = backoff::delay(
            self.attempt,
            cfg.backoff_base,
            cfg.backoff_cap,
            cfg.backoff_jitter,
            &mut self.rng,
        );
        self.emit(Event::Reconnecting {
            attempt: self.attempt,
            delay,
            resume: self.ready,
        });
        if delay.is_zero() && self.has_room_to_reconnect() {
            self.request_connect(now);
        } else {
            self.enter(Phase::WaitingToReconnect);
            self.connect_request = None;
            self.timers.set(Timer::Reconnect, now + delay);
        }
    }

    fn invalidate(&mut self, code: Option<CloseCode>, reason: Invalidation) {
        self.enter(Phase::NeedsCredentials);
        self.connect_request = None;
        self.ready = false;
        self.resume_failures.clear();
        self.transport.reset_seq();
        self.return_unsent();
        self.emit(Event::SessionInvalidated { code, reason });
    }

    fn finish(&mut self, phase: Phase, code: Option<CloseCode>) {
        self.enter(phase);
        self.connect_request = None;
        self.return_unsent();
        match (phase, code) {
            (Phase::Failed, Some(code)) => self.emit(Event::Fatal {
                code,
                reason: code.fix().unwrap_or("unrecoverable close code"),
            }),
            _ => self.emit(Event::Stopped { code }),
        }
    }

    fn return_unsent(&mut self) {
        if self.pending.len() > 0 {
            let unsent = self.pending.take_all();
            self.emit(Event::Unsent(unsent));
        }
    }

    fn emit(&mut self, event: Event) {
        // Control events are few per socket; messages are bounded by the
        // room check in handle_frame.
        self.events.push_control(event);
    }
}

impl fmt::Debug for Session {
    /// Queues are shown by length only: a queued Identify or Resume holds
    /// the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("phase", &self.phase)
            .field("credentials", &self.credentials)
            .field("transport", &self.transport)
            .field("events", &self.events.len())
            .field("pending_sends", &self.pending.len())
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}
