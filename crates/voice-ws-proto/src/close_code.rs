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
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: unsupported data.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1007: invalid payload data.
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: policy violation.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1011: internal server error.
    pub const INTERNAL_ERROR: Self = Self(1011);
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
        match row(self) {
            Some(row) => row.class,
            // Every other 4xxx, documented or not, means the session is gone.
            None if self.0 / 1000 == 4 => CloseClass::NewSession,
            // Other transport-level codes say the socket failed, not the session.
            None => CloseClass::Resume,
        }
    }

    /// The code's meaning in a few words.
    pub const fn meaning(self) -> &'static str {
        match row(self) {
            Some(row) => row.meaning,
            None if self.0 / 1000 == 4 => "unknown voice gateway code",
            None => "unknown close code",
        }
    }

    /// For a [`CloseClass::Fatal`] code, what the application must fix.
    pub const fn fix(self) -> Option<&'static str> {
        match row(self) {
            Some(row) => row.fix,
            None => None,
        }
    }

    /// Whether the code points at a bug on our side (it should be logged loudly).
    pub const fn is_client_bug(self) -> bool {
        match row(self) {
            Some(row) => row.client_bug,
            None => false,
        }
    }
}

/// One close code's row of the policy table (docs/protocol.md, "Close codes").
struct Row {
    code: CloseCode,
    class: CloseClass,
    meaning: &'static str,
    /// What to fix, for fatal codes.
    fix: Option<&'static str>,
    /// A code that means we sent something wrong.
    client_bug: bool,
}

const fn resume(code: CloseCode, meaning: &'static str) -> Row {
    Row {
        code,
        class: CloseClass::Resume,
        meaning,
        fix: None,
        client_bug: false,
    }
}

const fn new_session(code: CloseCode, meaning: &'static str, client_bug: bool) -> Row {
    Row {
        code,
        class: CloseClass::NewSession,
        meaning,
        fix: None,
        client_bug,
    }
}

const fn stop(code: CloseCode, meaning: &'static str) -> Row {
    Row {
        code,
        class: CloseClass::Stop,
        meaning,
        fix: None,
        client_bug: false,
    }
}

const fn fatal(code: CloseCode, meaning: &'static str, fix: &'static str) -> Row {
    Row {
        code,
        class: CloseClass::Fatal,
        meaning,
        fix: Some(fix),
        client_bug: code.0 == CloseCode::BAD_REQUEST.0,
    }
}

/// Every close code this crate knows, once.
const TABLE: &[Row] = &[
    resume(CloseCode::NORMAL, "normal closure"),
    resume(CloseCode::GOING_AWAY, "going away"),
    resume(CloseCode::PROTOCOL_ERROR, "protocol error"),
    resume(CloseCode::UNSUPPORTED_DATA, "unsupported data"),
    resume(CloseCode::NO_STATUS, "no status code"),
    resume(CloseCode::ABNORMAL, "abnormal closure"),
    resume(CloseCode::INVALID_PAYLOAD, "invalid payload data"),
    resume(CloseCode::POLICY_VIOLATION, "policy violation"),
    resume(CloseCode::MESSAGE_TOO_BIG, "message too big"),
    resume(CloseCode::INTERNAL_ERROR, "internal server error"),
    // Ours; from the server it is one more undocumented 4xxx.
    new_session(CloseCode::RESUMABLE, "closed by client to resume", false),
    new_session(CloseCode::UNKNOWN_OPCODE, "unknown opcode", true),
    new_session(CloseCode::DECODE_ERROR, "failed to decode payload", true),
    new_session(CloseCode::NOT_AUTHENTICATED, "not authenticated", false),
    fatal(
        CloseCode::AUTHENTICATION_FAILED,
        "authentication failed",
        "authentication failed: the token or ids are wrong",
    ),
    new_session(
        CloseCode::ALREADY_AUTHENTICATED,
        "already authenticated",
        false,
    ),
    new_session(
        CloseCode::SESSION_NO_LONGER_VALID,
        "session no longer valid",
        false,
    ),
    new_session(CloseCode::SESSION_TIMEOUT, "session timeout", false),
    new_session(CloseCode::SERVER_NOT_FOUND, "server not found", false),
    fatal(
        CloseCode::UNKNOWN_PROTOCOL,
        "unknown protocol",
        "unknown protocol in Select Protocol",
    ),
    stop(CloseCode::DISCONNECTED, "disconnected"),
    resume(CloseCode::VOICE_SERVER_CRASHED, "voice server crashed"),
    fatal(
        CloseCode::UNKNOWN_ENCRYPTION_MODE,
        "unknown encryption mode",
        "unknown encryption mode in Select Protocol",
    ),
    fatal(
        CloseCode::E2EE_REQUIRED,
        "end-to-end encryption (DAVE) required",
        "the channel requires DAVE end-to-end encryption: set max_dave_protocol_version",
    ),
    fatal(
        CloseCode::BAD_REQUEST,
        "bad request",
        "bad request: the server refused a malformed message (a new session would send it again)",
    ),
    stop(CloseCode::RATE_LIMITED, "rate limited"),
    stop(CloseCode::CALL_TERMINATED, "call terminated"),
];

const fn row(code: CloseCode) -> Option<&'static Row> {
    let mut i = 0;
    while i < TABLE.len() {
        if TABLE[i].code.0 == code.0 {
            return Some(&TABLE[i]);
        }
        i += 1;
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_one_row() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert_ne!(a.code, b.code, "{:?} twice", a.code);
            }
        }
    }

    #[test]
    fn exactly_the_fatal_codes_say_what_to_fix() {
        for row in TABLE {
            assert_eq!(
                row.fix.is_some(),
                row.class == CloseClass::Fatal,
                "{:?}",
                row.code
            );
        }
    }
}
