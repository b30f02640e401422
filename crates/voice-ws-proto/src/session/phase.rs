//! Where a session is in its life.

/// The session's phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Created; `start` has not been called.
    Idle,
    /// Waiting for the driver to open a socket.
    Connecting,
    /// Identify sent; waiting for Ready.
    Identifying,
    /// Resume sent; waiting for Resumed.
    Resuming,
    /// Handshake done: messages flow.
    Active,
    /// Waiting out the backoff before the next connect.
    WaitingToReconnect,
    /// The session is gone: waiting for `update_credentials`.
    NeedsCredentials,
    /// Closing at the application's request.
    Closing,
    /// Ended for good: closed by us, or a stop code (4014, 4021, 4022).
    Stopped,
    /// Ended by an error no retry can fix (4004, 4012, 4016, 4017, 4020).
    Failed,
}

impl Phase {
    /// Whether the session has ended and will do nothing more on its own.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Stopped | Phase::Failed)
    }
}
