//! Why a socket the session asked for could not be opened.

use alloc::string::String;
use core::fmt;

/// Why a requested socket never opened: reported by the driver through
/// [`Session::handle_connect_error`](crate::Session::handle_connect_error),
/// or [`TimedOut`](ConnectError::TimedOut) from the session's own connect
/// timeout. The application receives it in
/// [`Event::ConnectFailed`](crate::Event::ConnectFailed).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// Nothing listens at the address (TCP connection refused).
    Refused,
    /// The host name did not resolve.
    Dns {
        /// The resolver's message.
        reason: String,
    },
    /// The TLS handshake failed, e.g. the certificate was not trusted.
    Tls {
        /// The TLS library's reason (the certificate verifier's, for a
        /// certificate problem).
        reason: String,
    },
    /// The server answered the WebSocket upgrade with this HTTP status
    /// instead of 101.
    UpgradeRejected {
        /// The HTTP status code.
        status: u16,
    },
    /// No socket opened within `SessionConfig::connect_timeout`.
    TimedOut,
    /// Any other I/O or protocol error while dialing.
    Io {
        /// What the driver's I/O layer said.
        message: String,
    },
}

impl ConnectError {
    /// A short, stable name for logs and JSON: `refused`, `dns`, `tls`,
    /// `upgrade_rejected`, `timed_out`, `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Dns { .. } => "dns",
            Self::Tls { .. } => "tls",
            Self::UpgradeRejected { .. } => "upgrade_rejected",
            Self::TimedOut => "timed_out",
            Self::Io { .. } => "io",
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused => f.write_str(
                "connection refused: nothing listens at the endpoint's address and port",
            ),
            Self::Dns { reason } => write!(
                f,
                "DNS lookup failed ({reason}): check the endpoint's host name"
            ),
            Self::Tls { reason } if reason.contains("certificate") => write!(
                f,
                "TLS certificate problem: {reason}; the server's certificate is not trusted \
                 (for a local or self-signed endpoint, add its CA to a rustls ClientConfig \
                 and pass it with DriverConfig::tls)"
            ),
            Self::Tls { reason } => write!(f, "TLS handshake failed: {reason}"),
            Self::UpgradeRejected { status } => write!(
                f,
                "the server answered the WebSocket upgrade with HTTP {status}: \
                 not a voice gateway at this URL, or the endpoint is stale"
            ),
            Self::TimedOut => {
                f.write_str("no socket opened within connect_timeout: the host does not answer")
            }
            Self::Io { message } => write!(f, "I/O error while connecting: {message}"),
        }
    }
}
