//! Op 28, MLS Commit Welcome, as the gateway reads it: the commit's header,
//! the proposals it references and the committer's new leaf, and the
//! optional Welcome that follows it.
//!
//! Layout (protocol description, "dave_mls_commit_welcome (28)"):
//! `MLSMessage commit_message` then, when the commit adds members, a bare
//! `Welcome`. The commit is a `PublicMessage` (RFC 9420, section 6.2):
//!
//! ```text
//! uint16 version = mls10; uint16 wire_format = public_message(1);
//! opaque group_id<V>; uint64 epoch;
//! uint8 sender_type = member(1); uint32 leaf_index;
//! opaque authenticated_data<V>; uint8 content_type = commit(3);
//! ProposalOrRef proposals<V>; optional<UpdatePath> path; ...
//! ```

use openmls::prelude::tls_codec::{Deserialize as _, DeserializeBytes as _};
use openmls::prelude::{MlsMessageIn, Welcome};

use super::error::DaveError;
use super::guard;
use super::tls::Reader;

const MLS10: u16 = 1;
const PUBLIC_MESSAGE: u16 = 1;
const SENDER_MEMBER: u8 = 1;
const CONTENT_COMMIT: u8 = 3;
const PROPOSAL_BY_REFERENCE: u8 = 2;
const CREDENTIAL_BASIC: u16 = 1;

/// The committer's leaf node from the commit's update path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathLeaf<'a> {
    pub(crate) signature_key: &'a [u8],
    /// The basic credential's identity; `None` for another credential type.
    pub(crate) identity: Option<&'a [u8]>,
}

/// What the gateway needs from an op 28 payload.
#[derive(Debug, Clone)]
pub(crate) struct ParsedCommit<'a> {
    /// The commit `MLSMessage`, as received.
    pub(crate) commit: &'a [u8],
    /// The `Welcome` after it, if any.
    pub(crate) welcome: Option<&'a [u8]>,
    pub(crate) group_id: &'a [u8],
    pub(crate) epoch: u64,
    pub(crate) committer_leaf: u32,
    /// The referenced proposals' `ProposalRef` values, in commit order.
    pub(crate) references: Vec<&'a [u8]>,
    pub(crate) path_leaf: Option<PathLeaf<'a>>,
}

/// Splits and reads an op 28 payload (the bytes after the opcode).
pub(crate) fn parse(payload: &[u8]) -> Result<ParsedCommit<'_>, DaveError> {
    // OpenMLS checks the whole syntax and tells where the commit ends.
    let (_, rest) = guard::decode(|| MlsMessageIn::tls_deserialize_bytes(payload))
        .ok_or(DaveError::MalformedCommit("not an MLSMessage"))?;
    let commit = &payload[..payload.len() - rest.len()];
    let welcome = if rest.is_empty() {
        None
    } else {
        guard::decode(|| Welcome::tls_deserialize_exact(rest)).ok_or(
            DaveError::MalformedCommit("bytes after the commit are not a Welcome"),
        )?;
        Some(rest)
    };
    let header = read_header(commit)?;
    Ok(ParsedCommit {
        commit,
        welcome,
        group_id: header.group_id,
        epoch: header.epoch,
        committer_leaf: header.committer_leaf,
        references: header.references,
        path_leaf: header.path_leaf,
    })
}

struct Header<'a> {
    group_id: &'a [u8],
    epoch: u64,
    committer_leaf: u32,
    references: Vec<&'a [u8]>,
    path_leaf: Option<PathLeaf<'a>>,
}

impl From<super::tls::Truncated> for DaveError {
    fn from(_: super::tls::Truncated) -> Self {
        DaveError::MalformedCommit("truncated")
    }
}

fn read_header(commit: &[u8]) -> Result<Header<'_>, DaveError> {
    let mut r = Reader::new(commit);
    if r.u16()? != MLS10 {
        return Err(DaveError::MalformedCommit("not MLS 1.0"));
    }
    if r.u16()? != PUBLIC_MESSAGE {
        return Err(DaveError::MalformedCommit("not a PublicMessage"));
    }
    let group_id = r.vector()?;
    let epoch = r.u64()?;
    if r.u8()? != SENDER_MEMBER {
        return Err(DaveError::MalformedCommit("sender is not a member"));
    }
    let committer_leaf = r.u32()?;
    r.vector()?; // authenticated_data
    if r.u8()? != CONTENT_COMMIT {
        return Err(DaveError::MalformedCommit("content is not a commit"));
    }
    let mut proposals = Reader::new(r.vector()?);
    let mut references = Vec::new();
    while !proposals.is_empty() {
        if proposals.u8()? != PROPOSAL_BY_REFERENCE {
            return Err(DaveError::MalformedCommit(
                "a proposal is included by value",
            ));
        }
        references.push(proposals.vector()?);
    }
    let path_leaf = match r.u8()? {
        0 => None,
        1 => {
            r.vector()?; // encryption_key
            let signature_key = r.vector()?;
            let identity = match r.u16()? {
                CREDENTIAL_BASIC => Some(r.vector()?),
                _ => None,
            };
            Some(PathLeaf {
                signature_key,
                identity,
            })
        }
        _ => return Err(DaveError::MalformedCommit("bad optional marker")),
    };
    Ok(Header {
        group_id,
        epoch,
        committer_leaf,
        references,
        path_leaf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PublicMessage commit laid out by hand from RFC 9420 (sections 6,
    /// 6.2, 12.4, 7.2), up to the committer's credential.
    #[rustfmt::skip]
    fn commit_prefix(proposal_type: u8) -> Vec<u8> {
        let mut bytes = vec![
            0x00, 0x01,                         // mls10
            0x00, 0x01,                         // public_message
            0x08, 1, 2, 3, 4, 5, 6, 7, 8,       // group_id
            0, 0, 0, 0, 0, 0, 0, 3,             // epoch 3
            0x01, 0, 0, 0, 2,                   // sender: member at leaf 2
            0x00,                               // authenticated_data
            0x03,                               // content type: commit
            0x07,                               // proposals: 7 bytes
            proposal_type, 0x02, 0xa1, 0xa2,    //   a 2-byte reference
            0x02, 0x01, 0xb1,                   //   a 1-byte reference
            0x01,                               // path present
            0x01, 0xee,                         // encryption_key
            0x02, 0x5a, 0x5b,                   // signature_key
            0x00, 0x01,                         // basic credential
            0x08, 0, 0, 0, 0, 0, 0, 0, 42,      // identity: user 42
        ];
        bytes.extend_from_slice(&[0x00; 4]);
        bytes
    }

    #[test]
    fn reads_the_header_refs_and_path_leaf() {
        let bytes = commit_prefix(0x02);
        let header = read_header(&bytes).expect("readable");
        assert_eq!(header.group_id, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((header.epoch, header.committer_leaf), (3, 2));
        assert_eq!(header.references, [&[0xa1, 0xa2][..], &[0xb1][..]]);
        let leaf = header.path_leaf.expect("a path");
        assert_eq!(leaf.signature_key, [0x5a, 0x5b]);
        assert_eq!(leaf.identity, Some(&42u64.to_be_bytes()[..]));
    }

    #[test]
    fn refuses_proposals_by_value_and_truncation() {
        assert_eq!(
            read_header(&commit_prefix(0x01)).err(),
            Some(DaveError::MalformedCommit(
                "a proposal is included by value"
            ))
        );
        let bytes = commit_prefix(0x02);
        for len in [0, 3, 12, 20, 30] {
            assert!(read_header(&bytes[..len]).is_err(), "{len}");
        }
    }
}
