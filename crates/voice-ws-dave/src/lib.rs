//! Sans-IO DAVE (Discord's audio and video end-to-end encryption) for
//! `voice-ws-proto`.
//!
//! This crate contains no networking code and reads no clock of its own.
//! A [`Handshake`] takes the voice session's events (Ready, Resumed, the
//! Session Description's `dave_protocol_version`, Clients Connect 11 and
//! Client Disconnect 13 for the roster, DAVE ops 21, 22, 24, 25, 27, 29,
//! 30) and gives back the client messages to send (ops 23, 26, 28, 31) and
//! its own [`DaveEvent`]s. A [`DaveMedia`] handle, cloned into the thread
//! that sends and receives RTP, encrypts our Opus frames and decrypts each
//! member's.
//!
//! MLS and the frame cryptors are [`davey`](https://docs.rs/davey)'s
//! (OpenMLS underneath). One caveat about "no clock": davey keeps its own
//! monotonic clock (`std::time::Instant`) inside each decryptor, to expire
//! the keys of a previous epoch ten seconds after a transition and to end
//! a passthrough window. Nothing here schedules anything on it.
//!
//! ```text
//!   voice-ws-proto Session ── poll_event ──> Handshake::handle_event
//!   Session::send <── poll_transmit ──────── Handshake (ops 23, 26, 28, 31)
//!   application   <── poll_event ─────────── Handshake (DaveEvent)
//!   media thread  ─── encrypt_opus / decrypt ─> DaveMedia (clone of handshake.media())
//! ```
//!
//! The one rule: hand every session event to [`Handshake::handle_event`]
//! (it ignores what it does not need), then drain
//! [`poll_transmit`](Handshake::poll_transmit) into `Session::send` and
//! [`poll_event`](Handshake::poll_event).
//!
//! # Why one lock, and who takes it
//!
//! davey keeps the MLS group and the media cryptors in one object. The
//! handshake and every [`DaveMedia`] clone share it behind a mutex: the
//! gateway side takes it only while it handles a DAVE message (a few per
//! epoch, never per packet), the media side once per frame. So the media
//! thread's lock is almost never contended and the gateway task never
//! waits on media. While the call is not end-to-end encrypted (protocol
//! version 0) frames pass through on an atomic flag, without the lock.
//!
//! # Example
//!
//! ```
//! use voice_ws_dave::{DaveConfig, DaveEvent, Handshake, MediaError};
//! use voice_ws_proto::codec::{SecretKey, SessionDescription};
//! use voice_ws_proto::{ClientMessage, Event};
//!
//! let mut dave = Handshake::new(DaveConfig::default(), 104694319306248192, 127121515262115840);
//! let media = dave.media(); // for the RTP thread
//!
//! // The session said: DAVE protocol version 1.
//! let description = SessionDescription::new("aead_aes256_gcm_rtpsize".into(), SecretKey([0; 32]), 1);
//! dave.handle_event(&Event::SessionDescription(description));
//!
//! // Our key package (op 26) goes to the voice gateway...
//! let mut sent = Vec::new();
//! while let Some(message) = dave.poll_transmit() {
//!     sent.push(message); // session.send(message) in a real loop
//! }
//! assert!(matches!(sent[..], [ClientMessage::DaveMlsKeyPackage(_)]));
//! while let Some(event) = dave.poll_event() {
//!     if let DaveEvent::Error(error) = event {
//!         eprintln!("DAVE: {error}");
//!     }
//! }
//!
//! // ...and until the group exists, our media is refused, not sent in clear.
//! assert_eq!(media.encrypt_opus(&[0x78, 0x01, 0x02]), Err(MediaError::NotReady));
//! ```
//!
//! # Where this follows the protocol rather than davey
//!
//! - A commit that names the transition our welcome already put us in is
//!   the one that created our epoch: ignored, not flagged with op 31.
//! - A commit received while we are still a pending member (ours lost) is
//!   ignored: our welcome follows. davey calls it an error.
//! - After an upgrade from version 0 executes, frames in clear are accepted
//!   for [`DaveConfig::passthrough_grace_secs`] only, then refused.
//! - Media is refused ([`MediaError::NotReady`]) rather than sent in clear
//!   while a call that requires DAVE has no key yet.
//!
//! Where the text of the protocol, its implementations and this crate
//! part ways, and what is done here:
//!
//! - Op 26: the protocol's table says `MLSMessage key_package_message`;
//!   Discord's own libdave and davey both send a bare `KeyPackage`, which
//!   is what Discord's gateway accepts. That is what is sent.
//! - Op 30: every member a welcome names must be one that ops 11/13
//!   announced (or us). The protocol requires this for add proposals;
//!   libdave only logs it for welcomes. A welcome naming a stranger is
//!   flagged with op 31, and the group is joined again.
//! - Panics: davey's decoders (tls_codec) assert on some malformed input
//!   in debug builds. Calls into davey that read server input or frames
//!   run under `catch_unwind`, so such a panic becomes a typed error (and
//!   op 31 for a commit or welcome); with `panic = "abort"` it still aborts.

mod config;
mod error;
mod handshake;
mod media;
mod roster;

pub use config::DaveConfig;
pub use error::{IdError, MediaError};
pub use handshake::{Handshake, MAX_PROTOCOL_VERSION};
pub use media::DaveMedia;
/// The handshake's events and errors: plain data in the core, so that a
/// driver can deliver them as [`Event::Dave`](voice_ws_proto::Event::Dave).
pub use voice_ws_proto::dave::{DaveError, DaveEvent};
