//! Discord's IP discovery packet, as the voice server sees it: a 74-byte
//! request (type 0x1), answered with the client's address and port as seen
//! from here (type 0x2). All numbers are big-endian.
//!
//! ```text
//! offset  size  field
//!      0     2  type     0x0001 request, 0x0002 response
//!      2     2  length   70: everything after type and length
//!      4     4  ssrc
//!      8    64  address  null-terminated string (empty in requests)
//!     72     2  port
//! ```

use std::net::SocketAddr;

/// Size of a request and of a response.
pub(crate) const PACKET_LEN: usize = 74;
/// The `type` of a request.
pub(crate) const REQUEST: u16 = 0x1;
/// The `type` of a response.
pub(crate) const RESPONSE: u16 = 0x2;
/// The `length` field: the bytes after `type` and `length`.
pub(crate) const LENGTH: u16 = 70;
const ADDRESS_LEN: usize = 64;

/// Whether a datagram claims to be a discovery request (type 0x1), whatever
/// its size: such a datagram is never RTP (version 2 sets the first bit).
pub(crate) fn is_request(packet: &[u8]) -> bool {
    packet.get(..2) == Some(&REQUEST.to_be_bytes()[..])
}

/// The SSRC of a well-formed request: exactly 74 bytes, type 0x1, length 70.
/// (Discord stopped answering the older 70-byte request in 2023.)
pub(crate) fn parse_request(packet: &[u8]) -> Option<u32> {
    let packet: &[u8; PACKET_LEN] = packet.try_into().ok()?;
    let [t0, t1, l0, l1, s0, s1, s2, s3, ..] = *packet;
    if u16::from_be_bytes([t0, t1]) != REQUEST || u16::from_be_bytes([l0, l1]) != LENGTH {
        return None;
    }
    Some(u32::from_be_bytes([s0, s1, s2, s3]))
}

/// The response telling the client at `seen` its address and port.
pub(crate) fn response(ssrc: u32, seen: SocketAddr) -> [u8; PACKET_LEN] {
    let mut packet = [0u8; PACKET_LEN];
    packet[0..2].copy_from_slice(&RESPONSE.to_be_bytes());
    packet[2..4].copy_from_slice(&LENGTH.to_be_bytes());
    packet[4..8].copy_from_slice(&ssrc.to_be_bytes());
    let ip = seen.ip().to_string();
    // An IPv6 text address is at most 45 bytes: it always fits with its null.
    let len = ip.len().min(ADDRESS_LEN - 1);
    packet[8..8 + len].copy_from_slice(&ip.as_bytes()[..len]);
    packet[72..74].copy_from_slice(&seen.port().to_be_bytes());
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_needs_exact_size_type_and_length() {
        let mut request = [0u8; 74];
        request[..8].copy_from_slice(&[0x00, 0x01, 0x00, 0x46, 0x00, 0x00, 0x30, 0x39]);
        assert_eq!(parse_request(&request), Some(12345));
        assert!(is_request(&request));
        // The deprecated 70-byte form, a response, a wrong length field.
        assert_eq!(parse_request(&request[..70]), None);
        assert!(is_request(&request[..70]));
        let mut response_type = request;
        response_type[1] = 0x02;
        assert_eq!(parse_request(&response_type), None);
        let mut length = request;
        length[3] = 0x48;
        assert_eq!(parse_request(&length), None);
        assert!(!is_request(&[0x80, 0x78]));
        assert!(!is_request(&[0x00]));
    }

    #[test]
    fn response_layout() {
        let seen: SocketAddr = "127.0.0.1:50004".parse().expect("address");
        let packet = response(0x0102_0304, seen);
        let mut expected = [0u8; 74];
        expected[..8].copy_from_slice(&[0x00, 0x02, 0x00, 0x46, 0x01, 0x02, 0x03, 0x04]);
        expected[8..17].copy_from_slice(b"127.0.0.1");
        // 50004 = 0xC354
        expected[72..].copy_from_slice(&[0xC3, 0x54]);
        assert_eq!(packet, expected);
    }
}
