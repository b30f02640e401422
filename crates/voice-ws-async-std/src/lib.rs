//! Runtime-agnostic driver for [`voice_ws_proto`](proto): runs a Discord voice
//! gateway (v8) session over async-tungstenite, with futures-rustls (ring,
//! webpki roots, verified) for `wss://`, on **async-std or smol**.
//!
//! Sockets and timers come from `async-io`, smol's reactor, which both
//! async-std and smol drive; this crate depends on smol's building blocks
//! (`async-io`, `async-net`) and not on async-std itself, which is
//! discontinued upstream in favour of smol. async-std and smol are only
//! dev-dependencies here, for tests and examples.
//!
//! The loop that drives the core is `voice-ws-pump`'s (its crate docs draw
//! it), shared with `voice-ws-tokio`: both drivers behave identically by
//! construction, and [`Handle`], [`Events`], [`Status`] and [`DriverConfig`]
//! are the same types in both. This crate only dials (TCP, TLS, WebSocket
//! handshake), keeps time, and chooses the TLS defaults.
//!
//! # Spawning
//!
//! [`connect`] spawns nothing, like `voice-ws-tokio`'s: it returns a
//! [`Connection`] whose `task` the application spawns on the executor it
//! has. The connection does nothing until its task runs, and dropping the
//! task force-closes it.
//!
//! With smol:
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use voice_ws_async_std::{Connection, Credentials, DriverConfig, Endpoint, Event};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let credentials = Credentials {
//!         server_id: "41771983423143937".into(),
//!         channel_id: "127121515262115840".into(),
//!         user_id: "104694319306248192".into(),
//!         session_id: "my_session_id".into(),
//!         token: "my_voice_token".into(),
//!         endpoint: Endpoint::parse("c-ams07-a1b2.discord.media:443", false)?,
//!         max_dave_protocol_version: 1,
//!     };
//!     let Connection { handle, mut events, task } =
//!         voice_ws_async_std::connect(DriverConfig::default(), credentials);
//!     smol::spawn(task).detach();
//!
//!     while let Some(event) = events.next().await {
//!         match event {
//!             Event::Ready(ready) => println!("ready, ssrc {}", ready.ssrc),
//!             Event::Stopped { .. } | Event::Fatal { .. } => break,
//!             _ => {}
//!         }
//!     }
//!     handle.close().await;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! With async-std:
//!
//! ```no_run
//! use voice_ws_async_std::{Connection, Credentials, DriverConfig, Event};
//!
//! # async fn bot(credentials: Credentials) {
//! let Connection { handle, mut events, task } =
//!     voice_ws_async_std::connect(DriverConfig::default(), credentials);
//! async_std::task::spawn(task);
//!
//! while let Some(event) = events.recv().await {
//!     if let Event::Stopped { .. } | Event::Fatal { .. } = event {
//!         break;
//!     }
//! }
//! handle.close().await;
//! # }
//! ```
//!
//! # What the application must know
//!
//! - Events are delivered through a bounded queue
//!   ([`DriverConfig::event_buffer`]). A message counts as received — and is
//!   acknowledged to the server in `seq_ack` — once it is in that queue.
//! - Dropping the last [`Handle`] force-closes the connection; call
//!   [`Handle::close`] to leave the voice channel cleanly.
//! - The token never appears in this crate's logs (one `voice_ws` span per
//!   connection with its `server_id`). tungstenite, however, logs whole
//!   outgoing frames — Identify and Resume included — through the `log`
//!   crate at TRACE level: keep `tungstenite` at DEBUG or below if `log`
//!   records reach your subscriber.
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
mod tcp;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::AsyncIo;

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

/// A connection's work, to spawn on an executor that drives async-io
/// (async-std's or smol's): `Send`, `'static`, and complete when the
/// connection has ended. Dropping it force-closes the connection.
///
/// Every poll runs inside the connection's `voice_ws` tracing span.
#[derive(Debug)]
#[must_use = "nothing happens until the task is spawned"]
pub struct Task(voice_ws_pump::Task<AsyncIo>);

impl Future for Task {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // async-io's timer is Unpin, and so is the whole task.
        Pin::new(&mut self.0).poll(cx)
    }
}

/// What [`connect`] returns: the connection's [`Handle`] and [`Events`],
/// and its [`Task`] to spawn (`smol::spawn(task).detach()`,
/// `async_std::task::spawn(task)`).
pub type Connection = voice_ws_pump::Connection<Task>;

/// Prepares a voice connection. Nothing happens until the returned
/// [`Connection::task`] is spawned; it then connects at once to
/// `credentials.endpoint` and runs until [`Handle::close`], a force-close, or the last
/// [`Handle`] dropped. A stop (4014, 4021, 4022), a fatal close (4004, 4012,
/// 4016, 4017, 4020) or `SessionInvalidated` leaves it waiting for
/// [`Handle::update_credentials`], which starts a fresh session.
pub fn connect(config: DriverConfig, credentials: Credentials) -> Connection {
    let voice_ws_pump::Connection {
        handle,
        events,
        task,
    } = voice_ws_pump::connect::<AsyncIo>(config, credentials);
    Connection {
        handle,
        events,
        task: Task(task),
    }
}
