//! Where a transport's socket is in its life.

/// The socket's state, as far as the core knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// No socket yet.
    Idle,
    /// The socket is open: frames flow and heartbeats run after Hello.
    Open,
    /// We sent a close frame and wait for the server's (a socket-level
    /// state; the session's own `Phase::Closing` is the application's close).
    CloseSent,
    /// The socket ended; `handle_open` starts a new one.
    Closed,
    /// `force_close` was called: nothing more is sent, ever.
    Terminated,
}

impl State {
    /// Whether a socket is up (open or closing).
    pub fn has_socket(self) -> bool {
        matches!(self, State::Open | State::CloseSent)
    }
}
