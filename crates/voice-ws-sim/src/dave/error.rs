//! Why the delivery service refused an input.

use std::fmt;

/// An input the delivery service did not act on. The service's state is
/// unchanged by a refused input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaveError {
    /// The user is not a member of the call.
    UnknownMember(u64),
    /// The call already has [`DaveConfig::max_members`](super::DaveConfig::max_members).
    CallFull,
    /// The outgoing queue could overflow: drain [`poll_transmit`](super::DeliveryService::poll_transmit) first.
    Backlogged,
    /// The call runs without DAVE (protocol version 0) or the member did not
    /// select a DAVE protocol version.
    NotDave,
    /// A key package that is not acceptable (protocol description, "Key
    /// Packages", "Validation").
    InvalidKeyPackage(&'static str),
    /// A key package from a member that is in the group and not pending.
    NotPending(u64),
    /// A commit (and welcome) that cannot be parsed or is not for this group.
    MalformedCommit(&'static str),
    /// The protocol version asked for is not supported.
    UnsupportedVersion(u16),
    /// OpenMLS failed to build a message (a bug here, not bad input).
    Mls(String),
}

impl fmt::Display for DaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownMember(id) => write!(f, "user {id} is not in the call"),
            Self::CallFull => f.write_str("the call is full"),
            Self::Backlogged => f.write_str("too many messages waiting to be sent"),
            Self::NotDave => f.write_str("DAVE is not in use for this call or member"),
            Self::InvalidKeyPackage(why) => write!(f, "invalid key package: {why}"),
            Self::NotPending(id) => write!(f, "user {id} is already in the group"),
            Self::MalformedCommit(why) => write!(f, "malformed commit: {why}"),
            Self::UnsupportedVersion(v) => write!(f, "DAVE protocol version {v} is not supported"),
            Self::Mls(why) => write!(f, "MLS: {why}"),
        }
    }
}

impl std::error::Error for DaveError {}
