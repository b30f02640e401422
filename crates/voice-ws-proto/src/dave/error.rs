//! What can go wrong in a DAVE handshake, as values: the handshake
//! reports these in [`DaveEvent::Error`](super::DaveEvent::Error) and
//! carries on.

use alloc::string::String;

/// A problem with a server message or with the handshake's own state. The
/// handshake reports it and survives: what can be recovered is recovered
/// (an invalid commit or welcome is flagged with op 31 and the group is
/// joined again), the rest is ignored.
///
/// MLS errors come from `davey`/OpenMLS, which have no stable error values
/// to match on; they are kept as their message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DaveError {
    /// The server asked for a DAVE protocol version this crate does not speak.
    #[error("unsupported DAVE protocol version {0}")]
    UnsupportedVersion(u16),
    /// Op 25 could not be used (malformed, or sent while in an established group).
    #[error("external sender package refused: {0}")]
    ExternalSender(String),
    /// A key package could not be made.
    #[error("key package: {0}")]
    KeyPackage(String),
    /// Op 27 was empty.
    #[error("empty MLS proposals message")]
    EmptyProposals,
    /// Op 27 named an operation other than append (0) or revoke (1).
    #[error("unknown MLS proposals operation {0}")]
    UnknownProposalsOperation(u8),
    /// Op 27 was refused (malformed, not from the external sender, a user
    /// not expected in the call, ...). No commit was sent.
    #[error("MLS proposals refused: {0}")]
    Proposals(String),
    /// Op 29 could not be processed: op 31 was sent for `transition_id` and a
    /// fresh key package follows.
    #[error("invalid commit for transition {transition_id}: {reason}")]
    InvalidCommit {
        /// The transition the commit announced.
        transition_id: u16,
        /// Why it was refused.
        reason: String,
    },
    /// Op 30 could not be processed: op 31 was sent for `transition_id` and a
    /// fresh key package follows.
    #[error("invalid welcome for transition {transition_id}: {reason}")]
    InvalidWelcome {
        /// The transition the welcome belongs to.
        transition_id: u16,
        /// Why it was refused.
        reason: String,
    },
    /// A message that needs a DAVE session (a welcome) arrived while the
    /// call is not end-to-end encrypted; ignored.
    #[error("op {op} ignored: the call is not end-to-end encrypted")]
    NoSession {
        /// The message's opcode.
        op: u8,
    },
    /// A welcome arrived while already in an established group; ignored.
    #[error("welcome for transition {0} ignored: already in a group")]
    WelcomeWhileInGroup(u16),
    /// Preparing or executing a transition failed in the MLS layer.
    #[error("transition {transition_id}: {reason}")]
    Transition {
        /// The transition.
        transition_id: u16,
        /// What failed.
        reason: String,
    },
    /// Op 22 named a transition that was never prepared (or was already
    /// executed or invalidated). Harmless; ignored.
    #[error("execute for unknown transition {0}")]
    UnknownTransition(u16),
    /// More transitions prepared and not executed than
    /// `DaveConfig::max_pending_transitions` (voice-ws-dave);
    /// this one was refused.
    #[error("too many pending transitions; transition {0} refused")]
    TooManyTransitions(u16),
    /// The roster reached
    /// `DaveConfig::max_roster`; this user
    /// was not added (their add proposal will be refused).
    #[error("roster full; user {0} not added")]
    RosterFull(u64),
    /// The owner did not drain `poll_transmit`/`poll_event` and a bounded
    /// queue overflowed: this many items were lost. A bug in the owner's
    /// loop; a new session (or the next epoch 1) repairs the group.
    #[error("{0} DAVE messages or events dropped: queue full")]
    Overflow(u64),
    /// The credentials' `user_id` or `channel_id` is not a snowflake: a
    /// driver cannot run DAVE for this session (media stays refused).
    #[error("credentials unusable for DAVE: {0}")]
    Credentials(String),
    /// The session refused a DAVE message the handshake asked a driver to
    /// send (e.g. its queue was full, or the session had ended).
    #[error("DAVE op {op} not sent: {reason}")]
    NotSent {
        /// The message's opcode.
        op: u8,
        /// The session's refusal.
        reason: String,
    },
}
