//! A complete voice gateway driver with no async runtime: one thread, a
//! blocking `std::net::TcpStream`, rustls, tungstenite's sync API and
//! `std::time::Instant`. The core decides everything (what to send, when to
//! beat, when and where to reconnect); this file only moves bytes and time.
//!
//! The one rule: after every input to the session, drain `poll_transmit`,
//! then `poll_event`, then `poll_connect`, and wait for the socket at most
//! until `poll_timeout`. A game loop, a mio loop or an embedded runtime
//! follows the same shape; only the waiting differs.

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tungstenite::client::IntoClientRequest;
use tungstenite::error::{CapacityError, Error as WsError};
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, WebSocket};
use voice_ws_proto::{Credentials, Event, Frame, Instant, Phase, Session, SessionConfig, Transmit};

/// Plain TCP or TLS over TCP: tungstenite only needs `Read + Write`.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// An open WebSocket, and a clone of its TCP socket: timeouts and shutdown
/// belong to the OS socket, so the clone reaches under TLS and tungstenite.
struct Socket {
    ws: WebSocket<Box<dyn Stream>>,
    tcp: TcpStream,
}

/// Runs one voice session until it ends: `Stopped` or `Fatal`, or
/// `SessionInvalidated` (a real bot would then ask the main gateway for new
/// credentials and call `Session::update_credentials`; this example has no
/// main gateway, so it returns). Every event goes to `on_event`; when that
/// returns true, the session is closed gracefully (close 1000, then
/// `Stopped`). Returns the phase the session ended in.
pub(crate) fn run(
    credentials: Credentials,
    config: SessionConfig,
    mut on_event: impl FnMut(&Event) -> bool,
) -> Phase {
    // The core's clock: nanoseconds since this epoch.
    let epoch = std::time::Instant::now();
    let now = || Instant::from_elapsed(epoch.elapsed());
    let max_message_size = config.transport.max_message_size;
    // Dialing blocks the only thread, so it gets the core's connect timeout.
    let dial_timeout = config.connect_timeout;
    let tls = tls_config();

    let mut session = Session::new(config, credentials);
    let mut socket: Option<Socket> = None;
    session.start(now());
    'input: loop {
        // 1. Transmits: they belong to the current socket.
        while let Some(transmit) = session.poll_transmit() {
            if let Transmit::Abort = transmit {
                abort(socket.take());
                continue;
            }
            let Some(sock) = &mut socket else { continue };
            if let Err(error) = write(&mut sock.ws, transmit) {
                // A dead socket: tell the core, then drain again from the top.
                eprintln!("write failed: {error}");
                abort(socket.take());
                session.handle_close(now(), None);
                continue 'input;
            }
        }
        // 2. Events. The application may answer with a command (here:
        // close), which is an input too: drain again from the top.
        let mut stop = false;
        while let Some(event) = session.poll_event() {
            stop |= on_event(&event);
        }
        if stop {
            session.close(now());
            continue;
        }
        // 3. A connect request replaces whatever socket there was.
        if let Some(url) = session.poll_connect() {
            abort(socket.take());
            match dial(&url, &tls, max_message_size, dial_timeout) {
                Ok(sock) => {
                    socket = Some(sock);
                    session.handle_open(now());
                }
                Err(error) => {
                    eprintln!("connect to {url} failed: {error}");
                    session.handle_close(now(), None);
                }
            }
            continue;
        }
        if matches!(session.phase(), Phase::NeedsCredentials) || session.phase().is_terminal() {
            abort(socket.take());
            return session.phase();
        }
        // 4. Wait for the socket, but never past the core's next deadline.
        let deadline = session.poll_timeout();
        let wait = deadline.map(|at| at - now());
        if wait == Some(Duration::ZERO) {
            session.handle_timeout(now());
            continue;
        }
        let Some(sock) = &mut socket else {
            // No socket (waiting out a backoff): just sleep. A session with
            // neither a socket nor a deadline would wait forever; it cannot
            // happen outside the phases returned above.
            std::thread::sleep(wait.unwrap_or(Duration::from_secs(1)));
            session.handle_timeout(now());
            continue;
        };
        // `set_read_timeout(Some(ZERO))` is an error; `None` blocks forever.
        if let Err(error) = sock.tcp.set_read_timeout(wait) {
            eprintln!("set_read_timeout failed: {error}");
        }
        match sock.ws.read() {
            Ok(Message::Text(text)) => session.handle_frame(now(), Frame::Text(&text)),
            Ok(Message::Binary(bytes)) => session.handle_frame(now(), Frame::Binary(bytes)),
            Ok(Message::Close(frame)) => {
                // The peer's close, or its answer to ours. tungstenite has
                // queued its reply; flush it before the socket goes.
                let _ = sock.ws.flush();
                socket = None;
                session.handle_close(now(), frame.map(|f| f.code.into()));
            }
            // tungstenite answers pings itself.
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            // The read timed out: a deadline is due (or nearly; early is harmless).
            Err(WsError::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                session.handle_timeout(now());
            }
            // Over max_message_size: the core closes with 1009 and resumes.
            Err(WsError::Capacity(CapacityError::MessageTooLong { size, .. })) => {
                session.handle_oversized(now(), size);
            }
            // EOF, reset, protocol error: the socket ended without a close frame.
            Err(error) => {
                eprintln!("socket ended: {error}");
                abort(socket.take());
                session.handle_close(now(), None);
            }
        }
    }
}

/// Writes one transmit and flushes it (`send` does both).
fn write(ws: &mut WebSocket<Box<dyn Stream>>, transmit: Transmit) -> Result<(), WsError> {
    match transmit {
        Transmit::Text(text) => ws.send(Message::Text(text.into())),
        Transmit::Binary(bytes) => ws.send(Message::Binary(bytes)),
        // The core then waits for the server's close, or its close timeout.
        Transmit::Close(code) => ws.close(Some(CloseFrame {
            code: code.0.into(),
            reason: "".into(),
        })),
        Transmit::Abort => unreachable!("handled by the caller"),
    }
}

/// Drops a socket now; `shutdown` so the peer sees the end at once even if
/// something else still holds the file descriptor.
fn abort(socket: Option<Socket>) {
    if let Some(socket) = socket {
        let _ = socket.tcp.shutdown(std::net::Shutdown::Both);
    }
}

/// TCP, then TLS for `wss://` (the core only hands out `ws://` for a
/// loopback endpoint parsed with `allow_insecure`), then the WebSocket
/// handshake, each bounded by `timeout`.
fn dial(
    url: &str,
    tls: &Arc<ClientConfig>,
    max_message_size: usize,
    timeout: Duration,
) -> Result<Socket, Box<dyn Error>> {
    let request = url.into_client_request()?;
    let secure = request.uri().scheme_str() == Some("wss");
    let host = request.uri().host().ok_or("no host")?;
    // IPv6 literals come bracketed in URLs, bare everywhere else.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });

    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut tcp = None;
    for addr in (host.as_str(), port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(error) => last_error = error,
        }
    }
    let tcp = tcp.ok_or(last_error)?;
    tcp.set_nodelay(true)?;
    // Bounds the handshake; reads get their timeout from the core later.
    // Writes keep it: a peer that stops reading must not freeze the loop.
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;

    let stream: Box<dyn Stream> = if secure {
        let name = ServerName::try_from(host)?;
        let tls = ClientConnection::new(tls.clone(), name)?;
        Box::new(StreamOwned::new(tls, tcp.try_clone()?))
    } else {
        Box::new(tcp.try_clone()?)
    };
    // The core's size limit, enforced by tungstenite before it buffers a frame.
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size));
    let (ws, _response) = tungstenite::client::client_with_config(request, stream, Some(ws_config))
        .map_err(|e| e.to_string())?;
    Ok(Socket { ws, tcp })
}

/// rustls with the ring provider and the Mozilla roots, verifying
/// certificates.
fn tls_config() -> Arc<ClientConfig> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    Arc::new(config)
}
