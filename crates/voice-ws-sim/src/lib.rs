//! A local Discord voice gateway (v8, server side) with fault injection.
//!
//! Point any voice gateway client at it: it sends Hello, answers Identify with
//! Ready, Select Protocol with Session Description, heartbeats with ACKs, and
//! Resume with Resumed plus a replay of the buffered messages the client has
//! not acknowledged (`seq_ack`, u16 serial order, shared by JSON and binary
//! messages; see `docs/protocol.md`). A session's seqs start at a random value
//! unless configured ([`StartSeq`]); the value is recorded in
//! [`ConnectionLog::start_seq`]. Each accepted connection follows a
//! [`ConnectionPlan`] of fault steps (withheld or delayed ACKs, close codes,
//! TCP resets, silence, a handshake cut before Ready, refused resumes, garbage
//! frames, pushes), and every frame in both directions is recorded with a
//! timestamp ([`Sim::connections`]).
//!
//! The sim writes its own wire bytes (literal JSON, hand-laid binary) and does
//! not use `voice-ws-proto`, so a codec bug cannot hide on both sides.
//! Ready scenarios live in [`scenario`].
//!
//! With the `dave` feature and `SimConfig::dave_calls` (scenario
//! `dave-call`, or `voice-ws sim --dave`), the sessions that identify with
//! the same `server_id` share one call, and the gateway is its DAVE (MLS)
//! external sender and delivery service, as Discord's is: Clients Connect and
//! Client Disconnect (11, 13) to the others, the external sender package (25)
//! after Session Description, add proposals (27) from the key packages it
//! receives (26), the first valid commit (28) announced (29) with welcomes
//! (30), transitions (21, 22, 24) and Transition Ready (23), removals on
//! leave and on Invalid Commit Welcome (31). The protocol logic is the
//! sans-IO `dave::DeliveryService`; each call's record is in
//! `Sim::dave_calls`. A resume keeps the member in the call; a clean close
//! (1000, 1001) or a closing code that ends the session takes it out.
//!
//! Like Discord, it closes on client mistakes, so conformance tests catch them
//! (every frame is recorded before the close):
//! - 4001 for an op a client may not send: JSON ops other than 0 Identify,
//!   1 Select Protocol, 3 Heartbeat, 5 Speaking, 7 Resume, 23 DAVE Transition
//!   Ready and 31 DAVE MLS Invalid Commit Welcome; binary ops other than
//!   26 MLS Key Package and 28 MLS Commit Welcome;
//! - 4002 for a text frame that is not JSON or has no integer `op`, or an
//!   empty binary frame;
//! - 4003 for Select Protocol, Speaking, DAVE messages or binary frames before
//!   Identify/Resume;
//! - 4005 for a second Identify/Resume;
//! - 4020 for a heartbeat nonce that is not a JSON integer, or missing
//!   Identify/Resume fields;
//! - 4012 and 4016 for an unknown protocol or encryption mode;
//! - 4006 for a Resume of an unknown session, of a session whose Identify was
//!   never answered with Ready (see [`Trigger::BeforeReady`]), with the wrong
//!   token, or whose `seq_ack` asks for messages the session's bounded replay
//!   buffer ([`SimConfig::replay_capacity`]) no longer holds (the session is
//!   then gone, rather than resumed with a gap);
//! - 4017 for an Identify without DAVE (`max_dave_protocol_version` absent or
//!   0) when shared DAVE calls require it (feature `dave`,
//!   `DaveCalls::require_dave`, the default there);
//! - 4021 for more Identify/Resume attempts for one session id than
//!   [`SimConfig::rate_limit`] allows (default more than 10 in 10 s); the
//!   session is then gone.
//!
//! A Resume without `seq_ack` is resumed without replay (pre-v8).
//!
//! Ready advertises the sim's UDP socket ([`Sim::udp_addr`], also on
//! 127.0.0.1), so a complete client can finish joining: it answers Discord's
//! IP discovery request, echoes keepalives, and after Session Description
//! decrypts each RTP packet with the session's key
//! (`aead_aes256_gcm_rtpsize`, `aead_xchacha20_poly1305_rtpsize`), checking
//! the DAVE frame footer when the call is E2EE. It only counts what arrives
//! ([`Sim::udp`], [`UdpLog`]); it sends no media.
//!
//! ```
//! use std::time::Duration;
//! use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Sim, SimConfig, Trigger};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! // First connection: close with 4015 after the third heartbeat.
//! // Later connections are healthy, so the client's resume works.
//! let config = SimConfig::default()
//!     .with_heartbeat_interval_ms(500.0)
//!     .with_plan(ConnectionPlan::new().then(Trigger::AfterHeartbeats(3), Action::Close(4015)));
//! let sim = Sim::start(config).await?;
//! println!("connect a client to {}", sim.url());
//! println!("Ready sends it to UDP {} for IP discovery and media", sim.udp_addr());
//!
//! // Replayable messages get the session's next seq and are kept for resume.
//! sim.push(ServerPush::dave_external_sender(b"mls"));
//!
//! let connected = sim.wait_for_connections(1, Duration::from_millis(10)).await;
//! assert!(!connected); // nobody connected in this example
//! assert!(sim.connections().is_empty());
//! assert_eq!(sim.udp().discovery_requests, 0);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "dave")]
mod call;
mod config;
mod connection;
#[cfg(feature = "dave")]
#[cfg_attr(docsrs, doc(cfg(feature = "dave")))]
pub mod dave;
mod dave_fault;
mod persist;
mod plan;
mod push;
mod record;
pub mod scenario;
mod session;
mod sim;
mod state;
mod tally;
#[cfg(feature = "tls")]
pub mod tls;
mod udp;
mod wire;

#[cfg(feature = "dave")]
pub use config::DaveCalls;
pub use config::{RateLimit, SimConfig, StartSeq};
pub use persist::{ParseSessionsError, SavedSessions};
pub use plan::{Action, ConnectionPlan, Step, Trigger};
pub use push::{Pushed, ServerPush};
#[cfg(feature = "dave")]
pub use record::CallLog;
pub use record::{ConnectionLog, Recorded, RecordedFrame};
pub use sim::Sim;
pub use tally::ClientTally;
pub use udp::{StreamLog, UdpLog};
