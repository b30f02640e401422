//! What the delivery service did, for tests and the CLI: counters and a
//! bounded log of notable events.

/// Counters since the call started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaveStats {
    /// The group's current epoch as the gateway knows it (0: no group yet).
    pub epoch: u64,
    /// The call's DAVE protocol version (0: passthrough).
    pub protocol_version: u16,
    /// Key packages accepted (op 26).
    pub key_packages: u64,
    /// Key packages refused.
    pub key_packages_rejected: u64,
    /// Proposal messages sent (op 27), counted per member.
    pub proposals_sent: u64,
    /// Commits picked and announced (op 29).
    pub commits_picked: u64,
    /// Commits not announced: late, stale, for another epoch, or invalid.
    pub commits_ignored: u64,
    /// Welcomes sent (op 30).
    pub welcomes_sent: u64,
    /// Invalid Commit Welcome reports received (op 31).
    pub invalid_commit_welcomes: u64,
    /// Groups established by an initial commit.
    pub groups_created: u64,
    /// Transitions executed (op 22), whether every member was ready or not.
    pub transitions_executed: u64,
    /// Of those, executed because their wait ran out.
    pub transitions_timed_out: u64,
    /// Sole member resets (op 24 epoch 1 and op 21 transition 0 to the one left).
    pub sole_member_resets: u64,
    /// Downgrades to protocol version 0 executed.
    pub downgrades: u64,
    /// Upgrades from protocol version 0 announced.
    pub upgrades: u64,
    /// Events that did not fit in the event log and were not kept.
    pub events_dropped: u64,
}

/// Something notable the delivery service did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaveEvent {
    /// A commit was picked and announced.
    CommitPicked {
        /// Who sent it.
        committer: u64,
        /// The epoch it moves the group to.
        epoch: u64,
        /// Its transition.
        transition_id: u16,
        /// Members it added (welcomed), in leaf order.
        added: Vec<u64>,
        /// Members it removed.
        removed: Vec<u64>,
    },
    /// A commit that was not announced.
    CommitIgnored {
        /// Who sent it.
        committer: u64,
        /// Why.
        reason: &'static str,
    },
    /// A key package that was refused.
    KeyPackageRejected {
        /// Who sent it.
        user_id: u64,
        /// Why.
        reason: &'static str,
    },
    /// A transition was executed (op 22 sent).
    TransitionExecuted {
        /// Its id.
        transition_id: u16,
        /// The protocol version it moves to.
        protocol_version: u16,
        /// Executed because the wait ran out, not because everyone was ready.
        timed_out: bool,
    },
    /// A member reported an invalid commit or welcome (op 31).
    InvalidCommitWelcome {
        /// Who.
        user_id: u64,
        /// The transition it named.
        transition_id: u16,
    },
    /// The gateway dropped its group; a new one will be created.
    GroupReset {
        /// The member told to start over alone (sole member reset), if any.
        sole_member: Option<u64>,
    },
}
