//! Counters a transport keeps over its whole life.

/// Traffic and heartbeat counters, across all sockets of a transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Frames received.
    pub frames_in: u64,
    /// Frames handed to the driver (close frames included).
    pub frames_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes handed to the driver.
    pub bytes_out: u64,
    /// Heartbeats sent.
    pub heartbeats_sent: u64,
    /// Heartbeats acknowledged with the right nonce.
    pub heartbeats_acked: u64,
    /// Heartbeats that fell due while the previous was unanswered.
    pub heartbeats_missed: u64,
    /// Frames that could not be decoded.
    pub invalid_frames: u64,
    /// Numbered messages skipped because their seq was not after the last
    /// received (a replay or repeat of a message already received).
    pub duplicates_skipped: u64,
    /// Numbered messages refused because the event queue was full; each
    /// dropped the socket resumably, and the server replays them.
    pub messages_refused: u64,
}
