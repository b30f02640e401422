//! The connection task: one loop that polls its input sources in turn,
//! hands the core each input, then does what the core asks.
//!
//! The driver makes no protocol decision of its own: it connects when
//! `poll_connect` says so, writes what `poll_transmit` hands over, delivers
//! what `poll_event` yields, and sleeps until `poll_timeout`. Every socket
//! outcome is reported as it is: open, a frame, an oversized message, a
//! close frame's code, or `None` for EOF, reset, errors and an outbound
//! queue the peer stopped reading.
//!
//! The loop is a hand-written [`Future`] rather than an `async fn`, so that
//! its type can be named ([`Task`]) and spawned on any executor without a
//! second allocation.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;
use tracing::{Span, debug, error, info, trace, warn};
use tungstenite::{Error as WsError, Message};
use voice_ws_proto::{Event, Frame, Outgoing, Session, SocketLoss, Transmit};

use crate::Runtime;
use crate::census::Counted;
use crate::clock::Clock;
use crate::command::Command;
use crate::shared::{Aborted, Shared};
use crate::socket::{self, Connecting, Socket, SocketRead};
use crate::status::Status;

/// Where the loop's inputs come from, in the order of one round. Each poll
/// starts the round one source further on, so that none starves the others
/// (like `tokio::select!`'s random start).
#[derive(Clone, Copy, Debug)]
enum Source {
    /// The application's [`Command`]s.
    Commands,
    /// The connect attempt in flight, if any.
    Connecting,
    /// The open socket, if any.
    Socket,
    /// The core's next deadline, if it has one.
    Timer,
    /// Room for events, while the application has none.
    Room,
}

impl Source {
    const ROUND: [Self; 5] = [
        Self::Commands,
        Self::Connecting,
        Self::Socket,
        Self::Timer,
        Self::Room,
    ];

    /// Every source once, starting with `ROUND[first]`.
    fn round_from(first: usize) -> impl Iterator<Item = Self> {
        Self::ROUND
            .into_iter()
            .cycle()
            .skip(first)
            .take(Self::ROUND.len())
    }
}

/// One input for the core, as the loop polled it.
enum Input<S> {
    Command(Command),
    Connected(Result<S, WsError>),
    SocketRead(SocketRead),
    Timeout,
    /// The application made room: deliver what the core holds.
    Room,
    /// The last drain found the socket's outbound queue full (the peer
    /// stopped reading long ago) and dropped the socket.
    Overflowed,
}

/// Inputs handled in one poll before the task yields to its executor, so
/// that a busy connection cannot hold an executor thread (tokio has its
/// own budget; async-io's sockets have none).
const BUDGET: usize = 64;

pin_project! {
    /// A connection's work: a future to spawn on the runtime `R`'s
    /// executor (it is `Send` and `'static`). It completes when the
    /// application closed the connection (after its last event), force-closed
    /// it, or dropped every handle; dropping it force-closes the connection.
    /// A `Stopped` or `Fatal` from the server does not end it: new
    /// credentials start a fresh session on the same handle.
    ///
    /// Every poll runs inside the connection's `voice_ws` tracing span.
    pub struct Task<R: Runtime> {
        #[pin]
        timer: R::Timer,
        // The deadline the timer is armed for.
        armed: Option<std::time::Instant>,
        // `None` once the task has completed.
        worker: Option<Box<Worker<R>>>,
        span: Span,
        _runtime: PhantomData<fn() -> R>,
    }
}

impl<R: Runtime> fmt::Debug for Task<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("finished", &self.worker.is_none())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Task<R> {
    pub(crate) fn new(
        session: Session,
        tls: Option<Arc<rustls::ClientConfig>>,
        shared: Arc<Shared>,
        span: Span,
        #[cfg(feature = "dave")] dave: crate::dave_handshake::Dave,
    ) -> Self {
        let worker = Worker {
            session,
            #[cfg(feature = "dave")]
            dave,
            clock: Clock::start(R::now()),
            counted: Counted::new(),
            started: false,
            tls,
            socket: None,
            connecting: None,
            shared,
            backlog: false,
            closing: false,
            overflowed: false,
            first: 0,
        };
        Self {
            timer: R::timer(),
            armed: None,
            worker: Some(Box::new(worker)),
            span,
            _runtime: PhantomData,
        }
    }
}

impl<R: Runtime> Future for Task<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let Some(worker) = this.worker.as_mut() else {
            return Poll::Ready(());
        };
        if !worker.started {
            worker.started = true;
            worker.session.start(worker.now());
            worker.drain();
        }
        let mut budget = BUDGET;
        loop {
            if worker.is_over() {
                if let Some(socket) = worker.socket.take() {
                    // A close frame or a reply to the server's may still be queued.
                    socket.finish();
                }
                break;
            }
            if let Some(connections) = worker.counted.changed() {
                worker.session.set_runtime_connections(connections);
            }
            // Re-armed after every firing too: a fired timer may not fire
            // again for the same deadline.
            let deadline = worker
                .session
                .poll_timeout()
                .and_then(|at| worker.clock.deadline(at));
            if let Some(deadline) = deadline {
                if *this.armed != Some(deadline) {
                    R::reset_timer(this.timer.as_mut(), deadline);
                    *this.armed = Some(deadline);
                }
            }
            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            budget -= 1;
            let timer = this.timer.as_mut();
            match worker.poll_input(cx, timer, deadline.is_some()) {
                // A wake-up of the socket while the task ran, before the
                // task stored its waker (polling its commands), woke nobody.
                Poll::Pending if worker.shared.socket_woken() => {}
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(Aborted)) => {
                    debug!("force-closed");
                    break;
                }
                Poll::Ready(Ok(input)) => {
                    if matches!(input, Input::Timeout) {
                        *this.armed = None;
                    }
                    worker.handle(input);
                    worker.drain();
                }
            }
        }
        // Drops the socket and any connect attempt, and tells the application.
        *this.worker = None;
        debug!("connection task ended");
        Poll::Ready(())
    }
}

/// Everything the loop owns. Dropping it (the task ended, was aborted, or
/// its runtime shut down) tells the application.
struct Worker<R: Runtime> {
    session: Session,
    /// The DAVE handshake, fed every session event on its way out.
    #[cfg(feature = "dave")]
    dave: crate::dave_handshake::Dave,
    clock: Clock,
    /// This connection in the process's count, which the core's heartbeat
    /// coalescing is chosen for.
    counted: Counted,
    /// The session starts when the task first runs.
    started: bool,
    /// [`DriverConfig::tls`](crate::DriverConfig::tls); `None`: the default.
    tls: Option<Arc<rustls::ClientConfig>>,
    socket: Option<Socket<R::Socket>>,
    connecting: Option<Connecting<R::Socket>>,
    shared: Arc<Shared>,
    /// The application had no room for more events: the core may hold
    /// more, unacknowledged, until it has.
    backlog: bool,
    /// The application asked to close.
    closing: bool,
    /// The last drain dropped the socket on an outbound overflow: the core
    /// hears of it before anything else.
    overflowed: bool,
    /// Where in [`Source::ROUND`] the next poll starts.
    first: usize,
}

impl<R: Runtime> Drop for Worker<R> {
    fn drop(&mut self) {
        self.shared.finish();
    }
}

impl<R: Runtime> Worker<R> {
    /// The application closed, the core has ended, and its last event is
    /// delivered: the task is over.
    fn is_over(&self) -> bool {
        self.closing && !self.backlog && !self.overflowed && self.session.phase().is_terminal()
    }

    /// The next input, polling each source once, starting one source
    /// further on each time; force-closing and an overflow the core has
    /// not heard of come before everything.
    fn poll_input(
        &mut self,
        cx: &mut Context<'_>,
        mut timer: Pin<&mut R::Timer>,
        armed: bool,
    ) -> Poll<Result<Input<R::Socket>, Aborted>> {
        if self.shared.is_aborted() {
            return Poll::Ready(Err(Aborted));
        }
        if std::mem::take(&mut self.overflowed) {
            return Poll::Ready(Ok(Input::Overflowed));
        }
        let first = self.first;
        self.first = (first + 1) % Source::ROUND.len();
        for source in Source::round_from(first) {
            let polled = self.poll_source(source, cx, timer.as_mut(), armed);
            if polled.is_ready() {
                return polled;
            }
        }
        Poll::Pending
    }

    /// Polls one source; `Pending` for one that has nothing to wait for
    /// (no socket, no deadline, no backlog).
    fn poll_source(
        &mut self,
        source: Source,
        cx: &mut Context<'_>,
        timer: Pin<&mut R::Timer>,
        armed: bool,
    ) -> Poll<Result<Input<R::Socket>, Aborted>> {
        match source {
            Source::Commands => self.shared.poll_command(cx).map_ok(Input::Command),
            Source::Connecting => match &mut self.connecting {
                Some(connecting) => connecting
                    .as_mut()
                    .poll(cx)
                    .map(|r| Ok(Input::Connected(r))),
                None => Poll::Pending,
            },
            Source::Socket => match &mut self.socket {
                Some(socket) => {
                    // Notes the wake-up in `shared` before waking the task,
                    // so the socket is read only when it has something to
                    // say. Made for each poll: 16 bytes less a connection.
                    let waker = Waker::from(Arc::clone(&self.shared));
                    socket
                        .poll_next(&waker, self.shared.take_socket_woken())
                        .map(|i| Ok(Input::SocketRead(i)))
                }
                None => Poll::Pending,
            },
            Source::Timer if armed => R::poll_timer(timer, cx).map(|()| Ok(Input::Timeout)),
            Source::Room if self.backlog => self.shared.poll_room(cx).map(|()| Ok(Input::Room)),
            Source::Timer | Source::Room => Poll::Pending,
        }
    }

    /// The current time, as the core counts it.
    fn now(&self) -> voice_ws_proto::Instant {
        self.clock.at(R::now())
    }

    fn handle(&mut self, input: Input<R::Socket>) {
        match input {
            Input::Command(command) => self.on_command(command),
            Input::Connected(opened) => {
                self.connecting = None;
                self.on_connected(opened);
            }
            Input::SocketRead(read) => self.on_socket_read(read),
            Input::Timeout => self.session.handle_timeout(self.now()),
            // The drain that follows delivers what the core holds.
            Input::Room => {}
            Input::Overflowed => self.session.handle_lost(self.now(), SocketLoss::Stalled),
        }
    }

    fn on_command(&mut self, command: Command) {
        let now = self.now();
        match command {
            Command::Send(request) => {
                let (out, reply) = *request;
                let result = match out {
                    Outgoing::Message(message) => self.session.send(message),
                    Outgoing::Text(text) => self.session.send_text(text),
                    Outgoing::Binary(bytes) => self.session.send_binary(bytes),
                };
                // The caller may have stopped waiting; the verdict stands.
                let _ = reply.send(result);
            }
            Command::UpdateCredentials(credentials) => {
                info!("credentials updated");
                #[cfg(feature = "dave")]
                self.dave.update_credentials(&credentials);
                self.session.update_credentials(now, *credentials);
            }
            Command::HeartbeatNow => self.session.heartbeat_now(now),
            Command::Close => {
                info!("closing");
                self.closing = true;
                self.session.close(now);
            }
        }
    }

    fn on_connected(&mut self, opened: Result<R::Socket, WsError>) {
        let now = self.now();
        match opened {
            Ok(ws) => {
                debug!("socket open");
                let max_outbox = self.session.config().transport.max_outbound_frames;
                self.socket = Some(Socket::new(ws, max_outbox));
                self.session.handle_open(now);
            }
            Err(error) => {
                let reason = socket::classify(&error);
                // The reason is logged with its event; this is the raw error.
                debug!(%error, kind = reason.kind(), "dial failed");
                self.session.handle_connect_error(now, reason);
            }
        }
    }

    fn on_socket_read(&mut self, read: SocketRead) {
        let now = self.now();
        let Some(socket) = &mut self.socket else {
            return;
        };
        if socket.reported {
            // Already reported closed: only its end matters, to drop it.
            if matches!(read, SocketRead::Ended(_)) {
                self.socket = None;
            }
            return;
        }
        match read {
            SocketRead::Data(Message::Text(text)) => {
                trace!(len = text.len(), "text frame");
                self.session.handle_frame(now, Frame::Text(text.as_str()));
            }
            SocketRead::Data(Message::Binary(bytes)) => {
                trace!(len = bytes.len(), "binary frame");
                self.session.handle_frame(now, Frame::Binary(bytes));
            }
            SocketRead::Data(_) => {}
            SocketRead::Oversized(size) => {
                warn!(size, "message over max_message_size");
                self.session.handle_oversized(now, size);
            }
            SocketRead::Close(code) => {
                debug!(?code, "close frame received");
                // Kept until it ends, so tungstenite can send its reply.
                socket.reported = true;
                self.session.handle_close(now, code);
            }
            SocketRead::Ended(loss) => {
                debug!(kind = loss.kind(), "socket ended without a close frame");
                self.socket = None;
                self.session.handle_lost(now, loss);
            }
        }
    }

    /// After every input, what the core asks: transmits first (they belong
    /// to the current socket, which a connect request replaces), the status,
    /// events, then a connect request. Stops at an outbound overflow,
    /// which the core must hear of (the next input) before it is asked for
    /// anything more.
    fn drain(&mut self) {
        if !self.write_transmits() {
            return;
        }
        // Published before the events: an application that reads the status
        // on an event sees at least the input that produced it. Taking
        // events and the connect request changes nothing the status shows.
        self.shared.set_status(Status::of(&self.session));
        // The DAVE handshake answers events as they are delivered.
        if self.deliver_events() && !self.write_transmits() {
            return;
        }
        if let Some(url) = self.session.poll_connect() {
            debug!(%url, "connecting");
            self.drop_socket();
            let max = self.session.config().transport.max_message_size;
            self.connecting = Some(socket::connect::<R>(url, max, self.tls.clone()));
        }
    }

    /// Writes what the core hands over; false when the socket's outbound
    /// queue overflowed (the socket is dropped, the core hears of it next).
    fn write_transmits(&mut self) -> bool {
        while let Some(transmit) = self.session.poll_transmit() {
            trace!(
                kind = transmit_kind(&transmit),
                len = transmit.payload_len(),
                "transmit"
            );
            if matches!(transmit, Transmit::Abort) {
                self.drop_socket();
                continue;
            }
            let Some(socket) = &mut self.socket else {
                continue;
            };
            if socket.queue(transmit).is_err() {
                // The peer stopped reading long ago: the socket is as good as dead.
                warn!("outbound queue overflow; dropping the socket");
                self.drop_socket();
                self.overflowed = true;
                return false;
            }
        }
        true
    }

    /// Moves events from the core to the application while it has room.
    /// What does not fit stays in the core's bounded queue, which refuses
    /// new messages (unacknowledged, so the server replays them) while it
    /// is full. Without `Events` to read them, events are taken and
    /// discarded.
    ///
    /// With the `dave` feature, each event goes through the DAVE handshake
    /// first and the handshake's own events follow it, counted against the
    /// same room. Returns whether the handshake gave the core messages to
    /// send.
    fn deliver_events(&mut self) -> bool {
        let room = self.shared.event_room();
        let mut left = room.unwrap_or(usize::MAX);
        let mut sent = false;
        self.backlog = false;
        loop {
            if left == 0 {
                self.backlog = true;
                return sent;
            }
            #[cfg(feature = "dave")]
            if let Some(dave) = self.dave.poll_event() {
                debug!(event = ?dave, "dave");
                if room.is_some() {
                    self.shared.push_event(Event::Dave(dave));
                }
                left -= 1;
                continue;
            }
            let Some(event) = self.session.poll_event() else {
                break;
            };
            sent |= self.feed_dave(&event);
            self.log_event(&event);
            if room.is_some() {
                self.shared.push_event(event);
            }
            left -= 1;
        }
        sent
    }

    /// Hands a session event to the DAVE handshake (feature `dave`), which
    /// may give the core messages to send: returns whether it did.
    #[cfg(feature = "dave")]
    fn feed_dave(&mut self, event: &Event) -> bool {
        self.dave.on_event(event, &mut self.session)
    }

    #[cfg(not(feature = "dave"))]
    fn feed_dave(&mut self, _event: &Event) -> bool {
        false
    }

    /// Drops the socket and any connect attempt in flight.
    fn drop_socket(&mut self) {
        self.connecting = None;
        if let Some(socket) = self.socket.take() {
            socket.finish();
        }
    }

    /// seq and rtt_ms ride on debug events; the token is in none of them
    /// (Event's Debug redacts secrets, and only names are logged here).
    fn log_event(&self, event: &Event) {
        // As the wire has it: -1 before any message.
        let seq = self.session.seq_ack().map_or(-1, i32::from);
        match event {
            Event::HeartbeatAck { rtt } => {
                let rtt_ms = rtt.as_micros() as f64 / 1000.0;
                debug!(rtt_ms, seq, "heartbeat ack");
            }
            Event::Hello { heartbeat_interval } => {
                debug!(
                    heartbeat_interval_ms = heartbeat_interval.as_millis() as u64,
                    "hello"
                );
            }
            Event::Ready(ready) => info!(ssrc = ready.ssrc, "ready"),
            Event::Resumed => info!(seq, "resumed"),
            Event::Zombified => warn!(seq, "zombied: heartbeat not acknowledged"),
            Event::Disconnected {
                code,
                by_self,
                lost,
            } => match lost {
                Some(loss) => info!(by_self, lost = %loss, "disconnected"),
                None => info!(code = ?code.map(|c| c.0), by_self, "disconnected"),
            },
            Event::Reconnecting {
                attempt,
                delay,
                resume,
            } => {
                info!(
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    resume,
                    "reconnecting"
                );
            }
            Event::SessionInvalidated { code, reason } => {
                warn!(code = ?code.map(|c| c.0), %reason, "session invalidated; new credentials needed");
            }
            Event::ConnectFailed { error } => {
                warn!(kind = error.kind(), %error, "connect failed");
            }
            Event::Stopped { code } => info!(code = ?code.map(|c| c.0), "stopped"),
            Event::Fatal { code, reason } => error!(code = code.0, reason, "fatal"),
            Event::InvalidFrame(e) => warn!(error = %e, "invalid frame"),
            Event::Unsent(unsent) => warn!(count = unsent.len(), "messages left unsent"),
            Event::Connected => debug!("connected"),
            Event::SessionDescription(_) => debug!(seq, "session description"),
            Event::Message(incoming) => {
                debug!(op = incoming.message.op(), seq = ?incoming.seq, "message");
            }
            // An event added to the core after this driver was written.
            _ => debug!(?event, "event"),
        }
    }
}

fn transmit_kind(transmit: &Transmit) -> &'static str {
    match transmit {
        Transmit::Text(_) => "text",
        Transmit::Binary(_) => "binary",
        Transmit::Close(_) => "close",
        Transmit::Abort => "abort",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_polls_every_source_once_starting_one_further_on() {
        let names = |first| {
            Source::round_from(first)
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(0),
            ["Commands", "Connecting", "Socket", "Timer", "Room"]
        );
        assert_eq!(
            names(3),
            ["Timer", "Room", "Commands", "Connecting", "Socket"]
        );
    }
}
