//! The gateway's MLS identity: the one external sender of every call group,
//! which signs the Add and Remove proposals (protocol description,
//! "External Sender").

use openmls::ciphersuite::hash_ref::make_proposal_ref;
use openmls::prelude::tls_codec::Serialize as _;
use openmls::prelude::{
    BasicCredential, Ciphersuite, ExternalProposal, ExternalSender, GroupEpoch, GroupId,
    KeyPackage, LeafNodeIndex, OpenMlsProvider, SenderExtensionIndex,
};
use openmls_basic_credential::SignatureKeyPair;

use super::crypto::GatewayProvider;

use super::error::DaveError;

/// DAVE protocol version 1's MLS ciphersuite (protocol description, "MLS Parameters").
pub(crate) const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;

/// The basic credential identity the gateway signs with. Clients compare the
/// whole external sender with the one from op 25, not this value.
const IDENTITY: &[u8] = b"voice-ws-sim";

/// A proposal signed by the external sender, as it goes on the wire.
#[derive(Debug, Clone)]
pub(crate) struct SignedProposal {
    /// The `MLSMessage` (a `PublicMessage` from sender `external(0)`).
    pub(crate) message: Vec<u8>,
    /// Its `ProposalRef`, the hash value without length prefix.
    pub(crate) reference: Vec<u8>,
}

/// The external sender key pair and credential.
pub(crate) struct ExternalSenderKey {
    provider: GatewayProvider,
    signer: SignatureKeyPair,
    package: Vec<u8>,
}

impl std::fmt::Debug for ExternalSenderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of logs.
        f.debug_struct("ExternalSenderKey").finish_non_exhaustive()
    }
}

impl ExternalSenderKey {
    /// A fresh P-256 key pair.
    pub(crate) fn generate() -> Result<Self, DaveError> {
        let signer = SignatureKeyPair::new(CIPHERSUITE.signature_algorithm()).map_err(mls)?;
        let sender = ExternalSender::new(
            signer.public().into(),
            BasicCredential::new(IDENTITY.to_vec()).into(),
        );
        let package = sender.tls_serialize_detached().map_err(mls)?;
        Ok(Self {
            provider: GatewayProvider::default(),
            signer,
            package,
        })
    }

    /// Op 25's payload: the TLS-serialised `ExternalSender`.
    pub(crate) fn package(&self) -> &[u8] {
        &self.package
    }

    pub(crate) fn provider(&self) -> &GatewayProvider {
        &self.provider
    }

    pub(crate) fn propose_add(
        &self,
        key_package: KeyPackage,
        group_id: u64,
        epoch: u64,
    ) -> Result<SignedProposal, DaveError> {
        let message = ExternalProposal::new_add::<GatewayProvider>(
            key_package,
            group(group_id),
            GroupEpoch::from(epoch),
            &self.signer,
            SenderExtensionIndex::new(0),
        )
        .map_err(mls)?;
        self.signed(message.tls_serialize_detached().map_err(mls)?)
    }

    pub(crate) fn propose_remove(
        &self,
        leaf: u32,
        group_id: u64,
        epoch: u64,
    ) -> Result<SignedProposal, DaveError> {
        let message = ExternalProposal::new_remove::<GatewayProvider>(
            LeafNodeIndex::new(leaf),
            group(group_id),
            GroupEpoch::from(epoch),
            &self.signer,
            SenderExtensionIndex::new(0),
        )
        .map_err(mls)?;
        self.signed(message.tls_serialize_detached().map_err(mls)?)
    }

    /// A ProposalRef is the RefHash of the `AuthenticatedContent` (RFC 9420,
    /// section 5.2): for a `PublicMessage` from an external sender, which
    /// carries no membership tag, that is the `MLSMessage` without its
    /// leading 2-byte protocol version.
    fn signed(&self, message: Vec<u8>) -> Result<SignedProposal, DaveError> {
        let content = message
            .get(2..)
            .ok_or_else(|| DaveError::Mls("proposal shorter than its header".into()))?;
        let reference = make_proposal_ref(content, CIPHERSUITE, self.provider.crypto())
            .map_err(mls)?
            .as_slice()
            .to_vec();
        Ok(SignedProposal { message, reference })
    }
}

fn group(group_id: u64) -> GroupId {
    GroupId::from_slice(&group_id.to_be_bytes())
}

fn mls(error: impl std::fmt::Debug) -> DaveError {
    DaveError::Mls(format!("{error:?}"))
}
