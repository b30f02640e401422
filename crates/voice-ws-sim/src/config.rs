//! How a [`Sim`](crate::Sim) behaves: heartbeat interval, port, per-connection fault plans.

use crate::plan::ConnectionPlan;

/// Configuration of a [`Sim`](crate::Sim).
///
/// Build it from [`SimConfig::default`] and the `with_*` methods (or assign the
/// public fields); new fields may be added, so struct literals are not allowed
/// outside this crate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimConfig {
    /// The `heartbeat_interval` sent in Hello, in milliseconds. Sent as a JSON
    /// float (`1000.0`), as Discord does. Default `1000.0`.
    pub heartbeat_interval_ms: f64,
    /// TCP port to bind on 127.0.0.1; `0` picks an ephemeral port. Default `0`.
    pub port: u16,
    /// Fault plan for the Nth accepted connection (0-based, in accept order).
    /// Connections beyond the list behave normally ([`ConnectionPlan::default`]).
    pub plans: Vec<ConnectionPlan>,
    /// Sequence number of the first replayable message of every new session.
    /// Default `0`; use e.g. `65530` to exercise wraparound.
    pub start_seq: u16,
    /// Highest DAVE protocol version the gateway supports. Session Description
    /// carries the minimum of this and the client's `max_dave_protocol_version`.
    /// Default `1`.
    pub dave_protocol_version: u16,
    /// How many replayable messages each session keeps for resume (oldest are
    /// dropped first). A Resume whose `seq_ack` asks for a message no longer
    /// kept (`-1` once anything was dropped) is closed with 4006 and the session
    /// is forgotten, as on Discord; it is never answered with a partial replay.
    /// `0` keeps nothing. Default `1024`.
    pub replay_capacity: usize,
    /// Whether every frame is kept in [`ConnectionLog`](crate::ConnectionLog)
    /// `received`/`sent`. Turn off for long runs at scale, where the logs would
    /// grow without bound; close codes, session ids and seq_acks are still
    /// recorded. Default `true`.
    pub record_frames: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 1000.0,
            port: 0,
            plans: Vec::new(),
            start_seq: 0,
            dave_protocol_version: 1,
            replay_capacity: 1024,
            record_frames: true,
        }
    }
}

impl SimConfig {
    /// Same as [`SimConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`SimConfig::heartbeat_interval_ms`].
    pub fn with_heartbeat_interval_ms(mut self, ms: f64) -> Self {
        self.heartbeat_interval_ms = ms;
        self
    }

    /// Sets [`SimConfig::port`].
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Replaces [`SimConfig::plans`].
    pub fn with_plans(mut self, plans: Vec<ConnectionPlan>) -> Self {
        self.plans = plans;
        self
    }

    /// Appends the plan for the next connection index to [`SimConfig::plans`].
    pub fn with_plan(mut self, plan: ConnectionPlan) -> Self {
        self.plans.push(plan);
        self
    }

    /// Sets [`SimConfig::start_seq`].
    pub fn with_start_seq(mut self, seq: u16) -> Self {
        self.start_seq = seq;
        self
    }

    /// Sets [`SimConfig::dave_protocol_version`].
    pub fn with_dave_protocol_version(mut self, version: u16) -> Self {
        self.dave_protocol_version = version;
        self
    }

    /// Sets [`SimConfig::replay_capacity`].
    pub fn with_replay_capacity(mut self, capacity: usize) -> Self {
        self.replay_capacity = capacity;
        self
    }

    /// Sets [`SimConfig::record_frames`].
    pub fn with_record_frames(mut self, record: bool) -> Self {
        self.record_frames = record;
        self
    }

    /// The plan the connection with this accept index follows.
    pub fn plan_for(&self, index: usize) -> ConnectionPlan {
        self.plans.get(index).cloned().unwrap_or_default()
    }
}
