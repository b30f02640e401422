//! Transport settings, each with its default.

use core::time::Duration;

/// When the first heartbeat after Hello goes out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FirstHeartbeat {
    /// One interval after Hello (discord.js, songbird). The default.
    #[default]
    AfterInterval,
    /// Right after Hello; Discord accepts this too.
    Immediately,
}

/// Settings of a [`Transport`](super::Transport).
///
/// Build with `TransportConfig::default()` and set fields; new fields may be
/// added, so literal construction is not possible outside this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Heartbeats in a row left unacknowledged before the socket counts as a
    /// zombie. Default 1: a beat falls due while the previous one is unanswered.
    pub heartbeat_tolerance: u32,
    /// When the first beat goes out. Default: one interval after Hello.
    pub first_heartbeat: FirstHeartbeat,
    /// Count any inbound frame as proof of life, not only the ACK. Default off.
    pub any_frame_is_alive: bool,
    /// Largest inbound message in bytes; larger ones close the socket with
    /// 1009. Default 1 MiB, room for MLS payloads of large groups.
    pub max_message_size: usize,
    /// Outbound frames that may wait for the driver. Default 256.
    pub max_outbound_frames: usize,
    /// Events that may wait for the owner. When the queue is full, an
    /// arriving numbered message is not received (not acknowledged) and the
    /// socket is dropped resumably: the server replays it once the owner has
    /// made room. Default 4096.
    pub max_pending_events: usize,
    /// How long a graceful close waits for the server's close frame. Default 5 s.
    pub close_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            heartbeat_tolerance: 1,
            first_heartbeat: FirstHeartbeat::AfterInterval,
            any_frame_is_alive: false,
            max_message_size: 1 << 20,
            max_outbound_frames: 256,
            max_pending_events: 4096,
            close_timeout: Duration::from_secs(5),
        }
    }
}
