//! What a session tells its owner.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;

use crate::close_code::CloseCode;
use crate::codec::{ClientMessage, DecodeError, Incoming, Ready, SessionDescription};
use crate::dave::DaveEvent;
use crate::session::{ConnectError, Invalidation, SocketLoss};

/// Something the application should know, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A socket opened; Identify or Resume is on its way.
    Connected,
    /// The server said hello; heartbeats run at this interval.
    Hello {
        /// The interval from Hello.
        heartbeat_interval: Duration,
    },
    /// Identify succeeded: the voice server's UDP address and our SSRC.
    Ready(Ready),
    /// The encryption mode and key (after Select Protocol).
    SessionDescription(SessionDescription),
    /// Resume succeeded; replayed messages follow.
    Resumed,
    /// Any other server message. Its seq was acknowledged when the session
    /// queued it; queued messages survive socket drops.
    Message(Incoming),
    /// The latest heartbeat was acknowledged.
    HeartbeatAck {
        /// Time from heartbeat to ACK.
        rtt: Duration,
    },
    /// A heartbeat fell due unanswered; the socket is dropped and resumed.
    Zombified,
    /// A socket ended.
    Disconnected {
        /// The close code (ours when `by_self`); `None` without a close frame.
        code: Option<CloseCode>,
        /// Whether we closed it.
        by_self: bool,
        /// Why it ended, when it ended without a close frame and the
        /// driver knew (EOF, reset, TLS, a protocol error).
        lost: Option<SocketLoss>,
    },
    /// A requested socket could not be opened (the driver's reason, or the
    /// connect timeout). A `Reconnecting` or `SessionInvalidated` follows.
    ConnectFailed {
        /// Why.
        error: ConnectError,
    },
    /// A new socket will be requested after `delay`.
    Reconnecting {
        /// Attempt number since the last completed handshake, from 1.
        attempt: u32,
        /// The backoff delay.
        delay: Duration,
        /// Whether the next socket resumes (true: the session reached Ready)
        /// or identifies again with the same credentials.
        resume: bool,
    },
    /// The session is gone (4006, 4009, ...): fetch fresh credentials from
    /// the main gateway and call `update_credentials`.
    SessionInvalidated {
        /// The close code of the socket that ended it (for a resume loop,
        /// the code each resume ended with); `None` when the reconnect cap
        /// ran out.
        code: Option<CloseCode>,
        /// Why the session was given up.
        reason: Invalidation,
    },
    /// The session ended for good: a stop code (4014, 4021, 4022), or
    /// closed by the application (`code` is then ours).
    Stopped {
        /// The close code.
        code: Option<CloseCode>,
    },
    /// An error no retry can fix.
    Fatal {
        /// The close code.
        code: CloseCode,
        /// What to fix.
        reason: &'static str,
    },
    /// Messages the application sent that were never put on the wire and
    /// never will be (the session ended or was invalidated first).
    Unsent(Vec<Outgoing>),
    /// A frame could not be decoded; the socket stays up.
    InvalidFrame(DecodeError),
    /// The call's end-to-end encryption (DAVE) moved on. Never produced by
    /// the session itself: a driver that runs the DAVE handshake
    /// (`voice-ws-dave`, the drivers' `dave` feature) delivers the
    /// handshake's events here, on the same stream as the session's.
    Dave(DaveEvent),
}

/// A message the application asked the session to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A typed message.
    Message(ClientMessage),
    /// Raw text.
    Text(String),
    /// Raw binary `[op][payload]`.
    Binary(Bytes),
}
