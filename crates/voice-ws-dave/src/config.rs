//! The handshake's limits.

/// Bounds on what the handshake keeps. Defaults are far above what a
/// Discord call needs and low enough that a misbehaving server cannot grow
/// memory without limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaveConfig {
    /// Most users the roster (ops 11 and 13) remembers. Default 1000
    /// (Discord voice channels hold at most 99 by default, 25 with video).
    pub max_roster: usize,
    /// Most transitions prepared and not yet executed. Default 16.
    pub max_pending_transitions: usize,
    /// Most client messages waiting in `poll_transmit`. Default 64.
    pub max_transmits: usize,
    /// Most events waiting in `poll_event`. Default 256.
    pub max_events: usize,
    /// Seconds during which frames are still accepted in clear after an
    /// upgrade from protocol version 0 executes (frames in flight). The
    /// protocol keeps previous keys "up to ten seconds". Default 10.
    pub passthrough_grace_secs: u32,
}

impl Default for DaveConfig {
    fn default() -> Self {
        Self {
            max_roster: 1000,
            max_pending_transitions: 16,
            max_transmits: 64,
            max_events: 256,
            passthrough_grace_secs: 10,
        }
    }
}
