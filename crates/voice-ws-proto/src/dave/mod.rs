//! What a DAVE handshake (Discord's end-to-end encryption, run by the
//! `voice-ws-dave` crate) tells its owner, as plain data: its events and
//! its errors. They are here, not in `voice-ws-dave`, so that a driver
//! running the handshake delivers them on the session's own event stream
//! ([`Event::Dave`](crate::Event::Dave)) and applications can match on
//! them without depending on the MLS stack.

mod error;
mod event;

pub use error::DaveError;
pub use event::DaveEvent;
