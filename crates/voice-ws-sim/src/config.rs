//! How a [`Sim`](crate::Sim) behaves: heartbeat interval, port, start seqs,
//! per-connection fault plans.

use std::time::Duration;

use crate::persist::SavedSessions;
use crate::plan::ConnectionPlan;

/// Where a session's sequence numbers start ([`SimConfig::start_seq`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartSeq {
    /// A new value for every session, from a per-process random seed and a
    /// counter (not reproducible across runs: read the value from
    /// [`ConnectionLog::start_seq`](crate::ConnectionLog::start_seq) and use
    /// [`StartSeq::Fixed`] to replay a failure). Half of the sessions start
    /// within 32 of the u16 wrap (65504..=65535), the others anywhere, so
    /// wraparound is exercised by ordinary tests.
    #[default]
    Random,
    /// Every session starts at this value.
    Fixed(u16),
}

impl StartSeq {
    /// The first seq of a new session; `nth` (the session counter) varies the
    /// random choice between sessions.
    pub(crate) fn pick(self, nth: u64) -> u16 {
        match self {
            Self::Fixed(seq) => seq,
            Self::Random => {
                let bits = random_bits(nth);
                if bits & 1 == 0 {
                    u16::MAX - ((bits >> 1) % 32) as u16
                } else {
                    (bits >> 16) as u16
                }
            }
        }
    }
}

/// 64 bits no test can predict, without a dependency: std's `RandomState` is
/// seeded randomly per process (and varied per instance), hashed together with
/// the clock and `nth`.
fn random_bits(nth: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(nth);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.finish()
}

/// How many Identify/Resume attempts one session id may make
/// ([`SimConfig::rate_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Attempts allowed within [`RateLimit::window`]; the next one gets 4021.
    pub attempts: u32,
    /// The sliding window the attempts are counted in.
    pub window: Duration,
}

impl RateLimit {
    /// At most `attempts` Identify/Resume messages per session id within any
    /// `window`.
    pub fn new(attempts: u32, window: Duration) -> Self {
        Self { attempts, window }
    }
}

impl Default for RateLimit {
    /// 10 attempts in 10 s.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(10))
    }
}

/// Shared DAVE calls ([`SimConfig::dave_calls`], feature `dave`): the sessions
/// that identify with the same `server_id` are members of one call, and the
/// gateway is its MLS external sender and delivery service
/// ([`dave::DeliveryService`](crate::dave::DeliveryService)).
#[cfg(feature = "dave")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaveCalls {
    /// The voice channel id clients use as the MLS group id. `None` (the
    /// default): the Identify's `channel_id` when it has one, else its
    /// `server_id`; either must be a decimal u64.
    pub channel_id: Option<u64>,
    /// How long a transition waits for every member's Transition Ready
    /// before it is executed anyway. Default 2 s.
    pub transition_timeout: Duration,
    /// Close an Identify without DAVE (`max_dave_protocol_version` absent
    /// or 0) with 4017, as Discord does since 1 March 2026. Default `true`;
    /// `false` admits such clients, and
    /// [`Sim::dave_downgrade`](crate::Sim::dave_downgrade) plays the
    /// downgrade Discord used to do for them.
    pub require_dave: bool,
    /// How long proposals wait to go out together, one MLS Proposals
    /// message per member (see
    /// [`DaveConfig::proposal_batch`](crate::dave::DaveConfig::proposal_batch)).
    /// Default 20 ms: members joining together cost one commit each, not
    /// one per joiner.
    pub proposal_batch: Duration,
}

#[cfg(feature = "dave")]
impl Default for DaveCalls {
    fn default() -> Self {
        Self {
            channel_id: None,
            transition_timeout: Duration::from_secs(2),
            require_dave: true,
            proposal_batch: Duration::from_millis(20),
        }
    }
}

#[cfg(feature = "dave")]
impl DaveCalls {
    /// Sets [`DaveCalls::channel_id`].
    pub fn with_channel_id(mut self, channel_id: u64) -> Self {
        self.channel_id = Some(channel_id);
        self
    }

    /// Sets [`DaveCalls::require_dave`].
    pub fn with_require_dave(mut self, require: bool) -> Self {
        self.require_dave = require;
        self
    }

    /// Sets [`DaveCalls::proposal_batch`].
    pub fn with_proposal_batch(mut self, window: Duration) -> Self {
        self.proposal_batch = window;
        self
    }

    /// Sets [`DaveCalls::transition_timeout`].
    pub fn with_transition_timeout(mut self, timeout: Duration) -> Self {
        self.transition_timeout = timeout;
        self
    }
}

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
    /// Default [`StartSeq::Random`], so that clients assuming seqs start at 0
    /// or never wrap fail; each session's value is recorded in
    /// [`ConnectionLog::start_seq`](crate::ConnectionLog::start_seq), and
    /// [`SimConfig::with_start_seq`] replays it.
    pub start_seq: StartSeq,
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
    /// Discord's 4021 (rate limited): more Identify/Resume attempts for one
    /// session id than this within its window closes the connection with 4021
    /// and forgets the session. `None` turns it off. Default
    /// [`RateLimit::default`] (more than 10 in 10 s): a client with any backoff
    /// never gets there, a reconnect loop does.
    pub rate_limit: Option<RateLimit>,
    /// Whether every frame is kept in [`ConnectionLog`](crate::ConnectionLog)
    /// `received`/`sent`. Turn off for long runs at scale, where the logs would
    /// grow without bound; close codes, session ids and seq_acks are still
    /// recorded. Default `true`.
    pub record_frames: bool,
    /// Sessions the sim starts with, resumable at once: those an earlier
    /// process saved with [`Sim::save_sessions`](crate::Sim::save_sessions)
    /// (a voice server restarted without losing its sessions). Default none.
    pub sessions: SavedSessions,
    /// Sessions with the same `server_id` share a DAVE call run by the
    /// gateway (feature `dave`). `None` (the default) keeps every session on
    /// its own, with scripted DAVE pushes only.
    #[cfg(feature = "dave")]
    pub dave_calls: Option<DaveCalls>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 1000.0,
            port: 0,
            plans: Vec::new(),
            start_seq: StartSeq::Random,
            dave_protocol_version: 1,
            replay_capacity: 1024,
            rate_limit: Some(RateLimit::default()),
            record_frames: true,
            sessions: SavedSessions::default(),
            #[cfg(feature = "dave")]
            dave_calls: None,
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

    /// Every session's seqs start at `seq` ([`StartSeq::Fixed`]); e.g. `0` for
    /// literal seqs in a test, `65533` to wrap after three messages.
    pub fn with_start_seq(mut self, seq: u16) -> Self {
        self.start_seq = StartSeq::Fixed(seq);
        self
    }

    /// Each session's seqs start at a new random value ([`StartSeq::Random`],
    /// the default).
    pub fn with_random_start_seq(mut self) -> Self {
        self.start_seq = StartSeq::Random;
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

    /// Sets [`SimConfig::rate_limit`].
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Turns [`SimConfig::rate_limit`] off.
    pub fn without_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// Sets [`SimConfig::record_frames`].
    pub fn with_record_frames(mut self, record: bool) -> Self {
        self.record_frames = record;
        self
    }

    /// Sets [`SimConfig::sessions`].
    pub fn with_sessions(mut self, sessions: SavedSessions) -> Self {
        self.sessions = sessions;
        self
    }

    /// Sets [`SimConfig::dave_calls`].
    #[cfg(feature = "dave")]
    pub fn with_dave_calls(mut self, calls: DaveCalls) -> Self {
        self.dave_calls = Some(calls);
        self
    }

    /// The plan the connection with this accept index follows.
    pub fn plan_for(&self, index: usize) -> ConnectionPlan {
        self.plans.get(index).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_is_fixed_and_random_varies_and_often_wraps_soon() {
        assert_eq!(StartSeq::Fixed(65533).pick(1), 65533);
        assert_eq!(SimConfig::default().start_seq, StartSeq::Random);
        let picks: Vec<u16> = (0..200).map(|n| StartSeq::Random.pick(n)).collect();
        let near_wrap = picks.iter().filter(|s| **s >= 65504).count();
        // 200 fair coin flips: far outside these bounds only if the mix is broken.
        assert!((40..=180).contains(&near_wrap), "{near_wrap} of 200");
        let mut distinct = picks.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 50, "{distinct:?}");
    }
}
