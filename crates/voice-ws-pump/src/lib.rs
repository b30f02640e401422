//! The runtime-agnostic half of the voice-ws drivers: the loop that drives
//! a [`Session`] (the sans-IO core) over a WebSocket, and what the
//! application holds of a connection ([`Handle`], [`Events`], [`Status`],
//! [`DriverConfig`]).
//!
//! A driver crate (`voice-ws-tokio`, `voice-ws-async-std`) implements
//! [`Runtime`] — the steps of dialing (TCP, TLS, bytes in and out for the
//! WebSocket upgrade, the socket after it) with its runtime's types, a
//! clock, a timer — chooses the TLS settings, and
//! hands the application the [`Connection`] that [`connect`] returns, whose
//! task runs on the driver's executor. Everything else is here, once, so
//! the drivers behave identically by construction:
//!
//! ```text
//!   app ── Handle::send / close / update_credentials ──┐
//!                                                      v
//!        ┌──────────── one Task per connection ─────────────────────┐
//!        │  poll in turn { commands, connecting, socket, timer,     │
//!        │                 room }, handle the input, then drain     │
//!        │     │ handle_open / handle_frame / handle_close / ...    │
//!        │     v                                                    │
//!        │  Session ── poll_connect → dial: TCP, TLS, handshake     │
//!        │          ── poll_transmit → write (or drop the socket)   │
//!        │          ── poll_event → bounded queue ────────────────┐ │
//!        │          ── poll_timeout → Runtime's timer             │ │
//!        └────────────────────────────────────────────────────────┼─┘
//!   app <── Events (a Stream) ────────────────────────────────────┘
//! ```
//!
//! Applications use a driver crate, which re-exports what they need from
//! here.
//!
//! # Dependencies in the public API
//!
//! Three crates outside this project appear in this crate's API, so a
//! breaking release of any of them is a breaking release of this crate and
//! of both drivers:
//!
//! - [`rustls`] (0.23): [`DriverConfig::tls`] and [`Runtime::connect_tls`]
//!   take its `ClientConfig`. Re-exported here and by the drivers, so an
//!   application that builds its own TLS settings uses the same version.
//! - [`tungstenite`] (0.30): the `Message`, error, request and
//!   `WebSocketConfig` types of [`Runtime`]'s socket. Only a
//!   crate implementing [`Runtime`] meets them; re-exported for it.
//! - `futures-core` (0.3): [`Events`] is a `Stream`.
//!
//! The core adds `bytes` (1: binary frames and payloads) and `serde_json`
//! (1: [`UnknownPayload::Json`](voice_ws_proto::codec::UnknownPayload)).
//! Applications that only send and receive messages meet `bytes` and
//! nothing else.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod census;
mod clock;
mod command;
mod config;
mod connection;
#[cfg(feature = "dave")]
mod dave_handshake;
mod events;
mod handle;
mod shared;
mod socket;
mod status;
mod task;
#[cfg(feature = "ring-webpki")]
pub mod tls;
mod upgrade;

pub use config::DriverConfig;
pub use connection::Connection;
pub use events::Events;
pub use handle::Handle;
pub use status::Status;
pub use task::Task;

/// The TLS library, for building a custom [`DriverConfig::tls`].
pub use rustls;
/// The WebSocket library whose `Message` the
/// drivers' sockets carry.
pub use tungstenite;
/// The DAVE handshake's crate: [`DaveMedia`](voice_ws_dave::DaveMedia)
/// and its errors, for what [`Handle::dave_media`] returns.
#[cfg(feature = "dave")]
#[cfg_attr(docsrs, doc(cfg(feature = "dave")))]
pub use voice_ws_dave as dave;
/// The sans-IO core, for the types not re-exported here.
pub use voice_ws_proto as proto;
pub use voice_ws_proto::{
    ClientMessage, CloseCode, ConnectError, Credentials, Endpoint, Event, Invalidation, Phase,
    SendError, SessionConfig, SocketLoss, State, Stats, Token,
};

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{Sink, Stream};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Error as WsError, Message};
use voice_ws_proto::Session;

use crate::shared::Shared;

/// A boxed, sendable future: what [`Runtime::sleep`] returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What differs between async runtimes: the types and steps of dialing,
/// and how to tell and wait for the time. Implemented once per driver
/// crate, on a unit type. The loop dials every URL the same way, through
/// these steps: [`Runtime::connect_tcp`], then [`Runtime::connect_tls`] for
/// `wss://` or [`Runtime::plain`] for `ws://`, then the WebSocket upgrade
/// (written with [`Runtime::write_all`], read with [`Runtime::read`]) and
/// [`Runtime::websocket`].
pub trait Runtime: 'static {
    /// A connected TCP stream.
    type Tcp: Send + 'static;

    /// The byte stream a WebSocket runs on: TCP, or TLS over it. Both
    /// drivers box it (`Box<dyn Io>`) rather than use an enum: a rustls
    /// connection is over a kilobyte, and an enum would make every plain
    /// socket (and the task holding it) that large too.
    type Stream: Send + 'static;

    /// An open WebSocket.
    type Socket: Stream<Item = Result<Message, WsError>>
        + Sink<Message, Error = WsError>
        + Unpin
        + Send
        + 'static;

    /// A resettable timer: one per connection, re-armed to each deadline
    /// the core asks for.
    type Timer: Send + 'static;

    /// The runtime's clock (a runtime with a test clock, like tokio's
    /// paused time, returns that).
    fn now() -> Instant;

    /// A timer that is not armed yet (it is polled only once reset).
    fn timer() -> Self::Timer;

    /// Arms `timer` to fire at `deadline`, on [`Runtime::now`]'s clock.
    fn reset_timer(timer: Pin<&mut Self::Timer>, deadline: Instant);

    /// Ready once the armed deadline has passed.
    fn poll_timer(timer: Pin<&mut Self::Timer>, cx: &mut Context<'_>) -> Poll<()>;

    /// Completes after `duration`: [`Handle::close`]'s limit.
    fn sleep(duration: Duration) -> BoxFuture<()>;

    /// The TLS settings for `wss://` when [`DriverConfig::tls`] is `None`:
    /// the driver's choice of crypto provider and roots (both drivers here:
    /// `tls::ring_webpki`, feature `ring-webpki`). Asked at each
    /// `wss://` dial, so a driver should build them once.
    fn default_tls() -> Arc<ClientConfig>;

    /// Connects to `host` (a name or an IP literal, IPv6 without brackets)
    /// on `port`, with `TCP_NODELAY`: heartbeats are tiny and their
    /// round-trip time is measured.
    fn connect_tcp(host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// `tcp` as it is, for `ws://`.
    fn plain(tcp: Self::Tcp) -> Self::Stream;

    /// TLS over `tcp` with `config`, verifying the certificate against
    /// `name`, for `wss://`.
    fn connect_tls(
        tcp: Self::Tcp,
        name: ServerName<'static>,
        config: Arc<ClientConfig>,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Reads what `stream` has into `buf`: at least one byte, or 0 at its
    /// end. Used only for the upgrade's response, which the loop reads
    /// itself (see [`Runtime::websocket`]).
    fn read(
        stream: &mut Self::Stream,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send;

    /// Writes all of `bytes` to `stream`, then flushes it: the upgrade
    /// request.
    fn write_all(
        stream: &mut Self::Stream,
        bytes: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// The WebSocket over `stream`, once the loop has upgraded it, with
    /// `config`'s buffers and limits. `tail` is what arrived after the
    /// upgrade response (the start of the first frames); the socket reads
    /// it first. This is `WebSocketStream::from_partially_read` in both
    /// tokio-tungstenite and async-tungstenite. The loop upgrades the
    /// stream itself, rather than through their client handshake, because
    /// tungstenite keeps its handshake's 4 KiB buffer as the socket's frame
    /// buffer for the connection's whole life.
    fn websocket(
        stream: Self::Stream,
        tail: Vec<u8>,
        config: WebSocketConfig,
    ) -> impl Future<Output = Self::Socket> + Send;
}

/// Prepares a connection on the runtime `R`: the [`Handle`] to command it,
/// its [`Events`], and the [`Task`] to spawn on `R`'s executor.
///
/// The task connects at once to `credentials.endpoint` and runs until [`Handle::close`], a force-close, or the last
/// [`Handle`] dropped. A stop (4014, 4021, 4022), a fatal close (4004, 4012,
/// 4016, 4017, 4020) or `SessionInvalidated` leaves it waiting for
/// [`Handle::update_credentials`], which starts a fresh session. Until the task is polled
/// nothing happens; if it is dropped unpolled, the connection has ended.
pub fn connect<R: Runtime>(config: DriverConfig, credentials: Credentials) -> Connection<Task<R>> {
    let span = tracing::info_span!("voice_ws", server_id = %credentials.server_id);
    let close_wait = (config.session.transport.close_timeout).saturating_add(handle::CLOSE_SLACK);
    let mut session_config = config.session;
    if session_config.rng_seed == 0 {
        session_config.rng_seed = config::random_seed();
    }
    #[cfg(feature = "dave")]
    let dave = dave_handshake::Dave::new(&credentials);
    let session = Session::new(session_config, credentials);
    let shared = Arc::new(Shared::new(
        Status::of(&session),
        config.event_buffer,
        config.command_buffer,
        close_wait,
    ));
    #[cfg(feature = "dave")]
    let media = dave.media();
    let task = Task::new(
        session,
        config.tls,
        shared.clone(),
        span,
        #[cfg(feature = "dave")]
        dave,
    );
    Connection {
        handle: Handle::new(
            shared.clone(),
            R::sleep,
            #[cfg(feature = "dave")]
            media,
        ),
        events: Events::new(shared),
        task,
    }
}
