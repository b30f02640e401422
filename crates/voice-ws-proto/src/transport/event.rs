//! What a transport tells its owner.

use core::time::Duration;

use crate::close_code::CloseCode;
use crate::codec::{DecodeError, Incoming};

/// Something the owner should know, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The socket is open.
    Connected,
    /// A server message other than a heartbeat ACK.
    /// Its `seq`, if any, was acknowledged when it was queued.
    Message(Incoming),
    /// The latest heartbeat was acknowledged.
    HeartbeatAck {
        /// Time from the heartbeat to its ACK.
        rtt: Duration,
    },
    /// A heartbeat fell due unanswered (a zombie connection). The socket
    /// is dropped with a resumable close code; `Disconnected` follows.
    Zombified,
    /// The socket ended.
    Disconnected {
        /// The close code: the server's, or ours when `by_self`. `None`
        /// when the socket ended without a close frame.
        code: Option<CloseCode>,
        /// Whether we closed it.
        by_self: bool,
    },
    /// A frame could not be decoded. The socket stays up.
    InvalidFrame(DecodeError),
}
