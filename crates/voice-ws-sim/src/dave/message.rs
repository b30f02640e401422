//! What the delivery service sends: one message for one member, before the
//! member's session gives it a sequence number.
//!
//! Layouts follow Discord's DAVE protocol description ("Voice Gateway
//! Opcodes", <https://github.com/discord/dave-protocol>, `protocol.md`).

use crate::push::ServerPush;

use super::tls::write_vector;

/// Operation type of an MLS Proposals message (op 27).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalsOperation {
    /// `append(0)`: MLS messages carrying proposals to cache.
    Append,
    /// `revoke(1)`: references of cached proposals to drop.
    Revoke,
}

impl ProposalsOperation {
    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            Self::Append => 0,
            Self::Revoke => 1,
        }
    }
}

/// A voice gateway message of the DAVE flow, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DaveMessage {
    /// op 11 Clients Connect: users that joined the call.
    ClientsConnect {
        /// Their user ids.
        user_ids: Vec<u64>,
    },
    /// op 13 Client Disconnect: a user that left the call.
    ClientDisconnect {
        /// Its user id.
        user_id: u64,
    },
    /// op 21 DAVE Prepare Transition.
    PrepareTransition {
        /// Transition id; 0 means "execute now" (re-initialisation).
        transition_id: u16,
        /// Protocol version after the transition (0: passthrough).
        protocol_version: u16,
    },
    /// op 22 DAVE Execute Transition.
    ExecuteTransition {
        /// The prepared transition to execute.
        transition_id: u16,
    },
    /// op 24 DAVE Prepare Epoch, as the protocol description shows it:
    /// `{"protocol_version","epoch"}`; epoch 1 announces a new group.
    PrepareEpoch {
        /// The upcoming epoch (1: a new MLS group).
        epoch: u64,
        /// The protocol version of that epoch.
        protocol_version: u16,
    },
    /// op 25 MLS External Sender Package: a TLS-serialised `ExternalSender`.
    ExternalSender {
        /// `ExternalSender` (signature key, then basic credential).
        package: Vec<u8>,
    },
    /// op 27 MLS Proposals.
    Proposals {
        /// Append or revoke.
        operation: ProposalsOperation,
        /// For append, the concatenated `MLSMessage`s; for revoke, the
        /// concatenated `ProposalRef`s (each with its length prefix). The
        /// wire carries them as one variable-length vector.
        body: Vec<u8>,
    },
    /// op 29 MLS Announce Commit Transition.
    AnnounceCommit {
        /// Transition of the epoch change.
        transition_id: u16,
        /// The commit, an `MLSMessage`, as the committer sent it.
        commit: Vec<u8>,
    },
    /// op 30 MLS Welcome.
    Welcome {
        /// Transition of the epoch change.
        transition_id: u16,
        /// An MLS `Welcome` (not wrapped in an `MLSMessage`) holding only
        /// the secrets for this member.
        welcome: Vec<u8>,
    },
}

impl DaveMessage {
    /// The opcode.
    pub fn op(&self) -> u8 {
        match self {
            Self::ClientsConnect { .. } => 11,
            Self::ClientDisconnect { .. } => 13,
            Self::PrepareTransition { .. } => 21,
            Self::ExecuteTransition { .. } => 22,
            Self::PrepareEpoch { .. } => 24,
            Self::ExternalSender { .. } => 25,
            Self::Proposals { .. } => 27,
            Self::AnnounceCommit { .. } => 29,
            Self::Welcome { .. } => 30,
        }
    }

    /// For binary messages (25, 27, 29, 30), the bytes after the opcode on the
    /// wire (`[seq u16][op u8]` come first); `None` for JSON messages.
    pub fn binary_payload(&self) -> Option<Vec<u8>> {
        match self {
            Self::ExternalSender { package } => Some(package.clone()),
            Self::Proposals { operation, body } => {
                let mut out = Vec::with_capacity(body.len() + 5);
                out.push(operation.byte());
                write_vector(&mut out, body);
                Some(out)
            }
            Self::AnnounceCommit {
                transition_id,
                commit: bytes,
            }
            | Self::Welcome {
                transition_id,
                welcome: bytes,
            } => {
                let mut out = Vec::with_capacity(bytes.len() + 2);
                out.extend_from_slice(&transition_id.to_be_bytes());
                out.extend_from_slice(bytes);
                Some(out)
            }
            _ => None,
        }
    }

    /// The message as the gateway pushes it (numbered, kept for replay).
    pub fn to_push(&self) -> ServerPush {
        match self {
            Self::ClientsConnect { user_ids } => {
                ServerPush::ClientsConnect(user_ids.iter().map(u64::to_string).collect())
            }
            Self::ClientDisconnect { user_id } => ServerPush::ClientDisconnect(user_id.to_string()),
            Self::PrepareTransition {
                transition_id,
                protocol_version,
            } => ServerPush::DavePrepareTransition {
                transition_id: *transition_id,
                protocol_version: *protocol_version,
            },
            Self::ExecuteTransition { transition_id } => ServerPush::DaveExecuteTransition {
                transition_id: *transition_id,
            },
            Self::PrepareEpoch {
                epoch,
                protocol_version,
            } => ServerPush::Json {
                op: 24,
                d: format!(r#"{{"protocol_version":{protocol_version},"epoch":{epoch}}}"#),
            },
            Self::ExternalSender { .. }
            | Self::Proposals { .. }
            | Self::AnnounceCommit { .. }
            | Self::Welcome { .. } => ServerPush::DaveBinary {
                op: self.op(),
                payload: self.binary_payload().unwrap_or_default(),
            },
        }
    }
}

/// A message and the member it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The member's user id.
    pub to: u64,
    /// The message.
    pub message: DaveMessage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_layouts() {
        let proposals = DaveMessage::Proposals {
            operation: ProposalsOperation::Revoke,
            body: vec![0x02, 0xaa, 0xbb],
        };
        assert_eq!(
            proposals.binary_payload(),
            Some(vec![0x01, 0x03, 0x02, 0xaa, 0xbb])
        );
        let commit = DaveMessage::AnnounceCommit {
            transition_id: 0x0102,
            commit: vec![9, 9],
        };
        assert_eq!(commit.binary_payload(), Some(vec![0x01, 0x02, 9, 9]));
        assert_eq!(
            DaveMessage::ExecuteTransition { transition_id: 3 }.binary_payload(),
            None
        );
    }

    #[test]
    fn prepare_epoch_is_the_documented_json() {
        let push = DaveMessage::PrepareEpoch {
            epoch: 1,
            protocol_version: 1,
        }
        .to_push();
        assert_eq!(
            push,
            ServerPush::Json {
                op: 24,
                d: r#"{"protocol_version":1,"epoch":1}"#.into()
            }
        );
    }
}
