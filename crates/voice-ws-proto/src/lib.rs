//! Sans-IO core of a Discord voice gateway (v8) client.
//!
//! This crate contains no networking code, reads no clock and draws no
//! random numbers. It is a state machine: the owner (a driver such as
//! `voice-ws-tokio`, or your own loop) feeds it socket events and the
//! current time, and drains what it wants written, what it has to say, and
//! when it next wants to be woken. It is `no_std` + `alloc`, so it runs on
//! any async runtime, in a single-threaded game loop, or on
//! `wasm32-unknown-unknown`.
//!
//! ```text
//!             socket / timer (the driver)
//!   handle_open ─┐  handle_frame ─┐  handle_close ─┐  handle_timeout ─┐
//!                v                v                v                  v
//!   ┌─────────────────────────────────────────────────────────────────┐
//!   │ Session    Identify/Resume, timeouts, close-code policy, backoff │
//!   │ Transport  seq_ack, heartbeat, RTT, zombie, close handshake      │
//!   │ codec      Frame <-> ServerMessage / ClientMessage               │
//!   └─────────────────────────────────────────────────────────────────┘
//!        │ poll_transmit   │ poll_event      │ poll_connect  │ poll_timeout
//!        v                 v                 v               v
//!    write frames      to the app      open this URL     sleep until
//! ```
//!
//! The one invariant the owner keeps: after every `handle_*` call or
//! command, drain `poll_transmit`, then `poll_event`, then `poll_connect`,
//! and sleep until `poll_timeout`. Transmits come first because they
//! belong to the current socket (a zombie's `Close` and `Abort`), which a
//! connect request then replaces. An early or repeated `handle_timeout` is
//! harmless.
//!
//! [`Transport`] alone handles one socket at a time (framing, `seq_ack`,
//! heartbeats, zombie detection, the close handshake); [`Session`] adds the
//! connection's whole life on top of it (Identify and Resume, handshake
//! timeouts, the close-code policy, backoff).
//!
//! # Glossary
//!
//! The messages, by the way they travel:
//!
//! - [`Frame`]: a frame in from the socket (text or binary).
//! - [`Transmit`]: a frame out, for the owner to write (or a `Close` or
//!   `Abort` of the current socket).
//! - [`Incoming`]: a decoded server message with its `seq`, if it has one.
//! - [`Outgoing`]: a message the application asked to send, as it was
//!   given (handed back in [`Event::Unsent`] if it never went out).
//! - [`ClientMessage`] / [`ServerMessage`]: the typed payloads, by opcode
//!   ([`codec::op`]).
//!
//! Three notions of "where we are":
//!
//! - the transport's [`State`]: one socket's life (idle, open, close sent,
//!   closed; terminated after `force_close`);
//! - the session's [`Phase`]: the session's life across sockets
//!   (connecting, identifying, resuming, active, waiting to reconnect,
//!   needs credentials, closing, stopped, failed);
//! - a driver's `Status` (in `voice-ws-pump`, re-exported by the drivers):
//!   the snapshot the application reads (phase, state, `seq_ack`, RTT,
//!   counters), refreshed by the driver's task after every input it
//!   handles.
//!
//! # An event loop
//!
//! A scripted server stands in for the socket here; a driver does the same
//! with real frames and a real clock. `examples/blocking/driver.rs` in this
//! crate is a complete one with no async runtime (a blocking `TcpStream`,
//! rustls, sync tungstenite, one thread), to start from when writing your
//! own.
//!
//! ```
//! use voice_ws_proto::{Credentials, Endpoint, Event, Frame, Instant, Session, SessionConfig, Token, Transmit};
//!
//! let credentials = Credentials {
//!     server_id: "41771983423143937".into(),
//!     channel_id: "127121515262115840".into(),
//!     user_id: "104694319306248192".into(),
//!     session_id: "my_session_id".into(),
//!     token: Token::new("my_token"),
//!     endpoint: Endpoint::parse("c-ams07.discord.media:443", false).expect("valid endpoint"),
//!     max_dave_protocol_version: 1,
//! };
//! let mut session = Session::new(SessionConfig::default(), credentials);
//! let mut now = Instant::ZERO;
//! session.start(now);
//!
//! // The driver opens the socket it is asked for...
//! let url = session.poll_connect().expect("a socket is wanted");
//! assert_eq!(url, "wss://c-ams07.discord.media:443/?v=8");
//! session.handle_open(now);
//!
//! // ...and feeds what the server sends.
//! session.handle_frame(now, Frame::Text(r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750}}"#));
//! session.handle_frame(now, Frame::Text(
//!     r#"{"op":2,"d":{"ssrc":1,"ip":"127.0.0.1","port":1234,"modes":["aead_aes256_gcm_rtpsize"]}}"#,
//! ));
//!
//! // After every input: write, deliver, then sleep until the next deadline.
//! let mut written = Vec::new();
//! while let Some(t) = session.poll_transmit() {
//!     written.push(t); // Identify went out on open
//! }
//! while let Some(event) = session.poll_event() {
//!     if let Event::Ready(ready) = event {
//!         assert_eq!(ready.ssrc, 1);
//!     }
//! }
//! now = session.poll_timeout().expect("the heartbeat is scheduled");
//! session.handle_timeout(now);
//! let heartbeat = session.poll_transmit();
//! // Due at 13,750 ms, it goes out at the last 100 ms step before then
//! // (heartbeat coalescing); its nonce is the clock in milliseconds.
//! assert_eq!(heartbeat, Some(Transmit::Text(r#"{"op":3,"d":{"t":13700,"seq_ack":-1}}"#.into())));
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close_code;
pub mod codec;
pub mod dave;
pub mod frame;
pub mod join;
pub mod session;
pub mod time;
pub mod token;
pub mod transport;

mod queue;
mod send_error;
mod seq;

pub use close_code::{CloseClass, CloseCode};
pub use codec::{ClientMessage, DecodeError, Incoming, ServerMessage};
pub use frame::{Frame, Transmit};
pub use send_error::SendError;
pub use session::{
    ConnectError, Credentials, Endpoint, Event, Invalidation, Outgoing, Phase, Session,
    SessionConfig, SocketLoss,
};
pub use time::Instant;
pub use token::Token;
pub use transport::{Event as TransportEvent, State, Stats, Transport, TransportConfig};
