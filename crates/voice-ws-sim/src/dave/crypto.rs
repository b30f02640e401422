//! The little cryptography the gateway does, as an OpenMLS provider:
//! SHA-2 hashes (proposal and key package references) and P-256 ECDSA
//! signature checks (key packages). The gateway is no group member, so it
//! never encrypts, derives keys or uses HPKE; those calls are refused.
//!
//! OpenMLS's own provider (`openmls_rust_crypto`) would do all that too, but
//! brings `hpke-rs`, which is MPL-2.0, into the gateway's dependencies for
//! nothing. Signing stays with `openmls_basic_credential`'s key pair.

use openmls::prelude::tls_codec::SecretVLBytes;
use openmls::prelude::{
    AeadType, Ciphersuite, CryptoError, ExporterSecret, HashType, HpkeCiphertext, HpkeConfig,
    HpkeKeyPair, KemOutput, OpenMlsCrypto, OpenMlsProvider, OpenMlsRand, SignatureScheme,
};
use openmls_memory_storage::MemoryStorage;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use rand::RngCore as _;
use sha2::Digest as _;

/// DAVE protocol version 1's ciphersuite, the only one supported.
const SUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;

/// Hashes and signature checks; everything else is refused.
#[derive(Debug, Default)]
pub(crate) struct GatewayCrypto;

/// Randomness from the operating system (OpenMLS asks for none on the
/// gateway's paths; the provider must have it).
#[derive(Debug, Default)]
pub(crate) struct OsRandom;

/// What OpenMLS calls with the gateway's crypto.
#[derive(Debug, Default)]
pub(crate) struct GatewayProvider {
    crypto: GatewayCrypto,
    rand: OsRandom,
    // The gateway keeps no group state; OpenMLS's API wants a store anyway.
    storage: MemoryStorage,
}

impl OpenMlsProvider for GatewayProvider {
    type CryptoProvider = GatewayCrypto;
    type RandProvider = OsRandom;
    type StorageProvider = MemoryStorage;

    fn storage(&self) -> &Self::StorageProvider {
        &self.storage
    }

    fn crypto(&self) -> &Self::CryptoProvider {
        &self.crypto
    }

    fn rand(&self) -> &Self::RandProvider {
        &self.rand
    }
}

impl OpenMlsRand for OsRandom {
    type Error = CryptoError;

    fn random_array<const N: usize>(&self) -> Result<[u8; N], Self::Error> {
        let mut out = [0u8; N];
        rand::rngs::OsRng
            .try_fill_bytes(&mut out)
            .map_err(|_| CryptoError::InsufficientRandomness)?;
        Ok(out)
    }

    fn random_vec(&self, len: usize) -> Result<Vec<u8>, Self::Error> {
        let mut out = vec![0u8; len];
        rand::rngs::OsRng
            .try_fill_bytes(&mut out)
            .map_err(|_| CryptoError::InsufficientRandomness)?;
        Ok(out)
    }
}

impl OpenMlsCrypto for GatewayCrypto {
    fn supports(&self, ciphersuite: Ciphersuite) -> Result<(), CryptoError> {
        if ciphersuite == SUITE {
            Ok(())
        } else {
            Err(CryptoError::UnsupportedCiphersuite)
        }
    }

    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        vec![SUITE]
    }

    fn hash(&self, hash_type: HashType, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(match hash_type {
            HashType::Sha2_256 => sha2::Sha256::digest(data).to_vec(),
            HashType::Sha2_384 => sha2::Sha384::digest(data).to_vec(),
            HashType::Sha2_512 => sha2::Sha512::digest(data).to_vec(),
        })
    }

    fn verify_signature(
        &self,
        alg: SignatureScheme,
        data: &[u8],
        pk: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if alg != SignatureScheme::ECDSA_SECP256R1_SHA256 {
            return Err(CryptoError::UnsupportedSignatureScheme);
        }
        // MLS carries P-256 keys as uncompressed points and signatures in DER.
        let key = VerifyingKey::from_sec1_bytes(pk).map_err(|_| CryptoError::InvalidPublicKey)?;
        let signature =
            Signature::from_der(signature).map_err(|_| CryptoError::InvalidSignature)?;
        key.verify(data, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    fn hkdf_extract(&self, _: HashType, _: &[u8], _: &[u8]) -> Result<SecretVLBytes, CryptoError> {
        Err(CryptoError::UnsupportedKdf)
    }

    fn hmac(&self, _: HashType, _: &[u8], _: &[u8]) -> Result<SecretVLBytes, CryptoError> {
        Err(CryptoError::UnsupportedKdf)
    }

    fn hkdf_expand(
        &self,
        _: HashType,
        _: &[u8],
        _: &[u8],
        _: usize,
    ) -> Result<SecretVLBytes, CryptoError> {
        Err(CryptoError::UnsupportedKdf)
    }

    fn aead_encrypt(
        &self,
        _: AeadType,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAeadAlgorithm)
    }

    fn aead_decrypt(
        &self,
        _: AeadType,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedAeadAlgorithm)
    }

    fn signature_key_gen(&self, _: SignatureScheme) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        Err(CryptoError::UnsupportedSignatureScheme)
    }

    fn sign(&self, _: SignatureScheme, _: &[u8], _: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::UnsupportedSignatureScheme)
    }

    fn hpke_seal(
        &self,
        _: HpkeConfig,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        Err(CryptoError::HpkeEncryptionError)
    }

    fn hpke_open(
        &self,
        _: HpkeConfig,
        _: &HpkeCiphertext,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::HpkeDecryptionError)
    }

    fn hpke_setup_sender_and_export(
        &self,
        _: HpkeConfig,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: usize,
    ) -> Result<(KemOutput, ExporterSecret), CryptoError> {
        Err(CryptoError::SenderSetupError)
    }

    fn hpke_setup_receiver_and_export(
        &self,
        _: HpkeConfig,
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: &[u8],
        _: usize,
    ) -> Result<ExporterSecret, CryptoError> {
        Err(CryptoError::ReceiverSetupError)
    }

    fn derive_hpke_keypair(&self, _: HpkeConfig, _: &[u8]) -> Result<HpkeKeyPair, CryptoError> {
        Err(CryptoError::UnsupportedKdf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        // FIPS 180-2, appendix B.1.
        let digest = GatewayCrypto
            .hash(HashType::Sha2_256, b"abc")
            .expect("sha256");
        assert_eq!(
            digest[..8],
            [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea]
        );
    }

    #[test]
    fn refuses_what_a_gateway_never_does() {
        assert!(GatewayCrypto.supports(SUITE).is_ok());
        assert_eq!(
            GatewayCrypto.supports(Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519),
            Err(CryptoError::UnsupportedCiphersuite)
        );
        assert_eq!(
            GatewayCrypto.verify_signature(SignatureScheme::ED25519, b"", b"", b""),
            Err(CryptoError::UnsupportedSignatureScheme)
        );
        assert_eq!(
            GatewayCrypto.verify_signature(SignatureScheme::ECDSA_SECP256R1_SHA256, b"", b"", b""),
            Err(CryptoError::InvalidPublicKey)
        );
    }
}
