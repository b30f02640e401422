//! Why an open socket ended without a close frame.

use alloc::string::String;
use core::fmt;

/// Why an open socket ended without a WebSocket close frame: reported by
/// the driver through
/// [`Session::handle_lost`](crate::Session::handle_lost) and carried by
/// [`Event::Disconnected`](crate::Event::Disconnected). A close frame has a
/// code instead; a socket we dropped ourselves says `by_self`.
///
/// The session treats every kind the same way (the socket is gone, resume
/// if the session allows it); the kind is there for the person reading the
/// log, who wants to know whether the network, the TLS layer or the server
/// broke the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketLoss {
    /// The peer closed the TCP connection without a close frame (EOF).
    Eof,
    /// The connection was reset or aborted (a middlebox, the server's
    /// process going away, or the network).
    Reset,
    /// The peer stopped reading: our bounded outbound queue filled, so the
    /// socket was abandoned.
    Stalled,
    /// The TLS layer failed on an open connection.
    Tls {
        /// The TLS library's reason.
        reason: String,
    },
    /// The peer broke the WebSocket protocol (a malformed frame, a bad
    /// masking bit, invalid UTF-8 in a text frame).
    Protocol {
        /// What the WebSocket library said.
        message: String,
    },
    /// Any other read or write error.
    Io {
        /// What the driver's I/O layer said.
        message: String,
    },
}

impl SocketLoss {
    /// A short, stable name for logs and JSON: `eof`, `reset`, `stalled`,
    /// `tls`, `protocol`, `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Eof => "eof",
            Self::Reset => "reset",
            Self::Stalled => "stalled",
            Self::Tls { .. } => "tls",
            Self::Protocol { .. } => "protocol",
            Self::Io { .. } => "io",
        }
    }
}

impl fmt::Display for SocketLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eof => f.write_str("the server closed the connection without a close frame"),
            Self::Reset => f.write_str("the connection was reset"),
            Self::Stalled => f.write_str(
                "the server stopped reading: our outbound queue filled and the socket was dropped",
            ),
            Self::Tls { reason } => write!(f, "TLS failed on the open connection: {reason}"),
            Self::Protocol { message } => {
                write!(f, "the server broke the WebSocket protocol: {message}")
            }
            Self::Io { message } => write!(f, "I/O error on the open connection: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn kinds_are_stable_and_display_says_what_happened() {
        let cases = [
            (SocketLoss::Eof, "eof", "without a close frame"),
            (SocketLoss::Reset, "reset", "reset"),
            (SocketLoss::Stalled, "stalled", "stopped reading"),
            (
                SocketLoss::Tls {
                    reason: "bad record mac".into(),
                },
                "tls",
                "bad record mac",
            ),
            (
                SocketLoss::Protocol {
                    message: "reserved bits are non-zero".into(),
                },
                "protocol",
                "reserved bits",
            ),
            (
                SocketLoss::Io {
                    message: "broken pipe".into(),
                },
                "io",
                "broken pipe",
            ),
        ];
        for (loss, kind, words) in cases {
            assert_eq!(loss.kind(), kind);
            let shown = loss.to_string();
            assert!(shown.contains(words), "{shown}");
        }
    }
}
