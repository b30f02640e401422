//! The WebSocket itself, whatever the runtime: what to dial (a [`Target`]:
//! address, TLS, buffers sized for voice), the steps of dialing it (TCP,
//! TLS, handshake, each done with the [`Runtime`]'s types), and moving
//! messages in and out of an open socket without ever blocking the loop.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tungstenite::client::IntoClientRequest;
use tungstenite::error::{CapacityError, Error as WsError, UrlError};
use tungstenite::handshake::client::Request;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, Utf8Bytes};
use voice_ws_proto::{ConnectError, SocketLoss, Transmit};

use crate::upgrade::Upgrade;
use crate::{BoxFuture, Runtime};

/// A connect attempt in flight; dropping it cancels the attempt.
pub(crate) type Connecting<S> = BoxFuture<Result<S, WsError>>;

/// The socket's read buffer, the most tungstenite reads at once and the
/// space it zero-fills before each read: a voice gateway message is rarely
/// over 1 KiB, and a larger one takes a few reads (the buffer grows for
/// it). Its default, 128 KiB, cost ~14x the memory and most of the CPU of
/// an idle voice connection.
const READ_BUFFER: usize = 1024;
/// The upgrade response is read this much at a time: a voice server's head
/// is a few hundred bytes.
const UPGRADE_READ: usize = 512;
/// Writes coalesce up to this much before going to the socket; every batch
/// is flushed anyway.
const WRITE_BUFFER: usize = 4096;
/// Room for one outgoing message (an MLS commit can be large) on top of the
/// write buffer; tungstenite refuses writes beyond it.
const MIN_WRITE_BOUND: usize = 1 << 20;

/// Where and how to dial a URL the core asked for.
#[derive(Debug)]
struct Target {
    /// The handshake request (URL, Host header, WebSocket key).
    request: Request,
    /// The host to resolve and connect to (IPv6 literals without brackets).
    host: String,
    /// The TCP port.
    port: u16,
    /// For `wss://`: the name to verify the certificate against, and the
    /// TLS settings. `None` for `ws://`.
    tls: Option<(ServerName<'static>, Arc<ClientConfig>)>,
    /// The WebSocket settings: 4 KiB buffers, the core's size limits.
    ws_config: WebSocketConfig,
}

impl Target {
    /// Parses `url` as the core gave it: `wss://` through TLS (verified),
    /// `ws://` in the clear (the core's endpoint only yields it for
    /// loopback, when explicitly allowed).
    fn parse<R: Runtime>(
        url: String,
        max_message_size: usize,
        tls: Option<Arc<ClientConfig>>,
    ) -> Result<Self, WsError> {
        let request = url.into_client_request()?;
        let uri = request.uri();
        let secure = match uri.scheme_str() {
            Some("wss") => true,
            Some("ws") => false,
            _ => return Err(WsError::Url(UrlError::UnsupportedUrlScheme)),
        };
        let host = uri.host().ok_or(WsError::Url(UrlError::NoHostName))?;
        // IPv6 literals come bracketed in URLs, bare everywhere else.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let tls = if secure {
            let name = ServerName::try_from(host.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            Some((name, tls.unwrap_or_else(R::default_tls)))
        } else {
            None
        };
        Ok(Self {
            request,
            host,
            port,
            tls,
            ws_config: ws_config(max_message_size),
        })
    }
}

/// Dials `url` with the runtime `R`, verifying `wss://` with `tls` (`None`:
/// the runtime's [default](Runtime::default_tls)).
pub(crate) fn connect<R: Runtime>(
    url: String,
    max_message_size: usize,
    tls: Option<Arc<ClientConfig>>,
) -> Connecting<R::Socket> {
    match Target::parse::<R>(url, max_message_size, tls) {
        Ok(target) => Box::pin(dial::<R>(target)),
        Err(error) => Box::pin(std::future::ready(Err(error))),
    }
}

/// TCP, TLS when the target says so, then the WebSocket upgrade: the same
/// steps on every runtime. Dropping the future cancels the attempt.
async fn dial<R: Runtime>(target: Target) -> Result<R::Socket, WsError> {
    let tcp = R::connect_tcp(&target.host, target.port).await?;
    let mut stream = match target.tls {
        Some((name, config)) => R::connect_tls(tcp, name, config).await?,
        None => R::plain(tcp),
    };
    let (mut upgrade, request) = Upgrade::start(target.request)?;
    R::write_all(&mut stream, &request).await?;
    // In the dial's future, which is boxed and dropped once it completes.
    let mut chunk = [0; UPGRADE_READ];
    loop {
        let n = R::read(&mut stream, &mut chunk).await?;
        if n == 0 {
            return Err(Upgrade::ended_early());
        }
        if let Some(tail) = upgrade.received(&chunk[..n])? {
            return Ok(R::websocket(stream, tail, target.ws_config).await);
        }
    }
}

/// Why a dial failed, for the core: the one place that reads tungstenite's,
/// the resolver's and rustls' errors.
///
/// - `Error::Http(response)`: the upgrade was answered, but not with 101:
///   [`ConnectError::UpgradeRejected`] with its status.
/// - An I/O error carrying a `rustls::Error` (how both drivers' TLS
///   connectors report it): [`ConnectError::Tls`] with rustls' reason
///   (for a certificate, the verifier's: "invalid peer certificate: ...").
/// - `ConnectionRefused`: [`ConnectError::Refused`].
/// - A resolver failure (std's "failed to lookup address information",
///   which tokio and async-net both pass on, or no address at all):
///   [`ConnectError::Dns`].
/// - `TimedOut`: [`ConnectError::TimedOut`].
/// - Anything else: [`ConnectError::Io`] with the error's text.
pub(crate) fn classify(error: &WsError) -> ConnectError {
    match error {
        WsError::Http(response) => ConnectError::UpgradeRejected {
            status: response.status().as_u16(),
        },
        WsError::Io(io) => classify_io(io),
        other => ConnectError::Io {
            message: other.to_string(),
        },
    }
}

/// The TLS library's reason, when rustls is what failed under `error`.
fn tls_reason(error: &io::Error) -> Option<String> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(ToString::to_string)
}

fn classify_io(error: &io::Error) -> ConnectError {
    if let Some(reason) = tls_reason(error) {
        return ConnectError::Tls { reason };
    }
    let message = error.to_string();
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused,
        io::ErrorKind::TimedOut => ConnectError::TimedOut,
        _ if message.contains("failed to lookup address")
            || message.contains("the host has no address") =>
        {
            ConnectError::Dns { reason: message }
        }
        _ => ConnectError::Io { message },
    }
}

/// Why an open socket failed, for [`Session::handle_lost`]: the same
/// sources as [`classify`], seen after the handshake.
///
/// [`Session::handle_lost`]: voice_ws_proto::Session::handle_lost
pub(crate) fn loss(error: &WsError) -> SocketLoss {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => SocketLoss::Eof,
        WsError::Protocol(_) | WsError::Utf8(_) => SocketLoss::Protocol {
            message: error.to_string(),
        },
        WsError::Io(io) => {
            if let Some(reason) = tls_reason(io) {
                return SocketLoss::Tls { reason };
            }
            match io.kind() {
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => SocketLoss::Reset,
                io::ErrorKind::UnexpectedEof => SocketLoss::Eof,
                _ => SocketLoss::Io {
                    message: io.to_string(),
                },
            }
        }
        other => SocketLoss::Io {
            message: other.to_string(),
        },
    }
}

fn ws_config(max_message_size: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(max_message_size.max(MIN_WRITE_BOUND) + WRITE_BUFFER)
        // A frame header announcing more than this is refused before its
        // payload is read, and reported to the core as oversized.
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size))
}

/// What the socket produced for the core.
#[derive(Debug)]
pub(crate) enum SocketRead {
    /// A text or binary message.
    Data(Message),
    /// The peer's close frame and its code, if it had one.
    Close(Option<u16>),
    /// A message or frame over `max_message_size`, refused unread.
    Oversized(usize),
    /// EOF, reset, or any other read or write error: no close frame.
    Ended(SocketLoss),
}

/// An open WebSocket, the messages waiting to be written to it, and
/// whether it may have something to read.
///
/// Polling a socket that has nothing to read is not free: async-io has no
/// readiness cache, and tungstenite zero-fills its read buffer before
/// every attempt, on any runtime. So the task polls it with a waker of its
/// own, which notes that the socket woke the task, and reads only then or
/// when the last read found something.
pub(crate) struct Socket<S> {
    ws: S,
    outbox: VecDeque<Message>,
    max_outbox: usize,
    unflushed: bool,
    /// The last read produced something: tungstenite may hold more in its
    /// buffer, which no wake-up will announce.
    read_again: bool,
    /// The core has been told this socket ended; it is kept only so that
    /// tungstenite can flush its reply to the peer's close frame.
    pub(crate) reported: bool,
}

/// The outbox is full: the peer has not read for a long time.
#[derive(Debug)]
pub(crate) struct Overflow;

impl<S> Socket<S>
where
    S: Stream<Item = Result<Message, WsError>> + Sink<Message, Error = WsError> + Unpin,
{
    pub(crate) fn new(ws: S, max_outbox: usize) -> Self {
        Self {
            ws,
            // One message at a time is the rule (a heartbeat, a send):
            // room for one instead of the default first four saves ~170
            // bytes a connection; a burst still grows it.
            outbox: VecDeque::with_capacity(1),
            max_outbox,
            unflushed: false,
            read_again: true,
            reported: false,
        }
    }

    /// Queues a transmit from the core; written as the loop polls [`Socket::poll_next`].
    pub(crate) fn queue(&mut self, transmit: Transmit) -> Result<(), Overflow> {
        let message = match transmit {
            Transmit::Text(text) => Message::Text(text.into()),
            Transmit::Binary(bytes) => Message::Binary(bytes),
            Transmit::Close(code) => Message::Close(Some(CloseFrame {
                code: code.0.into(),
                reason: Utf8Bytes::from_static(""),
            })),
            // The loop handles Abort itself.
            Transmit::Abort => return Ok(()),
        };
        if self.outbox.len() >= self.max_outbox {
            return Err(Overflow);
        }
        self.outbox.push_back(message);
        Ok(())
    }

    /// Writes what is queued, then waits for the next message worth
    /// reporting, polling with the socket's own `waker`. Reads only when
    /// the socket `woken` the task since the last poll, or the last read
    /// found something (tungstenite may hold more): otherwise the waker
    /// that the last `Pending` read registered is still armed.
    pub(crate) fn poll_next(&mut self, waker: &Waker, woken: bool) -> Poll<SocketRead> {
        let cx = &mut Context::from_waker(waker);
        if let Poll::Ready(Err(error)) = self.poll_write(cx) {
            tracing::debug!(%error, "socket write failed");
            return Poll::Ready(SocketRead::Ended(loss(&error)));
        }
        if !woken && !self.read_again {
            return Poll::Pending;
        }
        let read = self.poll_read(cx);
        self.read_again = read.is_ready();
        read
    }

    /// The next message worth reporting, straight from tungstenite.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<SocketRead> {
        loop {
            let read = match ready!(self.ws.poll_next_unpin(cx)) {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    SocketRead::Data(message)
                }
                Some(Ok(Message::Close(frame))) => SocketRead::Close(frame.map(|f| f.code.into())),
                // tungstenite answers pings itself; nothing else concerns the core.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, .. }))) => {
                    SocketRead::Oversized(size)
                }
                Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) | None => {
                    SocketRead::Ended(SocketLoss::Eof)
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, "socket read failed");
                    SocketRead::Ended(loss(&error))
                }
            };
            return Poll::Ready(read);
        }
    }

    /// Moves the outbox into tungstenite and flushes. `Ready(Ok)` once all
    /// is written; `Pending` with a waker registered while the peer is slow.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        while !self.outbox.is_empty() {
            ready!(self.ws.poll_ready_unpin(cx))?;
            if let Some(message) = self.outbox.pop_front() {
                self.ws.start_send_unpin(message)?;
                self.unflushed = true;
            }
        }
        if self.unflushed {
            ready!(self.ws.poll_flush_unpin(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Drops the socket after one non-blocking attempt to write what is
    /// queued (a close frame, usually): best effort, never a wait.
    pub(crate) fn finish(mut self) {
        // Flush even with an empty outbox: tungstenite may hold its reply
        // to the peer's close frame.
        self.unflushed = true;
        let _ = std::future::poll_fn(|cx| self.poll_write(cx)).now_or_never();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;

    /// A WebSocket stand-in: counts read attempts and hands out the
    /// messages it is given.
    #[derive(Default)]
    struct Fake {
        reads: usize,
        inbox: VecDeque<Message>,
        sent: Vec<Message>,
    }

    impl Stream for Fake {
        type Item = Result<Message, WsError>;

        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.reads += 1;
            match self.inbox.pop_front() {
                Some(message) => Poll::Ready(Some(Ok(message))),
                None => Poll::Pending,
            }
        }
    }

    impl Sink<Message> for Fake {
        type Error = WsError;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), WsError> {
            self.sent.push(item);
            Ok(())
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), WsError>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Polls as the task does, with whether the socket woke it.
    fn poll(socket: &mut Socket<Fake>, woken: bool) -> Poll<SocketRead> {
        socket.poll_next(Waker::noop(), woken)
    }

    #[test]
    fn an_idle_socket_is_read_again_only_once_it_wakes() {
        let mut socket = Socket::new(Fake::default(), 8);
        // A new socket is read, and finds nothing.
        assert!(poll(&mut socket, false).is_pending());
        assert_eq!(socket.ws.reads, 1);

        // The task woke for something else (a timer): a heartbeat is
        // written, the socket not read.
        socket
            .queue(Transmit::Text(
                r#"{"op":3,"d":{"t":1,"seq_ack":-1}}"#.into(),
            ))
            .expect("room in the outbox");
        assert!(poll(&mut socket, false).is_pending());
        assert_eq!(socket.ws.reads, 1);
        assert_eq!(socket.ws.sent.len(), 1);

        // Two messages arrive and the socket wakes the task: both are read,
        // then one more read finds nothing.
        socket
            .ws
            .inbox
            .push_back(Message::text(r#"{"op":6,"d":{"t":1}}"#));
        socket
            .ws
            .inbox
            .push_back(Message::text(r#"{"op":6,"d":{"t":2}}"#));
        assert!(matches!(
            poll(&mut socket, true),
            Poll::Ready(SocketRead::Data(_))
        ));
        assert!(matches!(
            poll(&mut socket, false),
            Poll::Ready(SocketRead::Data(_))
        ));
        assert!(poll(&mut socket, false).is_pending());
        assert_eq!(socket.ws.reads, 4);
        assert!(poll(&mut socket, false).is_pending());
        assert_eq!(socket.ws.reads, 4, "idle again: not read");
    }
}
