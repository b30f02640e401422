//! The connection task: one loop that feeds the core its inputs (socket,
//! commands, time) and, after every input, does what the core asks.
//!
//! The driver makes no protocol decision of its own: it connects when
//! `poll_connect` says so, writes what `poll_transmit` hands over, delivers
//! what `poll_event` yields, and sleeps until `poll_timeout`. Every socket
//! outcome is reported as it is: open, a frame, an oversized message, a
//! close frame's code, or `None` for EOF, reset and errors.
//!
//! The loop is a hand-written [`Future`] rather than an `async fn`, so that
//! its type can be named ([`Task`]) and spawned on any executor without a
//! second allocation.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use pin_project_lite::pin_project;
use tracing::{Span, debug, error, info, trace, warn};
use tungstenite::{Error as WsError, Message};
use voice_ws_proto::{Credentials, Event, Frame, Outgoing, SendError, Session, Transmit};

use crate::Runtime;
use crate::clock::Clock;
use crate::shared::Shared;
use crate::socket::{self, Connecting, Inbound, Socket};
use crate::status::Status;

/// What a [`Handle`](crate::Handle) asks of the task.
#[derive(Debug)]
pub(crate) enum Command {
    /// A message for the core; the core's verdict goes back. Boxed to keep
    /// every command small.
    Send(Box<(Outgoing, oneshot::Sender<Result<(), SendError>>)>),
    /// Fresh credentials from the main gateway.
    UpdateCredentials(Box<Credentials>),
    /// A heartbeat outside the schedule.
    HeartbeatNow,
    /// A graceful close.
    Close,
}

/// One input for the core, as the loop polled it.
enum Input<S> {
    Command(Command),
    Connected(Result<S, WsError>),
    Inbound(Inbound),
    Timeout,
    /// The application made room: deliver what the core holds.
    Room,
    /// Force-closed: stop now, sending nothing more.
    Abort,
}

/// How many inputs the loop polls; it starts at the next one each time, so
/// that none starves the others (like `tokio::select!`'s random start).
const INPUTS: u8 = 5;

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
        driver: Option<Box<Driver<R>>>,
        span: Span,
        _runtime: PhantomData<fn() -> R>,
    }
}

impl<R: Runtime> fmt::Debug for Task<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("finished", &self.driver.is_none())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Task<R> {
    pub(crate) fn new(
        session: Session,
        tls: Option<Arc<rustls::ClientConfig>>,
        shared: Arc<Shared>,
        span: Span,
    ) -> Self {
        let driver = Driver {
            session,
            clock: Clock::start(R::now()),
            started: false,
            tls,
            socket: None,
            connecting: None,
            shared,
            backlog: false,
            closing: false,
            ended: false,
            drained: false,
            turn: 0,
        };
        Self {
            timer: R::timer(),
            armed: None,
            driver: Some(Box::new(driver)),
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
        let Some(driver) = this.driver.as_mut() else {
            return Poll::Ready(());
        };
        let mut budget = BUDGET;
        let done = loop {
            if !driver.started {
                driver.started = true;
                driver.session.start(driver.now());
            }
            if !driver.drained {
                driver.drain();
                driver.drained = true;
            }
            if driver.ended {
                if let Some(socket) = driver.socket.take() {
                    // A close frame or a reply to the server's may still be queued.
                    socket.finish();
                }
                break true;
            }
            // Re-armed after every firing too: a fired timer may not fire
            // again for the same deadline.
            let deadline = driver
                .session
                .poll_timeout()
                .and_then(|at| driver.clock.deadline(at));
            if let Some(deadline) = deadline {
                if *this.armed != Some(deadline) {
                    R::reset_timer(this.timer.as_mut(), deadline);
                    *this.armed = Some(deadline);
                }
            }
            if budget == 0 {
                cx.waker().wake_by_ref();
                break false;
            }
            budget -= 1;
            let timer = this.timer.as_mut();
            match driver.poll_input(cx, timer, deadline.is_some()) {
                Poll::Pending => break false,
                Poll::Ready(Input::Abort) => {
                    debug!("force-closed");
                    break true;
                }
                Poll::Ready(input) => {
                    if matches!(input, Input::Timeout) {
                        *this.armed = None;
                    }
                    driver.handle(input);
                    driver.drained = false;
                }
            }
        };
        if !done {
            return Poll::Pending;
        }
        // Drops the socket and any connect attempt, and tells the application.
        *this.driver = None;
        debug!("connection task ended");
        Poll::Ready(())
    }
}

/// Everything the loop owns. Dropping it (the task ended, was aborted, or
/// its runtime shut down) tells the application.
struct Driver<R: Runtime> {
    session: Session,
    clock: Clock,
    /// The session starts when the task first runs.
    started: bool,
    tls: Option<Arc<rustls::ClientConfig>>,
    socket: Option<Socket<R::Socket>>,
    connecting: Option<Connecting<R::Socket>>,
    shared: Arc<Shared>,
    /// The application had no room for more events: the core may hold
    /// more, unacknowledged, until it has.
    backlog: bool,
    /// The application asked to close.
    closing: bool,
    /// The application closed and the core's last event was delivered:
    /// the task is over.
    ended: bool,
    /// Nothing happened since the last drain.
    drained: bool,
    /// Which input is polled first next time.
    turn: u8,
}

impl<R: Runtime> Drop for Driver<R> {
    fn drop(&mut self) {
        self.shared.finish();
    }
}

impl<R: Runtime> Driver<R> {
    /// The next input, polling each source once, starting with a different
    /// one each time; force-closing comes before everything.
    fn poll_input(
        &mut self,
        cx: &mut Context<'_>,
        mut timer: Pin<&mut R::Timer>,
        armed: bool,
    ) -> Poll<Input<R::Socket>> {
        if self.shared.is_aborted() {
            return Poll::Ready(Input::Abort);
        }
        let first = self.turn;
        self.turn = (self.turn + 1) % INPUTS;
        for i in 0..INPUTS {
            let polled = match (first + i) % INPUTS {
                0 => self
                    .shared
                    .poll_command(cx)
                    .map(|command| command.map_or(Input::Abort, Input::Command)),
                1 => match &mut self.connecting {
                    Some(connecting) => connecting.as_mut().poll(cx).map(Input::Connected),
                    None => Poll::Pending,
                },
                2 => match &mut self.socket {
                    Some(socket) => socket.poll_next(cx).map(Input::Inbound),
                    None => Poll::Pending,
                },
                3 if armed => R::poll_timer(timer.as_mut(), cx).map(|()| Input::Timeout),
                4 if self.backlog => self.shared.poll_room(cx).map(|()| Input::Room),
                _ => Poll::Pending,
            };
            if polled.is_ready() {
                return polled;
            }
        }
        Poll::Pending
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
            Input::Inbound(inbound) => self.on_inbound(inbound),
            Input::Timeout => self.session.handle_timeout(self.now()),
            Input::Room | Input::Abort => {}
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
                warn!(%error, "connect failed");
                self.session.handle_close(now, None);
            }
        }
    }

    fn on_inbound(&mut self, inbound: Inbound) {
        let now = self.now();
        let Some(socket) = &mut self.socket else {
            return;
        };
        if socket.reported {
            // Already reported closed: only its end matters, to drop it.
            if matches!(inbound, Inbound::Ended) {
                self.socket = None;
            }
            return;
        }
        match inbound {
            Inbound::Data(Message::Text(text)) => {
                trace!(len = text.len(), "text frame");
                self.session.handle_frame(now, Frame::Text(text.as_str()));
            }
            Inbound::Data(Message::Binary(bytes)) => {
                trace!(len = bytes.len(), "binary frame");
                self.session.handle_frame(now, Frame::Binary(bytes));
            }
            Inbound::Data(_) => {}
            Inbound::Oversized(size) => {
                warn!(size, "message over max_message_size");
                self.session.handle_oversized(now, size);
            }
            Inbound::Close(code) => {
                debug!(?code, "close frame received");
                // Kept until it ends, so tungstenite can send its reply.
                socket.reported = true;
                self.session.handle_close(now, code);
            }
            Inbound::Ended => {
                debug!("socket ended without a close frame");
                self.socket = None;
                self.session.handle_close(now, None);
            }
        }
    }

    /// After every input: transmits first (they belong to the current
    /// socket, which a connect request replaces), events, a connect
    /// request, then the status.
    fn drain(&mut self) {
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
                self.session.handle_close(self.now(), None);
            }
        }
        self.deliver_events();
        if let Some(url) = self.session.poll_connect() {
            debug!(%url, "connecting");
            self.drop_socket();
            let max = self.session.config().transport.max_message_size;
            self.connecting = Some(socket::connect::<R>(url, max, self.tls.clone()));
        }
        self.shared.set_status(Status::of(&self.session));
    }

    /// Moves events from the core to the application while it has room.
    /// What does not fit stays in the core's bounded queue, which refuses
    /// new messages (unacknowledged, so the server replays them) while it
    /// is full. Without `Events` to read them, events are taken and
    /// discarded. After a close, the task ends once the core has ended and
    /// its last event is delivered.
    fn deliver_events(&mut self) {
        let room = self.shared.event_room();
        let mut left = room.unwrap_or(usize::MAX);
        self.backlog = false;
        loop {
            if left == 0 {
                self.backlog = true;
                return;
            }
            let Some(event) = self.session.poll_event() else {
                break;
            };
            self.log_event(&event);
            if room.is_some() {
                self.shared.push_event(event);
            }
            left -= 1;
        }
        self.ended = self.closing && self.session.phase().is_terminal();
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
            Event::Disconnected { code, by_self } => {
                info!(code = ?code.map(|c| c.0), by_self, "disconnected");
            }
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
            Event::Stopped { code } => info!(code = ?code.map(|c| c.0), "stopped"),
            Event::Fatal { code, reason } => error!(code = code.0, reason, "fatal"),
            Event::InvalidFrame(e) => warn!(error = %e, "invalid frame"),
            Event::Unsent(unsent) => warn!(count = unsent.len(), "messages left unsent"),
            Event::Connected => debug!("connected"),
            Event::SessionDescription(_) => debug!(seq, "session description"),
            Event::Message(incoming) => {
                debug!(op = incoming.message.op(), seq = ?incoming.seq, "message");
            }
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
