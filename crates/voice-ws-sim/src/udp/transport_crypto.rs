//! Transport decryption for the two modes the sim offers in Ready:
//! `aead_aes256_gcm_rtpsize` and `aead_xchacha20_poly1305_rtpsize`, with the
//! session's 32-byte secret key. Both take the packet's 4 nonce bytes as the
//! start of the cipher's nonce and pad the rest (to 12 or 24 bytes) with zeros.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;

use super::rtp::Sealed;

/// The encryption modes the media sink decrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Aes256GcmRtpSize,
    XChaCha20Poly1305RtpSize,
}

impl Mode {
    /// The mode with this Select Protocol name, if the sink decrypts it.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "aead_aes256_gcm_rtpsize" => Some(Self::Aes256GcmRtpSize),
            "aead_xchacha20_poly1305_rtpsize" => Some(Self::XChaCha20Poly1305RtpSize),
            _ => None,
        }
    }
}

/// A session's transport cipher.
pub(crate) enum Cipher {
    // Boxed: the expanded AES key schedule is large next to the other variant.
    Aes(Box<Aes256Gcm>),
    XChaCha(Box<XChaCha20Poly1305>),
}

impl Cipher {
    pub(crate) fn new(mode: Mode, key: &[u8; 32]) -> Self {
        match mode {
            Mode::Aes256GcmRtpSize => Self::Aes(Box::new(Aes256Gcm::new(key.into()))),
            Mode::XChaCha20Poly1305RtpSize => {
                Self::XChaCha(Box::new(XChaCha20Poly1305::new(key.into())))
            }
        }
    }

    /// The plaintext (extension body and media payload), or `None` when the
    /// tag does not authenticate the packet under this key.
    pub(crate) fn open(&self, sealed: &Sealed<'_>) -> Option<Vec<u8>> {
        let mut buffer = sealed.ciphertext.to_vec();
        let ok = match self {
            Self::Aes(cipher) => {
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(&sealed.nonce);
                cipher.decrypt_inout_detached(
                    &nonce.into(),
                    sealed.additional_data,
                    buffer.as_mut_slice().into(),
                    sealed.tag.into(),
                )
            }
            Self::XChaCha(cipher) => {
                let mut nonce = [0u8; 24];
                nonce[..4].copy_from_slice(&sealed.nonce);
                cipher.decrypt_inout_detached(
                    &nonce.into(),
                    sealed.additional_data,
                    buffer.as_mut_slice().into(),
                    sealed.tag.into(),
                )
            }
        };
        ok.ok().map(|()| buffer)
    }
}
