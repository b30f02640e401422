//! Why a session was given up.

use core::fmt;

/// Why [`Event::SessionInvalidated`](super::Event::SessionInvalidated) came:
/// in every case the session cannot continue, and the application fetches
/// fresh credentials from the main gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Invalidation {
    /// The server closed with a code that ends the session (4006, 4009, ...).
    ClosedByServer,
    /// `max_reconnect_attempts` reconnects in a row made no progress.
    AttemptsExhausted {
        /// The reconnects made.
        attempts: u32,
    },
    /// Resumes kept ending the same way at the same `seq_ack`: the server
    /// keeps replaying something this client cannot take (for example a
    /// message over `max_message_size`), so resuming again would only loop.
    ResumeLoop {
        /// Resumes in a row that ended alike.
        resumes: u32,
        /// The `seq_ack` every one of them carried (`None`: -1).
        seq_ack: Option<u16>,
    },
}

impl fmt::Display for Invalidation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClosedByServer => f.write_str("the server ended the session"),
            Self::AttemptsExhausted { attempts } => {
                write!(f, "{attempts} reconnects in a row made no progress")
            }
            Self::ResumeLoop { resumes, seq_ack } => {
                let ack = seq_ack.map_or(-1, i32::from);
                write!(
                    f,
                    "{resumes} resumes in a row ended the same way at seq_ack {ack}: \
                     the server keeps replaying a message this client cannot accept"
                )
            }
        }
    }
}
