//! UDP IP discovery, the client's side: the step between Ready and Select
//! Protocol. It lives in the CLI, not in the libraries, because UDP belongs
//! to the application: the gateway crates stay WebSocket-only, and a bot
//! brings its own UDP stack (songbird, discortp, ...). This is the small
//! helper `demo` and `connect --ip-discovery` use.
//!
//! Discord's packet (all numbers big-endian), 74 bytes both ways:
//! type (2: 0x1 request, 0x2 response), length (2: 70), SSRC (4),
//! address (64: null-terminated string, empty in the request), port (2).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

const PACKET_LEN: usize = 74;
const REQUEST: [u8; 2] = [0x00, 0x01];
const RESPONSE: [u8; 2] = [0x00, 0x02];
const LENGTH: [u8; 2] = [0x00, 0x46];
/// One request, one answer: a voice server that stays silent this long is
/// not going to answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Our address and port as the voice server sees them, and the socket the
/// media must leave from (the port is that socket's).
#[derive(Debug)]
pub(crate) struct Discovered {
    pub(crate) socket: UdpSocket,
    pub(crate) address: String,
    pub(crate) port: u16,
}

/// Why discovery failed.
#[derive(Debug)]
pub(crate) enum DiscoveryError {
    /// Binding, connecting or sending failed.
    Io(std::io::Error),
    /// No answer within the timeout.
    TimedOut,
    /// An answer that is not a discovery response for our SSRC.
    BadResponse(&'static str),
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "udp: {e}"),
            Self::TimedOut => write!(f, "no answer within {} s", TIMEOUT.as_secs()),
            Self::BadResponse(why) => write!(f, "bad response: {why}"),
        }
    }
}

/// Sends one request for `ssrc` to the voice server's UDP address (Ready's
/// `ip` and `port`) from a new socket, and reads the answer.
pub(crate) async fn discover(server: SocketAddr, ssrc: u32) -> Result<Discovered, DiscoveryError> {
    let bind: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(bind).await.map_err(DiscoveryError::Io)?;
    socket.connect(server).await.map_err(DiscoveryError::Io)?;
    socket
        .send(&request(ssrc))
        .await
        .map_err(DiscoveryError::Io)?;
    // One byte more than a response, to notice a longer datagram.
    let mut buffer = [0u8; PACKET_LEN + 1];
    let len = tokio::time::timeout(TIMEOUT, socket.recv(&mut buffer))
        .await
        .map_err(|_| DiscoveryError::TimedOut)?
        .map_err(DiscoveryError::Io)?;
    let (address, port) = parse_response(&buffer[..len], ssrc)?;
    Ok(Discovered {
        socket,
        address,
        port,
    })
}

fn request(ssrc: u32) -> [u8; PACKET_LEN] {
    let mut packet = [0u8; PACKET_LEN];
    packet[0..2].copy_from_slice(&REQUEST);
    packet[2..4].copy_from_slice(&LENGTH);
    packet[4..8].copy_from_slice(&ssrc.to_be_bytes());
    packet
}

fn parse_response(packet: &[u8], ssrc: u32) -> Result<(String, u16), DiscoveryError> {
    let packet: &[u8; PACKET_LEN] = packet
        .try_into()
        .map_err(|_| DiscoveryError::BadResponse("not 74 bytes"))?;
    if packet[0..2] != RESPONSE || packet[2..4] != LENGTH {
        return Err(DiscoveryError::BadResponse("not type 0x2, length 70"));
    }
    if packet[4..8] != ssrc.to_be_bytes() {
        return Err(DiscoveryError::BadResponse("another SSRC"));
    }
    let field = &packet[8..72];
    let end = field
        .iter()
        .position(|b| *b == 0)
        .ok_or(DiscoveryError::BadResponse("address not null-terminated"))?;
    let address = std::str::from_utf8(&field[..end])
        .map_err(|_| DiscoveryError::BadResponse("address not text"))?;
    Ok((
        address.to_owned(),
        u16::from_be_bytes([packet[72], packet[73]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_the_docs_layout() {
        let mut expected = [0u8; 74];
        expected[..8].copy_from_slice(&[0x00, 0x01, 0x00, 0x46, 0x00, 0x00, 0x10, 0x92]);
        assert_eq!(request(4242), expected);
    }

    #[test]
    fn response_fields() {
        let mut response = [0u8; 74];
        response[..8].copy_from_slice(&[0x00, 0x02, 0x00, 0x46, 0x00, 0x00, 0x10, 0x92]);
        response[8..19].copy_from_slice(b"203.0.113.9");
        response[72..].copy_from_slice(&[0xC3, 0x50]);
        let parsed = parse_response(&response, 4242).expect("valid");
        assert_eq!(parsed, ("203.0.113.9".to_owned(), 50000));
        assert!(parse_response(&response, 1).is_err());
        assert!(parse_response(&response[..70], 4242).is_err());
        response[1] = 0x01;
        assert!(parse_response(&response, 4242).is_err());
        response[1] = 0x02;
        response[8..72].fill(b'1');
        assert!(parse_response(&response, 4242).is_err());
    }
}
