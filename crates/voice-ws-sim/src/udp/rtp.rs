//! The parts of an RTP packet that the `_rtpsize` transport modes split:
//! what is authenticated in the clear, what is encrypted, the tag and the
//! 32-bit nonce.
//!
//! ```text
//! | RTP header, 12 bytes | CSRCs, 4 each | extension preamble, 4 (if X) |  additional data
//! | extension body (if X) | media payload                               |  ciphertext
//! | tag, 16 bytes | nonce, 4 bytes (big-endian counter)                 |
//! ```
//!
//! Discord's docs: the rtpsize modes treat the unencrypted header as SRTP
//! does (CSRCs and the extension preamble are part of it), and append the
//! 32-bit incrementing nonce after the payload.

/// The fixed RTP header.
pub(crate) const HEADER_LEN: usize = 12;
/// The AEAD tag of both rtpsize modes (AES-256-GCM, XChaCha20-Poly1305).
pub(crate) const TAG_LEN: usize = 16;
/// The nonce counter appended after the tag.
pub(crate) const NONCE_LEN: usize = 4;

/// An RTP packet of an rtpsize mode, split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Sealed<'a> {
    pub(crate) ssrc: u32,
    /// Header, CSRCs and extension preamble: authenticated in the clear.
    pub(crate) additional_data: &'a [u8],
    /// Extension body (if any) and media payload, encrypted.
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: &'a [u8; TAG_LEN],
    /// The 4 nonce bytes as sent; the cipher pads them with zeros.
    pub(crate) nonce: [u8; NONCE_LEN],
    /// Bytes of the decrypted plaintext that are the extension body, not media.
    pub(crate) extension_body_len: usize,
    /// The P bit: the media payload ends with RTP padding.
    pub(crate) padded: bool,
}

/// Whether the packet claims RTP version 2 (the first two bits are `10`).
pub(crate) fn is_version_2(packet: &[u8]) -> bool {
    packet.first().is_some_and(|b| b >> 6 == 2)
}

/// Whether a version-2 packet is RTCP rather than RTP: its second byte is an
/// RTCP packet type (192..=223, RFC 5761's demultiplexing rule).
pub(crate) fn is_rtcp(packet: &[u8]) -> bool {
    is_version_2(packet) && packet.get(1).is_some_and(|pt| (192..=223).contains(pt))
}

/// Splits a version-2 RTP packet; `None` when it is too short for its own
/// header, CSRCs, extension, tag and nonce.
pub(crate) fn split(packet: &[u8]) -> Option<Sealed<'_>> {
    let (&[first, _, _, _, _, _, _, _, s0, s1, s2, s3], _) = packet.split_first_chunk()?;
    if first >> 6 != 2 {
        return None;
    }
    let padded = first & 0x20 != 0;
    let extension = first & 0x10 != 0;
    let csrc_count = usize::from(first & 0x0F);
    let mut clear = HEADER_LEN + 4 * csrc_count;
    let mut extension_body_len = 0;
    if extension {
        // Preamble: profile (2 bytes), then the body's length in 32-bit words.
        let words = packet.get(clear + 2..clear + 4)?;
        extension_body_len = 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        clear += 4;
    }
    let sealed_end = packet.len().checked_sub(TAG_LEN + NONCE_LEN)?;
    if sealed_end < clear {
        return None;
    }
    let (additional_data, rest) = packet.split_at(clear);
    let (ciphertext, rest) = rest.split_at(sealed_end - clear);
    let (tag, nonce) = rest.split_first_chunk::<TAG_LEN>()?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    Some(Sealed {
        ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
        additional_data,
        ciphertext,
        tag,
        nonce,
        extension_body_len,
        padded,
    })
}

/// The media payload inside a decrypted plaintext: after the extension body,
/// without RTP padding. `None` when the lengths do not fit.
pub(crate) fn media_payload<'a>(sealed: &Sealed<'_>, plaintext: &'a [u8]) -> Option<&'a [u8]> {
    let payload = plaintext.get(sealed.extension_body_len..)?;
    if !sealed.padded {
        return Some(payload);
    }
    // RFC 3550: the last byte counts the padding bytes, itself included.
    let pad = usize::from(*payload.last()?);
    if pad == 0 {
        return None;
    }
    payload.get(..payload.len().checked_sub(pad)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_plain_header() {
        let mut packet = vec![
            0x80, 0x78, 0x00, 0x01, 0, 0, 0x03, 0xC0, 0x51, 0x51, 0x00, 0x01,
        ];
        packet.extend([0xAA; 5]); // ciphertext
        packet.extend([0xEE; 16]); // tag
        packet.extend([0, 0, 0, 7]); // nonce
        let sealed = split(&packet).expect("long enough");
        assert_eq!(sealed.ssrc, 0x5151_0001);
        assert_eq!(sealed.additional_data.len(), 12);
        assert_eq!(sealed.ciphertext, &[0xAA; 5]);
        assert_eq!(sealed.tag, &[0xEE; 16]);
        assert_eq!(sealed.nonce, [0, 0, 0, 7]);
        assert_eq!(sealed.extension_body_len, 0);
        assert!(!sealed.padded);
    }

    #[test]
    fn extension_preamble_is_clear_and_its_body_sealed() {
        // X bit, one CSRC, an extension of 2 words.
        let mut packet = vec![0x91, 0x78, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        packet.extend([0x00, 0x00, 0x00, 0x02]); // CSRC
        packet.extend([0xBE, 0xDE, 0x00, 0x02]); // preamble
        packet.extend([0xAA; 8 + 3]); // body and payload, sealed
        packet.extend([0xEE; 20]);
        let sealed = split(&packet).expect("long enough");
        assert_eq!(sealed.additional_data.len(), 20);
        assert_eq!(sealed.ciphertext.len(), 11);
        assert_eq!(sealed.extension_body_len, 8);
        let plaintext = [1, 2, 3, 4, 5, 6, 7, 8, 0xF8, 0xFF, 0xFE];
        assert_eq!(
            media_payload(&sealed, &plaintext),
            Some(&[0xF8, 0xFF, 0xFE][..])
        );
    }

    #[test]
    fn too_short_or_not_rtp() {
        assert_eq!(split(&[0x80; 11]), None);
        // Header but no room for tag and nonce.
        assert_eq!(split(&[0x80; 12 + 19]), None);
        assert!(split(&[0x80; 12 + 20]).is_some());
        // Two CSRCs announced, not present.
        assert_eq!(split(&[0x82; 12 + 20 - 1]), None);
        // Version 1.
        assert_eq!(split(&[0x40; 40]), None);
        // X bit with no preamble.
        let mut x = vec![0x90; 12];
        x.extend([0; 3]);
        assert_eq!(split(&x), None);
    }

    #[test]
    fn rtcp_by_payload_type() {
        assert!(is_rtcp(&[0x80, 200]));
        assert!(is_rtcp(&[0x81, 201]));
        assert!(!is_rtcp(&[0x80, 0x78]));
        assert!(!is_rtcp(&[0x80, 0xF8]));
        assert!(!is_rtcp(&[0x00, 200]));
    }

    #[test]
    fn padding_is_removed() {
        let header = [0xA0, 0x78, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        let mut packet = header.to_vec();
        packet.extend([0; 24]);
        let sealed = split(&packet).expect("long enough");
        assert!(sealed.padded);
        assert_eq!(media_payload(&sealed, &[7, 7, 0, 3]), Some(&[7][..]));
        assert_eq!(media_payload(&sealed, &[7, 0]), None);
        assert_eq!(media_payload(&sealed, &[7, 9]), None);
    }
}
