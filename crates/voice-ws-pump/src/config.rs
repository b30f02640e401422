//! Driver settings, each with its default.

use std::sync::Arc;

use voice_ws_proto::SessionConfig;

/// Settings of a connection (a driver's `connect`, or [`connect`](crate::connect)).
///
/// Build with [`DriverConfig::default`] and the `with_*` methods; new
/// fields may be added, so struct literals are not possible outside this
/// crate.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DriverConfig {
    /// The core's settings: timeouts, backoff, heartbeat tolerance, size
    /// limits. Default: [`SessionConfig::default`]. An `rng_seed` of 0 (the
    /// default) is replaced by a random one at connect, so that clients
    /// dropped together do not reconnect together; any other seed
    /// reproduces the backoff of a run.
    pub session: SessionConfig,
    /// Events that may wait in the queue for the application. When it is
    /// full the task keeps running (heartbeats, timers) and leaves further
    /// events in the core's bounded queue (`max_pending_events`), which
    /// acknowledges messages as it accepts them and refuses them, for the
    /// server to replay, while it is full. Default 32.
    pub event_buffer: usize,
    /// Commands from [`Handle`](crate::Handle)s that may wait for the task.
    /// Default 32.
    pub command_buffer: usize,
    /// TLS settings for `wss://`. Default `None`: the driver's own, for
    /// both drivers rustls with the ring provider, the Mozilla roots from
    /// `webpki-roots`, and full certificate verification.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            session: SessionConfig::default(),
            event_buffer: 32,
            command_buffer: 32,
            tls: None,
        }
    }
}

impl DriverConfig {
    /// Replaces [`DriverConfig::session`].
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Sets [`DriverConfig::event_buffer`] (at least 1).
    pub fn with_event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = events;
        self
    }

    /// Sets [`DriverConfig::command_buffer`] (at least 1).
    pub fn with_command_buffer(mut self, commands: usize) -> Self {
        self.command_buffer = commands;
        self
    }

    /// Sets [`DriverConfig::tls`], e.g. to add a private root certificate.
    pub fn with_tls(mut self, tls: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// A backoff seed that differs per connection: std's `RandomState` is
/// randomly keyed per process and per instance. Never 0.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id()) | 1
}
