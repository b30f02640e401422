//! The DAVE protocol frame check, on a media payload after transport
//! decryption. The sim is not a member of the call's MLS group, so it cannot
//! (and must not) decrypt the end-to-end layer; it only checks that the
//! frame is shaped like a protocol frame, as Discord's SFU and every
//! receiver do before trying to decrypt it.
//!
//! A protocol frame ends with its supplemental data (DAVE protocol
//! description, "Payload Format" and "Protocol Frame Check"):
//!
//! ```text
//! | interleaved media frame | tag, 8 | ULEB128 nonce | ULEB128 (offset, length) pairs | size, 1 | 0xFA 0xFA |
//!                           |<------------------- supplemental data, `size` bytes ---------------------->|
//! ```

/// Tag (8), the shortest nonce (1), the size byte (1), the marker (2).
const MIN_SUPPLEMENTAL: usize = 8 + 1 + 1 + 2;
const TAG_LEN: usize = 8;
const MAGIC_MARKER: [u8; 2] = [0xFA, 0xFA];
/// The Opus silence frame the SFU may inject; receivers let it through
/// unencrypted even in an E2EE call.
const SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// What a DAVE call's media payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DaveFrame {
    /// Passes the protocol frame check.
    Protocol,
    /// The 3-byte Opus silence frame, allowed through unencrypted.
    Silence,
    /// Neither: a receiver would drop it (or play out plaintext, if it is in
    /// passthrough mode).
    Invalid,
}

/// Checks a media payload of a DAVE call.
pub(crate) fn check(frame: &[u8]) -> DaveFrame {
    if frame == SILENCE {
        DaveFrame::Silence
    } else if is_protocol_frame(frame) {
        DaveFrame::Protocol
    } else {
        DaveFrame::Invalid
    }
}

fn is_protocol_frame(frame: &[u8]) -> bool {
    let Some((rest, marker)) = frame.split_last_chunk::<2>() else {
        return false;
    };
    let Some((_, &[size])) = rest.split_last_chunk::<1>() else {
        return false;
    };
    let size = usize::from(size);
    if *marker != MAGIC_MARKER || size < MIN_SUPPLEMENTAL || size > frame.len() {
        return false;
    }
    let media_len = frame.len() - size;
    // Between the tag and the size byte: the nonce, then the range pairs.
    let mut fields = &frame[media_len + TAG_LEN..frame.len() - 3];
    match uleb128(&mut fields) {
        Some(nonce) if nonce <= u64::from(u32::MAX) => {}
        _ => return false,
    }
    let mut covered = 0u64;
    while !fields.is_empty() {
        let (Some(offset), Some(len)) = (uleb128(&mut fields), uleb128(&mut fields)) else {
            return false;
        };
        // Ascending, not overlapping, inside the media frame.
        let Some(end) = offset.checked_add(len) else {
            return false;
        };
        if offset < covered || end > media_len as u64 {
            return false;
        }
        covered = end;
    }
    true
}

/// Reads one ULEB128 number (at most 64 bits) from the front of `bytes`.
fn uleb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7F);
        let shift = 7 * i as u32;
        if shift == 63 && bits > 1 {
            return None;
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protocol frame by the description's layout: `media`, an 8-byte tag,
    /// the given nonce and range bytes, the size byte and the marker.
    fn frame(media: &[u8], nonce_and_ranges: &[u8]) -> Vec<u8> {
        let mut frame = media.to_vec();
        frame.extend([0x77; 8]);
        frame.extend(nonce_and_ranges);
        let size = 8 + nonce_and_ranges.len() + 1 + 2;
        frame.push(size as u8);
        frame.extend([0xFA, 0xFA]);
        frame
    }

    #[test]
    fn opus_frame_with_nonce_and_no_ranges() {
        assert_eq!(check(&frame(&[1, 2, 3], &[0x05])), DaveFrame::Protocol);
        // Nonce 300 = ULEB128 0xAC 0x02.
        assert_eq!(
            check(&frame(&[1, 2, 3], &[0xAC, 0x02])),
            DaveFrame::Protocol
        );
        // The largest 32-bit nonce: 0xFF 0xFF 0xFF 0xFF 0x0F.
        let max = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
        assert_eq!(check(&frame(&[1], &max)), DaveFrame::Protocol);
    }

    #[test]
    fn ranges_must_ascend_and_fit() {
        // Nonce 1; range (0, 2) in a 4-byte media frame, then (2, 2).
        assert_eq!(
            check(&frame(&[0; 4], &[1, 0, 2, 2, 2])),
            DaveFrame::Protocol
        );
        // Overlapping, out of order, past the end, half a pair.
        assert_eq!(check(&frame(&[0; 4], &[1, 0, 3, 2, 2])), DaveFrame::Invalid);
        assert_eq!(check(&frame(&[0; 4], &[1, 2, 1, 0, 1])), DaveFrame::Invalid);
        assert_eq!(check(&frame(&[0; 4], &[1, 3, 2])), DaveFrame::Invalid);
        assert_eq!(check(&frame(&[0; 4], &[1, 0])), DaveFrame::Invalid);
    }

    #[test]
    fn not_protocol_frames() {
        // Plain Opus, no marker.
        assert_eq!(check(&[0xFC, 0x01, 0x02, 0x03]), DaveFrame::Invalid);
        assert_eq!(check(&[]), DaveFrame::Invalid);
        // Marker but a size below the minimum, or above the frame's length.
        let mut small = frame(&[1, 2, 3], &[0x05]);
        let at = small.len() - 3;
        small[at] = 11;
        assert_eq!(check(&small), DaveFrame::Invalid);
        small[at] = 200;
        assert_eq!(check(&small), DaveFrame::Invalid);
        // A nonce above 32 bits, a nonce that never ends.
        let big = [0xFF, 0xFF, 0xFF, 0xFF, 0x1F];
        assert_eq!(check(&frame(&[1], &big)), DaveFrame::Invalid);
        assert_eq!(check(&frame(&[1], &[0x80, 0x80])), DaveFrame::Invalid);
    }

    #[test]
    fn silence_passes_through() {
        assert_eq!(check(&[0xF8, 0xFF, 0xFE]), DaveFrame::Silence);
        assert_eq!(check(&[0xF8, 0xFF, 0xFE, 0x00]), DaveFrame::Invalid);
    }
}
