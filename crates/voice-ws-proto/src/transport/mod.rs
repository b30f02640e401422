//! The voice WebSocket transport: framing, seq_ack, heartbeats, RTT,
//! zombie detection and closes, for one socket at a time.

mod config;
mod event;
mod heartbeat;
mod state;
mod stats;

pub use config::{FirstHeartbeat, TransportConfig};
pub use event::Event;
pub use state::State;
pub use stats::Stats;

use alloc::string::String;
use bytes::Bytes;
use core::time::Duration;

use crate::close_code::CloseCode;
use crate::codec::{self, ClientMessage, DecodeError, Incoming, ServerMessage};
use crate::frame::{Frame, Transmit};
use crate::queue::BoundedQueue;
use crate::send_error::SendError;
use crate::seq::SeqTracker;
use crate::time::Instant;
use heartbeat::{Due, Heartbeat};

/// One WebSocket's framing, `seq_ack`, heartbeats, zombie detection and
/// close handshake, without I/O: feed it socket events and time, drain what
/// it wants written and what it has to say.
///
/// One `Transport` lives as long as a voice session: sockets come and go
/// (`handle_open` .. `handle_close`), while `seq_ack` and the counters carry
/// over so that a resume acknowledges the right message.
pub struct Transport {
    config: TransportConfig,
    state: State,
    heartbeat: Heartbeat,
    seq: SeqTracker,
    transmits: BoundedQueue<Transmit>,
    events: BoundedQueue<Event>,
    /// The code of the close frame we sent, while waiting for the answer.
    closing: Option<(CloseCode, Instant)>,
    stats: Stats,
    /// Connections on the owner's runtime, this one included: what the
    /// heartbeat's coalescing step is chosen for.
    connections: usize,
}

impl core::fmt::Debug for Transport {
    /// Queues are shown by length only: a queued Identify or Resume holds
    /// the token.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transport")
            .field("state", &self.state)
            .field("seq_ack", &self.seq.ack())
            .field("heartbeat_interval", &self.heartbeat.interval())
            .field("rtt", &self.heartbeat.rtt())
            .field("transmits", &self.transmits.len())
            .field("events", &self.events.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport with no socket yet.
    pub fn new(config: TransportConfig) -> Self {
        Self {
            transmits: BoundedQueue::new(config.max_outbound_frames),
            events: BoundedQueue::new(config.max_pending_events),
            heartbeat: Heartbeat::new(config.heartbeat_tolerance),
            config,
            state: State::Idle,
            seq: SeqTracker::default(),
            closing: None,
            stats: Stats::default(),
            connections: 1,
        }
    }

    // ---- getters ----

    /// The socket's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The last sequence number received: the last numbered message
    /// accepted into the event queue (`None` is sent as -1). This is what
    /// heartbeats and Resume carry.
    pub fn seq_ack(&self) -> Option<u16> {
        self.seq.ack()
    }

    /// The heartbeat interval from the current socket's Hello.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        self.heartbeat.interval()
    }

    /// The latest heartbeat round-trip time on the current socket.
    pub fn rtt(&self) -> Option<Duration> {
        self.heartbeat.rtt()
    }

    /// Traffic and heartbeat counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The settings this transport runs with.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    // ---- inputs ----

    /// The driver opened a socket. Per-socket state starts afresh; seq_ack
    /// carries over for a resume.
    pub fn handle_open(&mut self, _now: Instant) {
        if self.state == State::Terminated {
            return;
        }
        self.state = State::Open;
        self.heartbeat = Heartbeat::new(self.config.heartbeat_tolerance);
        self.closing = None;
        self.events.push_control(Event::Connected);
    }

    /// A complete message arrived on the socket. Bad input becomes an
    /// [`Event::InvalidFrame`] and the socket stays up; only an oversized
    /// message closes it (1009).
    ///
    /// A numbered message is received (and acknowledged from then on) when
    /// it is queued as an event. When the queue is full it is not received:
    /// the socket is dropped resumably and the server replays it.
    pub fn handle_frame(&mut self, now: Instant, frame: Frame<'_>) {
        let room = !self.events.is_full();
        self.receive_frame(now, frame, room);
    }

    /// `handle_frame` for an owner that keeps the event queue that counts:
    /// `room` says whether it can take one more message.
    pub(crate) fn receive_frame(&mut self, now: Instant, frame: Frame<'_>, room: bool) {
        if !self.state.has_socket() {
            return;
        }
        let size = frame.len();
        self.stats.frames_in += 1;
        self.stats.bytes_in += size as u64;
        if size > self.config.max_message_size {
            self.handle_oversized(now, size);
            return;
        }
        if self.config.any_frame_is_alive {
            self.heartbeat.on_proof_of_life();
        }
        match codec::decode(frame) {
            Ok(incoming) => self.on_message(now, incoming, room),
            Err(e) => self.on_invalid(e, room),
        }
    }

    /// The WebSocket layer refused a message over its size limit before
    /// handing it in (drivers set that limit from `max_message_size`).
    pub fn handle_oversized(&mut self, _now: Instant, size: usize) {
        if !self.state.has_socket() {
            return;
        }
        // Reported past the bound if need be: the socket ends right after.
        self.stats.invalid_frames += 1;
        self.events
            .push_control(Event::InvalidFrame(DecodeError::TooLarge {
                size,
                max: self.config.max_message_size,
            }));
        self.drop_socket(CloseCode::MESSAGE_TOO_BIG);
    }

    /// A deadline from `poll_timeout` may have passed. Early or repeated
    /// calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((code, deadline)) = self.closing {
            if deadline <= now {
                // The server never answered our close frame.
                self.transmits.push_control(Transmit::Abort);
                self.socket_ended(Some(code), true);
            }
            return;
        }
        if self.state != State::Open {
            return;
        }
        match self.heartbeat.on_due(now) {
            Some(Due::Beat { nonce, missed }) => {
                self.stats.heartbeats_missed += u64::from(missed);
                self.queue_heartbeat(nonce);
            }
            Some(Due::Zombie) => {
                self.stats.heartbeats_missed += 1;
                self.events.push_control(Event::Zombified);
                self.drop_socket(CloseCode::RESUMABLE);
            }
            None => {}
        }
    }

    /// The socket ended: the server's close frame (`Some(code)`), or a
    /// reset, EOF or error with no close frame (`None`).
    pub fn handle_close(&mut self, _now: Instant, code: Option<u16>) {
        match (self.state, self.closing) {
            (State::CloseSent, Some((ours, _))) => self.socket_ended(Some(ours), true),
            (State::Open, _) => self.socket_ended(code.map(CloseCode), false),
            _ => {}
        }
    }

    // ---- outputs ----

    /// The next frame to write, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.transmits.pop()?;
        self.stats.frames_out += u64::from(!matches!(t, Transmit::Abort));
        self.stats.bytes_out += t.payload_len() as u64;
        Some(t)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// When `handle_timeout` should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.state, self.closing) {
            (State::CloseSent, Some((_, deadline))) => Some(deadline),
            (State::Open, _) => self.heartbeat.deadline(),
            _ => None,
        }
    }

    // ---- commands ----

    /// Queues a typed message.
    pub fn send(&mut self, message: ClientMessage) -> Result<(), SendError> {
        self.queue(message.encode())
    }

    /// Queues a raw text message, written as it is.
    pub fn send_text(&mut self, text: String) -> Result<(), SendError> {
        self.queue(Transmit::Text(text))
    }

    /// Queues a raw binary message `[op][payload]`, written as it is.
    pub fn send_binary(&mut self, bytes: Bytes) -> Result<(), SendError> {
        self.queue(Transmit::Binary(bytes))
    }

    /// How many connections the owner runs on this one's runtime, this one
    /// included (the drivers count those of the process). Heartbeats are
    /// coalesced onto a step in which about 100 of their beats fall due,
    /// within [`TransportConfig::heartbeat_coalesce`]: the more
    /// connections, the finer the step. Default 1.
    pub fn set_runtime_connections(&mut self, connections: usize) {
        self.connections = connections.max(1);
        self.heartbeat
            .coalesce(self.config.heartbeat_coalesce, self.connections);
    }

    /// Sends a heartbeat now, outside the schedule; the cadence restarts
    /// from now.
    pub fn heartbeat_now(&mut self, now: Instant) {
        if self.state == State::Open {
            let nonce = self.heartbeat.beat_now(now);
            self.queue_heartbeat(nonce);
        }
    }

    /// Moves the next heartbeat to `now + delay`, brought forward onto the
    /// coalescing step like every beat (so a delay under one step may
    /// send it at the next `handle_timeout`).
    pub fn heartbeat_in(&mut self, now: Instant, delay: Duration) {
        if self.state == State::Open {
            self.heartbeat.schedule(now + delay);
        }
    }

    /// Starts a graceful close: a close frame now, then wait up to
    /// `close_timeout` for the server's answer. Heartbeats stop.
    pub fn close(&mut self, now: Instant, code: CloseCode) {
        if self.state != State::Open {
            return;
        }
        self.heartbeat.stop();
        self.transmits.push_control(Transmit::Close(code));
        self.closing = Some((code, now + self.config.close_timeout));
        self.state = State::CloseSent;
    }

    /// Ends everything at once: pending frames are discarded, nothing is
    /// sent afterwards, and no timer remains. Synchronous and idempotent,
    /// safe to call from `Drop`. The driver drops its socket itself.
    pub fn force_close(&mut self, code: CloseCode) {
        if self.state == State::Terminated {
            return;
        }
        if self.state.has_socket() {
            self.events.push_control(Event::Disconnected {
                code: Some(code),
                by_self: true,
            });
        }
        self.transmits.clear();
        self.heartbeat.stop();
        self.closing = None;
        self.state = State::Terminated;
    }

    // ---- crate-internal, for the session ----

    /// Drops the socket at once with a close frame, without waiting for the
    /// answer: the peer is unresponsive or misbehaving.
    pub(crate) fn drop_socket(&mut self, code: CloseCode) {
        match (self.state, self.closing) {
            // A close frame already went out: only the drop is left to do,
            // and the close keeps the code it was sent with.
            (State::CloseSent, Some((sent, _))) => {
                self.transmits.push_control(Transmit::Abort);
                self.socket_ended(Some(sent), true);
            }
            (State::Open, _) => {
                self.transmits.push_control(Transmit::Close(code));
                self.transmits.push_control(Transmit::Abort);
                self.socket_ended(Some(code), true);
            }
            _ => {}
        }
    }

    /// Queues Identify or Resume: like a heartbeat, never refused for a
    /// full queue (the session's handshake depends on it, and there is one
    /// per socket).
    pub(crate) fn send_greeting(&mut self, message: &ClientMessage) {
        if self.state == State::Open {
            self.transmits.push_control(message.encode());
        }
    }

    /// Whether a send would be taken now: the socket is open and the
    /// outbound queue has room.
    pub(crate) fn has_room(&self) -> bool {
        self.state == State::Open && !self.transmits.is_full()
    }

    /// A new session: forget every sequence number.
    pub(crate) fn reset_seq(&mut self) {
        self.seq.reset();
    }

    // ---- internals ----

    fn on_message(&mut self, now: Instant, incoming: Incoming, room: bool) {
        if let Some(seq) = incoming.seq {
            if !self.seq.is_new(seq) {
                self.stats.duplicates_skipped += 1;
                return;
            }
            if !room {
                // Not received, so not acknowledged: the server replays it
                // after the resume, once the owner has made room.
                self.stats.messages_refused += 1;
                self.drop_socket(CloseCode::RESUMABLE);
                return;
            }
            self.seq.receive(seq);
        }
        match &incoming.message {
            ServerMessage::HeartbeatAck(ack) => {
                if let Some(rtt) = self.heartbeat.on_ack(now, ack.nonce) {
                    self.stats.heartbeats_acked += 1;
                    self.events.push_control(Event::HeartbeatAck { rtt });
                }
                return;
            }
            ServerMessage::Hello(hello) if self.state == State::Open => {
                let first = match self.config.first_heartbeat {
                    FirstHeartbeat::AfterInterval => now + hello.heartbeat_interval,
                    FirstHeartbeat::Immediately => now,
                };
                self.heartbeat.start(hello.heartbeat_interval, first);
                self.heartbeat
                    .coalesce(self.config.heartbeat_coalesce, self.connections);
            }
            _ => {}
        }
        self.push_event(Event::Message(incoming), room);
    }

    fn on_invalid(&mut self, e: DecodeError, room: bool) {
        self.stats.invalid_frames += 1;
        self.push_event(Event::InvalidFrame(e), room);
    }

    /// Queues an event that no replay would bring back (an unnumbered
    /// message, an invalid frame). Without room it still goes in, once: the
    /// socket is dropped resumably, so nothing more arrives until the owner
    /// has made room.
    fn push_event(&mut self, event: Event, room: bool) {
        self.events.push_control(event);
        if !room {
            self.drop_socket(CloseCode::RESUMABLE);
        }
    }

    fn queue(&mut self, t: Transmit) -> Result<(), SendError> {
        match self.state {
            State::Open => {}
            State::Terminated => return Err(SendError::Ended),
            _ => return Err(SendError::NotOpen),
        }
        let bound = self.config.max_outbound_frames;
        self.transmits
            .push(t)
            .map_err(|_| SendError::QueueFull { bound })
    }

    fn queue_heartbeat(&mut self, nonce: u64) {
        self.stats.heartbeats_sent += 1;
        let text = codec::encode_heartbeat(nonce, self.seq.ack());
        // A heartbeat is never refused for a full queue: it is the liveness
        // signal, and at most one is pending per interval.
        self.transmits.push_control(Transmit::Text(text));
    }

    fn socket_ended(&mut self, code: Option<CloseCode>, by_self: bool) {
        self.state = State::Closed;
        self.closing = None;
        self.heartbeat.stop();
        self.events
            .push_control(Event::Disconnected { code, by_self });
    }
}
