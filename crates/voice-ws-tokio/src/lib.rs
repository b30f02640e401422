//! Tokio driver for [`voice_ws_proto`](proto): runs a Discord voice gateway (v8)
//! session over tokio-tungstenite, with rustls (ring, webpki roots) for
//! `wss://`.
//!
//! The driver makes no protocol decisions. Everything that is policy —
//! Identify or Resume, heartbeats, zombie detection, close codes, backoff,
//! held sends — lives in the sans-IO [`Session`](proto::Session); the loop
//! that moves bytes and time in and out of it is `voice-ws-pump`'s (its
//! crate docs draw it), shared with `voice-ws-async-std`, so every driver
//! behaves the same, and [`Handle`], [`Events`], [`Status`] and
//! [`DriverConfig`] are the same types in both. This crate only dials (TCP,
//! TLS, WebSocket handshake), keeps tokio's time, and chooses the TLS
//! defaults.
//!
//! # Spawning
//!
//! [`connect`] spawns nothing, like `voice-ws-async-std`'s: it returns a
//! [`Connection`] whose `task` the application spawns
//! (`tokio::spawn(task)`, or on a `JoinSet`). [`spawn`] does both on the
//! current tokio runtime and returns the [`Handle`] and [`Events`].
//!
//! # Example: a bot's voice connection
//!
//! The ids, token and endpoint come from the main gateway's
//! VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use voice_ws_tokio::proto::codec::{SelectProtocol, Speaking};
//! use voice_ws_tokio::{ClientMessage, Credentials, DriverConfig, Endpoint, Event};
//!
//! # async fn bot() -> Result<(), Box<dyn std::error::Error>> {
//! let credentials = Credentials {
//!     server_id: "41771983423143937".into(),
//!     channel_id: "127121515262115840".into(),
//!     user_id: "104694319306248192".into(),
//!     session_id: "my_session_id".into(),
//!     token: "my_voice_token".into(),
//!     endpoint: Endpoint::parse("c-ams07-a1b2.discord.media:443", false)?,
//!     max_dave_protocol_version: 1,
//! };
//! let (handle, mut events) = voice_ws_tokio::spawn(DriverConfig::default(), credentials);
//!
//! while let Some(event) = events.next().await {
//!     match event {
//!         Event::Ready(ready) => {
//!             // Discover our external address over UDP (not shown), then:
//!             let select = SelectProtocol::new(
//!                 "203.0.113.7".into(),
//!                 50_000,
//!                 "aead_aes256_gcm_rtpsize".into(),
//!             );
//!             handle.send(ClientMessage::SelectProtocol(select)).await?;
//!         }
//!         Event::SessionDescription(_description) => {
//!             // Start RTP with the description's secret_key; say we speak.
//!             let speaking = Speaking::new(1, 0x5151);
//!             handle.send(ClientMessage::Speaking(speaking)).await?;
//!         }
//!         Event::SessionInvalidated { .. } => {
//!             // Ask the main gateway for a new voice session, then
//!             // handle.update_credentials(fresh).await
//!         }
//!         Event::Stopped { .. } | Event::Fatal { .. } => break,
//!         _ => {}
//!     }
//! }
//! handle.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What the application must know
//!
//! - [`spawn`] spawns the task on the current tokio runtime (it panics
//!   outside one, like `tokio::spawn`). Time comes from `tokio::time`, so
//!   tests may pause it.
//! - Events are delivered through a bounded queue
//!   ([`DriverConfig::event_buffer`]). A message counts as received — and is
//!   acknowledged to the server in `seq_ack` — once it is in that queue.
//! - Dropping the last [`Handle`] force-closes the connection; call
//!   [`Handle::close`] to leave the voice channel cleanly.
//! - The token never appears in this crate's logs (one `voice_ws` span per
//!   connection with its `server_id`; `seq` and `rtt_ms` on debug events).
//!   tungstenite, however, logs whole outgoing frames — Identify and Resume
//!   included — through the `log` crate at TRACE level: if `log` records are
//!   forwarded to your subscriber (tracing-subscriber's `tracing-log`), keep
//!   `tungstenite` at DEBUG or below.
//! - `ws://` is dialed only when the credentials' [`Endpoint`] allowed it
//!   (loopback, explicitly enabled); everything else is TLS, verified.
//!
//! # End-to-end encryption (feature `dave`)
//!
//! Since March 2026 Discord admits only DAVE (end-to-end encrypted)
//! participants to voice calls. With the `dave` feature the connection
//! task runs the DAVE handshake itself (`voice-ws-dave`, on davey and
//! OpenMLS): the key package, commits, welcomes and transitions are
//! answered without the bot's help, the handshake's progress arrives on
//! the same event stream as [`Event::Dave`], and
//! `Handle::dave_media` hands the media thread what encrypts our Opus
//! frames and decrypts each member's (`dave::DaveMedia`).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod runtime;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::runtime::Tokio;

pub use voice_ws_pump::{DriverConfig, Events, Handle, Status};

/// The DAVE handshake's crate (feature `dave`): `DaveMedia`, its errors.
#[cfg(feature = "dave")]
#[cfg_attr(docsrs, doc(cfg(feature = "dave")))]
pub use voice_ws_pump::dave;
/// The sans-IO core this driver runs, for the types not re-exported here.
pub use voice_ws_pump::proto;
/// The TLS library, for building a custom [`DriverConfig::tls`].
pub use voice_ws_pump::rustls;
pub use voice_ws_pump::{
    ClientMessage, CloseCode, ConnectError, Credentials, Endpoint, Event, Invalidation, Phase,
    SendError, SessionConfig, SocketLoss, State, Stats, Token,
};

pin_project! {
    /// A connection's work, to spawn on a tokio runtime: `Send`, `'static`,
    /// and complete when the connection has ended. Dropping it force-closes
    /// the connection.
    ///
    /// Every poll runs inside the connection's `voice_ws` tracing span.
    #[derive(Debug)]
    #[must_use = "nothing happens until the task is spawned"]
    pub struct Task {
        #[pin]
        inner: voice_ws_pump::Task<Tokio>,
    }
}

impl Future for Task {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

/// What [`connect`] returns: the connection's [`Handle`] and [`Events`],
/// and its [`Task`] to spawn.
pub type Connection = voice_ws_pump::Connection<Task>;

/// Prepares a voice connection. Nothing happens until the returned
/// [`Connection::task`] is spawned on a tokio runtime; it then connects at
/// once to `credentials.endpoint` and runs until [`Handle::close`], a force-close, or the last
/// [`Handle`] dropped. A stop (4014, 4021, 4022), a fatal close (4004, 4012,
/// 4016, 4017, 4020) or `SessionInvalidated` leaves it waiting for
/// [`Handle::update_credentials`], which starts a fresh session.
pub fn connect(config: DriverConfig, credentials: Credentials) -> Connection {
    let voice_ws_pump::Connection {
        handle,
        events,
        task,
    } = voice_ws_pump::connect::<Tokio>(config, credentials);
    Connection {
        handle,
        events,
        task: Task { inner: task },
    }
}

/// [`connect`], then spawns the task on the current tokio runtime: returns
/// the [`Handle`] to command the connection and its [`Events`].
///
/// # Panics
/// Outside a tokio runtime.
pub fn spawn(config: DriverConfig, credentials: Credentials) -> (Handle, Events) {
    let Connection {
        handle,
        events,
        task,
    } = connect(config, credentials);
    tokio::spawn(task);
    (handle, events)
}
