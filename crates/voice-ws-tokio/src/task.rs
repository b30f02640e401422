//! The connection task: one loop that feeds the core its inputs (socket,
//! commands, time) and, after every input, does what the core asks.
//!
//! The driver makes no protocol decision of its own: it connects when
//! `poll_connect` says so, writes what `poll_transmit` hands over, delivers
//! what `poll_event` yields, and sleeps until `poll_timeout`. Every socket
//! outcome is reported as it is: open, a frame, an oversized message, a
//! close frame's code, or `None` for EOF, reset and errors.

use std::future::{Future, poll_fn};
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, error, info, trace, warn};
use voice_ws_proto::{Credentials, Event, Frame, Outgoing, SendError, Session, Transmit};

use crate::clock::{Clock, far_future};
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

/// Everything the loop owns. Dropping it (the task ended, was aborted, or
/// its runtime shut down) tells the application.
pub(crate) struct Driver {
    session: Session,
    clock: Clock,
    tls: Option<Arc<rustls::ClientConfig>>,
    socket: Option<Socket>,
    connecting: Option<Connecting>,
    shared: Arc<Shared>,
    /// The application had no room for more events: the core may hold
    /// more, unacknowledged, until it has.
    backlog: bool,
    /// The core's last event (`Stopped` or `Fatal`, always its last) was
    /// taken: the session is over.
    ended: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shared.finish();
    }
}

impl Driver {
    pub(crate) fn new(
        session: Session,
        tls: Option<Arc<rustls::ClientConfig>>,
        shared: Arc<Shared>,
    ) -> Box<Self> {
        Box::new(Self {
            session,
            clock: Clock::start(),
            tls,
            socket: None,
            connecting: None,
            shared,
            backlog: false,
            ended: false,
        })
    }

    /// Runs the session to its end (`Stopped` or `Fatal` delivered).
    ///
    /// Boxed: an async fn's future holds its arguments twice (rust-lang/rust
    /// #62958), and the driver is over a kilobyte, per connection.
    pub(crate) async fn run(mut self: Box<Self>) {
        self.session.start(self.clock.now());
        let sleep = tokio::time::sleep_until(far_future());
        tokio::pin!(sleep);
        loop {
            self.drain();
            if self.ended {
                break;
            }
            let deadline = self
                .session
                .poll_timeout()
                .map(|at| self.clock.to_tokio(at));
            if let Some(deadline) = deadline {
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
            }
            tokio::select! {
                command = poll_fn(|cx| self.shared.poll_command(cx)) => self.on_command(command),
                opened = maybe(&mut self.connecting) => {
                    self.connecting = None;
                    self.on_connected(opened);
                }
                inbound = next_inbound(&mut self.socket) => self.on_inbound(inbound),
                () = &mut sleep, if deadline.is_some() => {
                    self.session.handle_timeout(self.clock.now());
                }
                // The application made room: deliver what the core holds.
                () = poll_fn(|cx| self.shared.poll_room(cx)), if self.backlog => {}
            }
        }
        if let Some(socket) = self.socket.take() {
            // A close frame or a reply to the server's may still be queued.
            socket.finish();
        }
        debug!("connection task ended");
    }

    fn on_command(&mut self, command: Command) {
        let now = self.clock.now();
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
                self.session.close(now);
            }
        }
    }

    fn on_connected(&mut self, opened: Result<socket::WsStream, impl std::fmt::Display>) {
        let now = self.clock.now();
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
        let now = self.clock.now();
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
                self.session.handle_close(self.clock.now(), None);
            }
        }
        self.deliver_events();
        if let Some(url) = self.session.poll_connect() {
            debug!(%url, "connecting");
            self.drop_socket();
            let max = self.session.config().transport.max_message_size;
            self.connecting = Some(socket::connect(url, max, self.tls.clone()));
        }
        self.shared.set_status(Status::of(&self.session));
    }

    /// Moves events from the core to the application while it has room.
    /// Taking a message from the core acknowledges it (`seq_ack`), so what
    /// does not fit stays there until the application reads. Without
    /// `Events` to read them, events are taken and discarded.
    fn deliver_events(&mut self) {
        let room = self.shared.event_room();
        let mut left = room.unwrap_or(usize::MAX);
        self.backlog = false;
        while !self.ended {
            if left == 0 {
                self.backlog = true;
                break;
            }
            let Some(event) = self.session.poll_event() else {
                break;
            };
            self.log_event(&event);
            self.ended = matches!(event, Event::Stopped { .. } | Event::Fatal { .. });
            if room.is_some() {
                self.shared.push_event(event);
            }
            left -= 1;
        }
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
            Event::SessionInvalidated { code } => {
                warn!(code = ?code.map(|c| c.0), "session invalidated; new credentials needed");
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

/// The connect attempt's outcome, or never when there is none.
async fn maybe<F: Future + Unpin>(future: &mut Option<F>) -> F::Output {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// The socket's next input, or never when there is no socket.
async fn next_inbound(socket: &mut Option<Socket>) -> Inbound {
    match socket {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}
