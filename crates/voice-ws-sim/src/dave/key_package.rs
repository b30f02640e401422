//! Key packages (op 26) as the gateway validates them before proposing
//! their owner (protocol description, "Key Packages", "Validation").

use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::{
    CredentialType, KeyPackage, KeyPackageIn, MlsMessageBodyIn, MlsMessageIn, OpenMlsProvider,
    ProtocolVersion,
};

use super::crypto::GatewayProvider;
use super::error::DaveError;
use super::external_sender::CIPHERSUITE;
use super::guard;

/// RFC 9420's `WireFormat` of an `MLSMessage` carrying a KeyPackage.
const WIRE_FORMAT_KEY_PACKAGE: u8 = 5;

/// A key package that passed validation, with what the gateway keeps of it.
#[derive(Debug, Clone)]
pub(crate) struct ValidKeyPackage {
    pub(crate) key_package: KeyPackage,
    /// Its `KeyPackageRef`, which names it in a Welcome's secrets.
    pub(crate) reference: Vec<u8>,
    /// The leaf's signature key, which the member's later leaf nodes keep.
    pub(crate) signature_key: Vec<u8>,
}

/// Validates op 26's payload for `user_id`.
///
/// The protocol description lays op 26 out as an `MLSMessage` carrying the
/// KeyPackage; libdave and davey send the bare `KeyPackage` instead. Both are
/// accepted (an `MLSMessage` starts with the version and then wire format 5,
/// a bare KeyPackage with the version and then its ciphersuite, 2).
pub(crate) fn validate(
    provider: &GatewayProvider,
    bytes: &[u8],
    user_id: u64,
) -> Result<ValidKeyPackage, DaveError> {
    // Bytes 2..4: an MLSMessage's wire format, or a KeyPackage's ciphersuite.
    let key_package_in = if bytes.get(2..4) == Some(&[0, WIRE_FORMAT_KEY_PACKAGE][..]) {
        let message = guard::decode(|| MlsMessageIn::tls_deserialize_exact(bytes))
            .ok_or(DaveError::InvalidKeyPackage("not an MLSMessage"))?;
        match message.extract() {
            MlsMessageBodyIn::KeyPackage(key_package) => key_package,
            _ => {
                return Err(DaveError::InvalidKeyPackage(
                    "MLSMessage is not a KeyPackage",
                ));
            }
        }
    } else {
        guard::decode(|| KeyPackageIn::tls_deserialize_exact(bytes))
            .ok_or(DaveError::InvalidKeyPackage("not a KeyPackage"))?
    };
    let key_package = key_package_in
        .validate(provider.crypto(), ProtocolVersion::Mls10)
        .map_err(|_| DaveError::InvalidKeyPackage("signature or contents invalid"))?;
    if key_package.ciphersuite() != CIPHERSUITE {
        return Err(DaveError::InvalidKeyPackage(
            "ciphersuite is not DHKEMP256_AES128GCM_SHA256_P256",
        ));
    }
    let leaf = key_package.leaf_node();
    let credential = leaf.credential();
    if credential.credential_type() != CredentialType::Basic {
        return Err(DaveError::InvalidKeyPackage("credential is not basic"));
    }
    if credential.serialized_content() != user_id.to_be_bytes() {
        return Err(DaveError::InvalidKeyPackage(
            "credential is not the member's user id",
        ));
    }
    let lifetime = key_package.life_time();
    if lifetime.not_before() != 0 || lifetime.not_after() != u64::MAX {
        return Err(DaveError::InvalidKeyPackage(
            "lifetime is not the maximum time span",
        ));
    }
    let reference = key_package
        .hash_ref(provider.crypto())
        .map_err(|e| DaveError::Mls(format!("{e:?}")))?
        .as_slice()
        .to_vec();
    let signature_key = leaf.signature_key().as_slice().to_vec();
    Ok(ValidKeyPackage {
        key_package,
        reference,
        signature_key,
    })
}
