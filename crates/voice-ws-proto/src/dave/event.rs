//! What the handshake tells its owner.

use alloc::string::String;

use super::DaveError;

/// Something the application may want to know about the call's end-to-end
/// encryption, in the order it happened. Messages to send are not events:
/// they come from the handshake's `poll_transmit` (voice-ws-dave).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaveEvent {
    /// We joined an MLS group (a welcome, or our own commit creating it).
    /// Media keys switch to it when `transition_id` executes (at once for 0).
    GroupEstablished {
        /// The transition that brings the group's keys into use.
        transition_id: u16,
        /// The group's epoch.
        epoch: u64,
    },
    /// The group moved to a new epoch (members joined or left).
    EpochChanged {
        /// The transition that brings the new keys into use.
        transition_id: u16,
        /// The new epoch.
        epoch: u64,
    },
    /// A transition took effect: from now on our media is sent with the new
    /// key, or in clear when `protocol_version` is 0.
    TransitionExecuted {
        /// The transition.
        transition_id: u16,
        /// The DAVE protocol version now in force (0: no end-to-end encryption).
        protocol_version: u16,
    },
    /// The voice privacy code (the epoch authenticator as 30 digits, for
    /// users to compare out of band) changed; `None` when there is no group.
    PrivacyCodeChanged {
        /// The new code.
        code: Option<String>,
    },
    /// This member's media can be decrypted: a key for them was prepared
    /// (it is used for their frames once the transition executes).
    MemberDecryptable {
        /// The member's user id.
        user_id: u64,
    },
    /// A server message could not be used, or the owner let a queue
    /// overflow. The handshake carries on.
    Error(DaveError),
}
