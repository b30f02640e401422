//! How a call's delivery service behaves.

use std::time::Duration;

/// Configuration of a [`DeliveryService`](super::DeliveryService).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaveConfig {
    /// The MLS group id as a number: the voice channel id, which clients
    /// use as the group id (its 8 big-endian bytes).
    pub group_id: u64,
    /// DAVE protocol version of the call (1, the only one defined; 0 starts
    /// the call in passthrough). Default 1.
    pub protocol_version: u16,
    /// How long a transition waits for every member's Transition Ready (op
    /// 23) before it is executed anyway. Default 2 s, the order of Discord's
    /// ("up to roughly two seconds", protocol description, "Member Remove").
    pub transition_timeout: Duration,
    /// How long proposals wait to be sent together in one MLS Proposals
    /// message per member ("the voice gateway may delay a
    /// dave_mls_proposals opcode (27) to batch multiple MLS proposals",
    /// protocol description). Batching spares each member a commit per
    /// proposal when many join at once. Default zero: each proposal goes out
    /// at once.
    pub proposal_batch: Duration,
    /// Members the call admits; one more is refused. Default 100.
    pub max_members: usize,
    /// Messages waiting in [`poll_transmit`](super::DeliveryService::poll_transmit);
    /// an input that could overflow it is refused. Default 65536.
    pub max_queued: usize,
    /// Transitions in flight at once; one more executes the oldest now.
    /// Default 16.
    pub max_transitions: usize,
    /// Largest key package accepted (op 26), in bytes. Default 16 KiB.
    pub max_key_package: usize,
    /// Largest commit and welcome accepted (op 28), in bytes. Default 1 MiB,
    /// the gateway's message limit.
    pub max_commit_welcome: usize,
}

impl DaveConfig {
    /// Defaults for the call whose voice channel (MLS group) id is `group_id`.
    pub fn new(group_id: u64) -> Self {
        Self {
            group_id,
            protocol_version: 1,
            transition_timeout: Duration::from_secs(2),
            proposal_batch: Duration::ZERO,
            max_members: 100,
            max_queued: 1 << 16,
            max_transitions: 16,
            max_key_package: 16 << 10,
            max_commit_welcome: 1 << 20,
        }
    }

    /// Sets [`DaveConfig::transition_timeout`].
    pub fn with_transition_timeout(mut self, timeout: Duration) -> Self {
        self.transition_timeout = timeout;
        self
    }

    /// Sets [`DaveConfig::proposal_batch`].
    pub fn with_proposal_batch(mut self, window: Duration) -> Self {
        self.proposal_batch = window;
        self
    }

    /// Sets [`DaveConfig::protocol_version`].
    pub fn with_protocol_version(mut self, version: u16) -> Self {
        self.protocol_version = version;
        self
    }

    /// Sets [`DaveConfig::max_members`].
    pub fn with_max_members(mut self, max: usize) -> Self {
        self.max_members = max;
        self
    }
}
