//! Why a send was refused, by the session or the transport.

/// A message the caller sent could not be queued. Nothing was queued; the
/// caller still owns the decision to retry or give up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// There is no open socket to send on.
    #[error("no open socket to send on")]
    NotOpen,
    /// The outbound queue is full: the driver is not draining it.
    #[error("outbound queue is full ({bound} frames)")]
    QueueFull {
        /// The configured bound.
        bound: usize,
    },
    /// Identify, Resume and Heartbeat belong to the session and transport.
    #[error("op {op} is sent by the session itself")]
    Reserved {
        /// The message's opcode.
        op: u8,
    },
    /// The transport was force-closed or the session has ended.
    #[error("the connection has ended")]
    Ended,
}
