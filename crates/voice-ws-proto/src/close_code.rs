//! Close codes of the voice gateway and what each one means for the session.

use core::fmt;

/// What a close code asks of the owner of the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseClass {
    /// The session is still valid: reconnect and send Resume.
    Resume,
    /// The session is gone: fresh credentials from the main gateway are needed.
    NewSession,
    /// Stop: never reconnect on our own (kicked, rate limited, call ended).
    Stop,
    /// A configuration or credential error that no retry can fix.
    Fatal,
}

/// A WebSocket close code as the voice gateway uses it.
///
/// Any `u16` is representable; [`CloseCode::class`] decides the policy,
/// including for codes this crate has never heard of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: Self = Self(1000);
    /// 1001: going away.
    pub const GOING_AWAY: Self = Self(1001);
    /// 1005: no status code was present in the close frame.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: abnormal closure, no close frame (never sent on the wire).
    pub const ABNORMAL: Self = Self(1006);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 4000: what this crate sends when it drops a socket it wants to resume
    /// (zombie, handshake timeout). Anything but 1000/1001 keeps the session.
    pub const RESUMABLE: Self = Self(4000);
    /// 4001: unknown opcode.
    pub const UNKNOWN_OPCODE: Self = Self(4001);
    /// 4002: failed to decode payload.
    pub const DECODE_ERROR: Self = Self(4002);
    /// 4003: not authenticated.
    pub const NOT_AUTHENTICATED: Self = Self(4003);
    /// 4004: authentication failed.
    pub const AUTHENTICATION_FAILED: Self = Self(4004);
    /// 4005: already authenticated.
    pub const ALREADY_AUTHENTICATED: Self = Self(4005);
    /// 4006: session no longer valid.
    pub const SESSION_NO_LONGER_VALID: Self = Self(4006);
    /// 4009: session timeout.
    pub const SESSION_TIMEOUT: Self = Self(4009);
    /// 4011: server not found.
    pub const SERVER_NOT_FOUND: Self = Self(4011);
    /// 4012: unknown protocol.
    pub const UNKNOWN_PROTOCOL: Self = Self(4012);
    /// 4014: disconnected (kicked, channel deleted, main session dropped).
    pub const DISCONNECTED: Self = Self(4014);
    /// 4015: voice server crashed.
    pub const VOICE_SERVER_CRASHED: Self = Self(4015);
    /// 4016: unknown encryption mode.
    pub const UNKNOWN_ENCRYPTION_MODE: Self = Self(4016);
    /// 4017: end-to-end encryption (DAVE) required.
    pub const E2EE_REQUIRED: Self = Self(4017);
    /// 4020: bad request.
    pub const BAD_REQUEST: Self = Self(4020);
    /// 4021: rate limited.
    pub const RATE_LIMITED: Self = Self(4021);
    /// 4022: call terminated.
    pub const CALL_TERMINATED: Self = Self(4022);

    /// The numeric code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// What the owner must do after a socket closed with this code, when
    /// the peer (not we) closed it.
    pub const fn class(self) -> CloseClass {
        match self.0 {
            1000 | 1001 | 1005 | 1006 | 4015 => CloseClass::Resume,
            // 4020: a new session would send the same malformed request.
            4004 | 4012 | 4016 | 4017 | 4020 => CloseClass::Fatal,
            4014 | 4021 | 4022 => CloseClass::Stop,
            // Every other 4xxx, documented or not, means the session is gone.
            4000..=4999 => CloseClass::NewSession,
            // Other transport-level codes (1002 protocol error, 1011 server
            // error, ...) say the socket failed, not the session.
            _ => CloseClass::Resume,
        }
    }

    /// The code's meaning in a few words.
    pub const fn meaning(self) -> &'static str {
        match self.0 {
            1000 => "normal closure",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1005 => "no status code",
            1006 => "abnormal closure",
            1007 => "invalid payload data",
            1008 => "policy violation",
            1009 => "message too big",
            1011 => "internal server error",
            4000 => "closed by client to resume",
            4001 => "unknown opcode",
            4002 => "failed to decode payload",
            4003 => "not authenticated",
            4004 => "authentication failed",
            4005 => "already authenticated",
            4006 => "session no longer valid",
            4009 => "session timeout",
            4011 => "server not found",
            4012 => "unknown protocol",
            4014 => "disconnected",
            4015 => "voice server crashed",
            4016 => "unknown encryption mode",
            4017 => "end-to-end encryption (DAVE) required",
            4020 => "bad request",
            4021 => "rate limited",
            4022 => "call terminated",
            c if c / 1000 == 4 => "unknown voice gateway code",
            _ => "unknown close code",
        }
    }

    /// Whether the code points at a bug on our side (it should be logged loudly).
    pub const fn is_client_bug(self) -> bool {
        matches!(self.0, 4001 | 4002 | 4020)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({} {})", self.0, self.meaning())
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.meaning())
    }
}
