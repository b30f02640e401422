//! Op 30 sends each joiner "a targeted subset of the welcome": the Welcome
//! with only the group secrets encrypted for that joiner's key package
//! (protocol description, "dave_mls_welcome (30)").
//!
//! ```text
//! struct { CipherSuite cipher_suite; EncryptedGroupSecrets secrets<V>;
//!          opaque encrypted_group_info<V>; } Welcome;
//! struct { opaque new_member<V>; HPKECiphertext encrypted_group_secrets; } EncryptedGroupSecrets;
//! struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext;
//! ```

use super::tls::{Reader, Truncated, write_vector};

/// A Welcome split into its parts, borrowing the received bytes.
#[derive(Debug, Clone)]
pub(crate) struct SplitWelcome<'a> {
    cipher_suite: &'a [u8],
    /// Each entry's `new_member` (a KeyPackageRef value) and its encoded bytes.
    secrets: Vec<(&'a [u8], &'a [u8])>,
    /// `encrypted_group_info` with its length prefix.
    group_info: &'a [u8],
}

impl<'a> SplitWelcome<'a> {
    pub(crate) fn parse(welcome: &'a [u8]) -> Result<Self, Truncated> {
        let mut r = Reader::new(welcome);
        let cipher_suite = r.bytes(2)?;
        let mut list = Reader::new(r.vector()?);
        let mut secrets = Vec::new();
        while !list.is_empty() {
            let start = list.rest();
            let new_member = list.vector()?;
            list.vector()?; // kem_output
            list.vector()?; // ciphertext
            let used = start.len() - list.rest().len();
            secrets.push((new_member, &start[..used]));
        }
        let group_info = r.rest();
        Reader::new(group_info).vector()?;
        Ok(Self {
            cipher_suite,
            secrets,
            group_info,
        })
    }

    /// Whether it holds secrets for the key package with this reference.
    pub(crate) fn has(&self, key_package_ref: &[u8]) -> bool {
        self.secrets.iter().any(|(r, _)| *r == key_package_ref)
    }

    /// The Welcome with only the secrets for `key_package_ref`.
    pub(crate) fn for_member(&self, key_package_ref: &[u8]) -> Vec<u8> {
        let mut list = Vec::new();
        for (_, entry) in self.secrets.iter().filter(|(r, _)| *r == key_package_ref) {
            list.extend_from_slice(entry);
        }
        let mut out = Vec::with_capacity(list.len() + self.group_info.len() + 8);
        out.extend_from_slice(self.cipher_suite);
        write_vector(&mut out, &list);
        out.extend_from_slice(self.group_info);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_members_secrets() {
        // cipher_suite 2; secrets<V> of two entries, each
        // new_member<V> kem_output<V> ciphertext<V>; encrypted_group_info<V>.
        let welcome = [
            0x00, 0x02, // cipher suite
            0x0c, // secrets: 12 bytes
            0x02, 0xaa, 0xaa, 0x01, 0x11, 0x02, 0x12, 0x13, // ref aaaa
            0x01, 0xbb, 0x00, 0x00, // ref bb, empty kem output and ciphertext
            0x03, 0x47, 0x49, 0x21, // group info "GI!"
        ];
        let split = SplitWelcome::parse(&welcome).expect("a welcome");
        assert!(split.has(&[0xaa, 0xaa]) && split.has(&[0xbb]) && !split.has(&[0xcc]));
        assert_eq!(
            split.for_member(&[0xaa, 0xaa]),
            [
                0x00, 0x02, 0x08, 0x02, 0xaa, 0xaa, 0x01, 0x11, 0x02, 0x12, 0x13, 0x03, 0x47, 0x49,
                0x21
            ]
        );
        assert_eq!(
            split.for_member(&[0xbb]),
            [
                0x00, 0x02, 0x04, 0x01, 0xbb, 0x00, 0x00, 0x03, 0x47, 0x49, 0x21
            ]
        );
        assert!(SplitWelcome::parse(&welcome[..welcome.len() - 1]).is_err());
    }
}
