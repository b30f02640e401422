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
    /// The most a heartbeat may be brought forward so that many
    /// connections' beats go out together. Each beat goes out at the last
    /// multiple of a step (1, 5, 10, 50, 100 or 500 ms, on the clock the
    /// owner gives the core) at or before its time: the largest step within
    /// this cap in which about 100 beats of the runtime's connections fall
    /// due ([`Transport::set_runtime_connections`](super::Transport::set_runtime_connections)).
    /// The drivers start every connection's clock on one shared grid, so
    /// the beats that fall within one step wake the runtime once. The
    /// cadence is unchanged (each beat is due one interval after the last
    /// was due) and no beat is scheduled late. Default 100 ms (0.7% of Discord's
    /// 13.75 s interval); zero: every beat at its exact time.
    pub heartbeat_coalesce: Duration,
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
            heartbeat_coalesce: Duration::from_millis(100),
            any_frame_is_alive: false,
            max_message_size: 1 << 20,
            max_outbound_frames: 256,
            max_pending_events: 4096,
            close_timeout: Duration::from_secs(5),
        }
    }
}
