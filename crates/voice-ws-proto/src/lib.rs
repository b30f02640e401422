//! Sans-IO core of a Discord voice gateway (v8) client.
#![no_std]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close_code;
pub mod codec;
pub mod frame;
pub mod session;
pub mod time;
pub mod token;
pub mod transport;

mod queue;
mod seq;

pub use close_code::{CloseClass, CloseCode};
pub use codec::{ClientMessage, DecodeError, Incoming, ServerMessage};
pub use frame::{Frame, Transmit};
pub use session::{Credentials, Endpoint, Event, Outgoing, Phase, Session, SessionConfig};
pub use time::Instant;
pub use token::Token;
pub use transport::{Event as TransportEvent, SendError, State, Stats, Transport, TransportConfig};
