//! Session settings, each with its default.

use core::time::Duration;

use crate::transport::TransportConfig;

/// Settings of a [`Session`](super::Session).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Settings of the underlying transport.
    pub transport: TransportConfig,
    /// How long the driver may take to open a socket. Default 10 s.
    pub connect_timeout: Duration,
    /// How long after the socket opens Hello may take. Default 10 s.
    pub hello_timeout: Duration,
    /// How long after Identify Ready may take, or after Resume Resumed.
    /// Default 10 s.
    pub handshake_timeout: Duration,
    /// Reconnects in a row without progress before the session is given up
    /// as invalid. Progress is Ready, or a resumed socket that received a
    /// new message or stayed up `resume_stable_after`. Default 8.
    pub max_reconnect_attempts: u32,
    /// How long a resumed socket must stay up to count as progress when no
    /// new message arrives on it. Until then the backoff keeps growing, so
    /// a server that drops every resume at once is not hammered. Default 10 s.
    pub resume_stable_after: Duration,
    /// Resumes in a row that end the same way (same close code, same side,
    /// same `seq_ack`) without progress before the session is given up with
    /// [`Invalidation::ResumeLoop`](super::Invalidation::ResumeLoop).
    /// Default 3.
    pub resume_loop_limit: u32,
    /// Backoff base: the ceiling of the second attempt's delay. Default 1 s.
    pub backoff_base: Duration,
    /// Backoff cap: no delay is longer. Default 30 s.
    pub backoff_cap: Duration,
    /// Whether reconnect delays are drawn at random below the exponential
    /// ceiling ("full jitter", the default) or are the ceiling itself.
    /// Without jitter, clients dropped together (a voice server restart)
    /// all return at the same instants; turn it off only to measure that, or
    /// where a single client wants predictable delays. Default `true`.
    pub backoff_jitter: bool,
    /// Seed of the jitter PRNG. Give each session a different one (a
    /// driver uses the clock); a fixed seed reproduces a run. Default 0.
    pub rng_seed: u64,
    /// Messages the application may send while disconnected or resuming;
    /// they are flushed in order once the handshake completes. Default 256.
    pub max_pending_sends: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            transport: TransportConfig::default(),
            connect_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            max_reconnect_attempts: 8,
            resume_stable_after: Duration::from_secs(10),
            resume_loop_limit: 3,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            backoff_jitter: true,
            rng_seed: 0,
            max_pending_sends: 256,
        }
    }
}
