//! Tokio driver for [`voice_ws_proto`](proto): runs a Discord voice gateway (v8)
//! session over tokio-tungstenite, with rustls (ring, webpki roots) for
//! `wss://`.
//!
//! The driver makes no protocol decisions. Everything that is policy —
//! Identify or Resume, heartbeats, zombie detection, close codes, backoff,
//! held sends — lives in the sans-IO [`Session`](proto::Session); the loop
//! that moves bytes and time in and out of it is `voice-ws-pump`'s, shared
//! with `voice-ws-async-std`, so every driver behaves the same. This crate
//! only dials (TCP, TLS, WebSocket handshake), keeps tokio's time and
//! spawns the task.
//!
//! ```text
//!   app ── Handle::send / close / update_credentials ──┐
//!                                                      v
//!        ┌──────────── one tokio task per connection ───────────────┐
//!        │  poll (fairly) { commands, connect, socket, timer, room } │
//!        │     │ handle_open / handle_frame / handle_close / ...    │
//!        │     v                                                    │
//!        │  Session ── poll_connect → dial a URL                    │
//!        │          ── poll_transmit → write (or drop the socket)   │
//!        │          ── poll_event → bounded queue ────────────────┐ │
//!        │          ── poll_timeout → next sleep                  │ │
//!        └────────────────────────────────────────────────────────┼─┘
//!   app <── Events (a Stream) ────────────────────────────────────┘
//! ```
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
//!     user_id: "104694319306248192".into(),
//!     session_id: "my_session_id".into(),
//!     token: "my_voice_token".into(),
//!     endpoint: Endpoint::parse("c-ams07-a1b2.discord.media:443", false)?,
//!     max_dave_protocol_version: 0,
//! };
//! let (handle, mut events) = voice_ws_tokio::connect(DriverConfig::default(), credentials);
//!
//! while let Some(event) = events.next().await {
//!     match event {
//!         Event::Ready(ready) => {
//!             // Discover our external address over UDP (not shown), then:
//!             let select = SelectProtocol {
//!                 address: "203.0.113.7".into(),
//!                 port: 50_000,
//!                 mode: "aead_aes256_gcm_rtpsize".into(),
//!             };
//!             handle.send(ClientMessage::SelectProtocol(select)).await?;
//!         }
//!         Event::SessionDescription(_description) => {
//!             // Start RTP with the description's secret_key; say we speak.
//!             let speaking = Speaking { speaking: 1, delay: 0, ssrc: 0x5151 };
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
//! - [`connect`] spawns the task on the current tokio runtime (it panics
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

mod runtime;

pub use voice_ws_pump::{DriverConfig, Events, Handle, Status};

/// The sans-IO core this driver runs, for the types not re-exported here.
pub use voice_ws_pump::proto;
/// The TLS library, for building a custom [`DriverConfig::tls`].
pub use voice_ws_pump::rustls;
pub use voice_ws_pump::{
    ClientMessage, CloseCode, Credentials, Endpoint, Event, Invalidation, Phase, SendError,
    SessionConfig, State, Stats, Token,
};

use crate::runtime::Tokio;

/// Starts a voice connection: spawns its task on the current tokio runtime
/// and returns the [`Handle`] to command it and its [`Events`].
///
/// The task connects at once to `credentials.endpoint` and runs until the
/// session is stopped (4014, 4021, 4022, or [`Handle::close`]), fails
/// (4004, 4012, 4016, 4017), or is force-closed. After
/// `SessionInvalidated` it waits for [`Handle::update_credentials`].
///
/// # Panics
/// Outside a tokio runtime.
pub fn connect(config: DriverConfig, credentials: Credentials) -> (Handle, Events) {
    let (handle, events, task) = voice_ws_pump::start::<Tokio>(config, credentials);
    tokio::spawn(task);
    (handle, events)
}
