//! The client side of the WebSocket upgrade (RFC 6455 §4.1) without I/O:
//! the request's bytes out, the response's head in, checked, and the bytes
//! that came after it.
//!
//! The pump does this itself rather than call tokio-tungstenite's or
//! async-tungstenite's client handshake, for memory: tungstenite reads the
//! response into a 4 KiB buffer and keeps that buffer, for the
//! connection's whole life, as the frame buffer of the open socket. Here
//! the head is read into a buffer that is dropped once it is checked, and
//! the socket starts from the bytes after the head with the read buffer the
//! pump asks for (1 KiB): about 3 KiB less for every connection.
//!
//! The request and the response parser are still tungstenite's; what is
//! written here is the check of the response, with tungstenite's errors,
//! so that a rejected upgrade reads the same to the rest of the pump.

use tungstenite::error::{CapacityError, Error as WsError, ProtocolError, SubProtocolError};
use tungstenite::handshake::client::{Request, Response, generate_request};
use tungstenite::handshake::derive_accept_key;
use tungstenite::handshake::machine::TryParse;
use tungstenite::http::StatusCode;
use tungstenite::http::header::{self, HeaderMap};

/// The most a response head may take before the upgrade is refused: a
/// voice server's is a few hundred bytes; a peer that never ends its head
/// must not grow the buffer without bound.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// An upgrade whose request has been made; it reads the response.
#[derive(Debug)]
pub(crate) struct Upgrade {
    /// The `Sec-WebSocket-Accept` value the server must answer with.
    accept: String,
    /// What has arrived of the response so far.
    head: Vec<u8>,
}

impl Upgrade {
    /// The upgrade for `request` (as `IntoClientRequest` makes it, with its
    /// key), and the bytes to write to the stream.
    pub(crate) fn start(request: Request) -> Result<(Self, Vec<u8>), WsError> {
        let (bytes, key) = generate_request(request)?;
        let upgrade = Self {
            accept: derive_accept_key(key.as_bytes()),
            head: Vec::new(),
        };
        Ok((upgrade, bytes))
    }

    /// Takes the next bytes read from the stream. `Ok(None)`: the head is
    /// not complete yet. `Ok(Some(tail))`: the server accepted, and `tail`
    /// is what came after the head (the start of the first frames).
    ///
    /// # Errors
    /// - `Error::Http` with the response (its body: the bytes after the
    ///   head) when the status is not 101.
    /// - `Error::Protocol` when the head is malformed or a 101 does not
    ///   upgrade to WebSocket with this request's key.
    /// - `Error::Capacity` when the head grows past [`MAX_HEAD`] or has too
    ///   many header lines.
    pub(crate) fn received(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, WsError> {
        self.head.extend_from_slice(bytes);
        let Some((len, mut response)) = Response::try_parse(&self.head)? else {
            if self.head.len() > MAX_HEAD {
                return Err(WsError::Capacity(CapacityError::MessageTooLong {
                    size: self.head.len(),
                    max_size: MAX_HEAD,
                }));
            }
            return Ok(None);
        };
        // Exactly the bytes after the head: the socket's read buffer starts
        // from this allocation, so it must not keep the head's.
        let tail = self.head[len..].to_vec();
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            *response.body_mut() = Some(tail);
            return Err(WsError::Http(Box::new(response)));
        }
        check_upgraded(response.headers(), &self.accept)?;
        Ok(Some(tail))
    }

    /// The error for a stream that ended before the head did.
    pub(crate) fn ended_early() -> WsError {
        WsError::Protocol(ProtocolError::HandshakeIncomplete)
    }
}

/// What a 101 must say (RFC 6455 §4.1, the client's checks 2 to 6): it
/// upgrades to WebSocket, answers this request's key, and picks no
/// extension or subprotocol, since the request offered none.
fn check_upgraded(headers: &HeaderMap, accept: &str) -> Result<(), WsError> {
    let says = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(token))
    };
    if !says(header::UPGRADE, "websocket") {
        return Err(WsError::Protocol(
            ProtocolError::MissingUpgradeWebSocketHeader,
        ));
    }
    if !says(header::CONNECTION, "upgrade") {
        return Err(WsError::Protocol(
            ProtocolError::MissingConnectionUpgradeHeader,
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_ACCEPT)
        .is_none_or(|value| value.as_bytes() != accept.as_bytes())
    {
        return Err(WsError::Protocol(
            ProtocolError::SecWebSocketAcceptKeyMismatch,
        ));
    }
    if headers.contains_key(header::SEC_WEBSOCKET_EXTENSIONS) {
        return Err(WsError::Protocol(ProtocolError::InvalidHeader(Box::new(
            header::SEC_WEBSOCKET_EXTENSIONS,
        ))));
    }
    if headers.contains_key(header::SEC_WEBSOCKET_PROTOCOL) {
        return Err(WsError::Protocol(
            ProtocolError::SecWebSocketSubProtocolError(
                SubProtocolError::ServerSentSubProtocolNoneRequested,
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tungstenite::client::IntoClientRequest;

    use super::*;

    /// RFC 6455 §1.3's example key, and the accept value it gives there.
    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// The upgrade of `ws://127.0.0.1:9000/?v=8` with the RFC's key.
    fn start() -> (Upgrade, String) {
        let mut request = "ws://127.0.0.1:9000/?v=8"
            .into_client_request()
            .expect("a ws:// URL with a host");
        request.headers_mut().insert(
            "Sec-WebSocket-Key",
            KEY.parse().expect("an ASCII header value"),
        );
        let (upgrade, bytes) = Upgrade::start(request).expect("a complete request");
        (upgrade, String::from_utf8(bytes).expect("an ASCII request"))
    }

    fn accepted(extra: &str) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
        )
    }

    #[test]
    fn the_request_asks_for_websocket_with_its_key() {
        let (_, request) = start();
        assert!(request.starts_with("GET /?v=8 HTTP/1.1\r\n"), "{request}");
        for line in [
            "Host: 127.0.0.1:9000\r\n",
            "Connection: Upgrade\r\n",
            "Upgrade: websocket\r\n",
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        ] {
            assert!(request.contains(line), "no {line:?} in {request:?}");
        }
        assert!(request.ends_with("\r\n\r\n"));
    }

    #[test]
    fn a_101_with_the_right_key_hands_on_what_followed_the_head() {
        let (mut upgrade, _) = start();
        // A Hello text frame (unmasked, 7 bytes) in the same read as the head.
        let mut bytes = accepted("").into_bytes();
        bytes.extend_from_slice(b"\x81\x07{\"op\":8");
        let tail = upgrade
            .received(&bytes)
            .ok()
            .flatten()
            .expect("accepted, with a tail");
        assert_eq!(tail, b"\x81\x07{\"op\":8");
        assert_eq!(tail.capacity(), tail.len());
    }

    #[test]
    fn a_head_split_across_reads_completes_on_its_last_byte() {
        let (mut upgrade, _) = start();
        let head = accepted("");
        let (last, rest) = head.as_bytes().split_last().expect("a head");
        for byte in rest {
            assert!(matches!(upgrade.received(&[*byte]), Ok(None)));
        }
        assert_eq!(upgrade.received(&[*last]).ok(), Some(Some(Vec::new())));
    }

    #[test]
    fn header_names_and_tokens_match_in_any_case() {
        let (mut upgrade, _) = start();
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n\
             connection: keep-alive, upgrade\r\nsec-websocket-accept: {ACCEPT}\r\n\r\n"
        );
        assert_eq!(
            upgrade.received(head.as_bytes()).ok(),
            Some(Some(Vec::new()))
        );
    }

    #[test]
    fn another_status_is_an_http_error_with_its_status_and_body() {
        let (mut upgrade, _) = start();
        let head = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied";
        match upgrade.received(head) {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 403);
                assert_eq!(response.body().as_deref(), Some(&b"denied"[..]));
            }
            other => panic!("expected an HTTP error, got {other:?}"),
        }
    }

    #[test]
    fn a_101_that_does_not_upgrade_properly_is_refused() {
        let wrong_key = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
        let no_upgrade = format!(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
        );
        let no_connection = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
        );
        let extension = accepted("Sec-WebSocket-Extensions: permessage-deflate\r\n");
        let subprotocol = accepted("Sec-WebSocket-Protocol: chat\r\n");
        let cases: [(&str, ProtocolError); 5] = [
            (wrong_key, ProtocolError::SecWebSocketAcceptKeyMismatch),
            (&no_upgrade, ProtocolError::MissingUpgradeWebSocketHeader),
            (
                &no_connection,
                ProtocolError::MissingConnectionUpgradeHeader,
            ),
            (
                &extension,
                ProtocolError::InvalidHeader(Box::new(header::SEC_WEBSOCKET_EXTENSIONS)),
            ),
            (
                &subprotocol,
                ProtocolError::SecWebSocketSubProtocolError(
                    SubProtocolError::ServerSentSubProtocolNoneRequested,
                ),
            ),
        ];
        for (head, expected) in cases {
            let (mut upgrade, _) = start();
            match upgrade.received(head.as_bytes()) {
                Err(WsError::Protocol(error)) => assert_eq!(error, expected, "{head}"),
                other => panic!("expected {expected:?} for {head:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn garbage_and_endless_heads_are_errors() {
        let (mut upgrade, _) = start();
        assert!(matches!(
            upgrade.received(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
            Err(WsError::Protocol(ProtocolError::HttparseError(_)))
        ));

        let (mut upgrade, _) = start();
        assert!(matches!(
            upgrade.received(
                b"HTTP/1.1 101 Switching Protocols
"
            ),
            Ok(None)
        ));
        // One header line that never ends, 1 KiB a read.
        let mut result = upgrade.received(b"X-Padding: ");
        for _ in 0..=MAX_HEAD / 1024 {
            result = upgrade.received(&[b'a'; 1024]);
            if result.is_err() {
                break;
            }
        }
        assert!(
            matches!(
                result,
                Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))
            ),
            "an endless head must be refused, got {result:?}"
        );
    }
}
