//! Turning what Discord sends as a voice endpoint into the URL to dial.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

/// The gateway version this crate speaks.
const VERSION_QUERY: &str = "?v=8";

/// A voice gateway endpoint, checked and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    secure: bool,
    host: String,
    port: Option<u16>,
}

/// Why an endpoint was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Nothing, or only a port, was given.
    #[error("endpoint has an empty host")]
    EmptyHost,
    /// Whitespace anywhere in the endpoint.
    #[error("endpoint contains whitespace")]
    Whitespace,
    /// A scheme other than `wss://` (or `ws://` when allowed).
    #[error("endpoint scheme {0:?} is not wss")]
    Scheme(String),
    /// `ws://` without `allow_insecure`, or to a host that is not loopback.
    #[error("ws:// is only allowed to a loopback host, and only when explicitly enabled")]
    Insecure,
    /// A path, query or fragment that is not the plain `/?v=N` a URL may carry.
    #[error("endpoint has a path, query or fragment: {0:?}")]
    Path(String),
    /// `user@host` userinfo.
    #[error("endpoint has userinfo")]
    Userinfo,
    /// A port that is not a number from 1 to 65535.
    #[error("endpoint port {0:?} is invalid")]
    Port(String),
}

impl Endpoint {
    /// Parses a bare host (`"c-ams07.discord.media"`), `host:port` (the port
    /// is kept, except `:80`, see below), or a full `wss://` URL.
    ///
    /// A bare `host:80` dials `wss://host/` (port 443): voice endpoints
    /// carried `:80` for what is a TLS socket, and TLS on port 80 fails
    /// (docs/protocol.md, "Connection"). A port in a full URL is the
    /// caller's choice and is kept. `ws://` is accepted only when
    /// `allow_insecure` is set and the host is loopback, for local testing.
    pub fn parse(input: &str, allow_insecure: bool) -> Result<Self, EndpointError> {
        if input.chars().any(char::is_whitespace) {
            return Err(EndpointError::Whitespace);
        }
        let (secure, rest) = match input.split_once("://") {
            None => (true, input),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("wss") => (true, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ws") => (false, rest),
            Some((scheme, _)) => return Err(EndpointError::Scheme(scheme.to_string())),
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        let full_url = input.contains("://");
        let tail_ok = tail.is_empty() || (full_url && is_plain_tail(tail));
        if !tail_ok {
            return Err(EndpointError::Path(tail.to_string()));
        }
        if authority.contains('@') {
            return Err(EndpointError::Userinfo);
        }
        let (host, mut port) = split_port(authority)?;
        if !full_url && port == Some(80) {
            port = None;
        }
        if host.is_empty() || host == "[]" {
            return Err(EndpointError::EmptyHost);
        }
        let transport_ok = secure || (allow_insecure && is_loopback(host));
        if !transport_ok {
            return Err(EndpointError::Insecure);
        }
        Ok(Self {
            secure,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The URL to dial: `wss://host[:port]/?v=8`.
    pub fn url(&self) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        match self.port {
            Some(port) => format!("{scheme}://{}:{port}/{VERSION_QUERY}", self.host),
            None => format!("{scheme}://{}/{VERSION_QUERY}", self.host),
        }
    }

    /// The host, lower-cased (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether TLS is used.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// What a full URL may carry after its authority: nothing but `/` and a
/// version query, which is replaced by ours.
fn is_plain_tail(tail: &str) -> bool {
    let query = match tail {
        "/" => return true,
        t => t.strip_prefix("/?").or_else(|| t.strip_prefix('?')),
    };
    query
        .and_then(|q| q.strip_prefix("v="))
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), EndpointError> {
    // IPv6 literals carry colons inside their brackets.
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .and_then(|end| authority[end..].find(':').map(|c| end + c))
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Ok((authority, None));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    match port.parse::<u16>() {
        Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok((host, Some(p))),
        _ => Err(EndpointError::Port(port.to_string())),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host.strip_prefix("127.").is_some_and(|rest| {
            rest.split('.').count() == 3 && rest.split('.').all(|o| o.parse::<u8>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(input: &str) -> Result<String, EndpointError> {
        Endpoint::parse(input, false).map(|e| e.url())
    }

    #[test]
    fn what_discord_sends_becomes_a_v8_wss_url() {
        assert_eq!(
            url("c-ams07-a1b2.discord.media").as_deref(),
            Ok("wss://c-ams07-a1b2.discord.media/?v=8")
        );
        assert_eq!(
            url("c-ams07.discord.media:443").as_deref(),
            Ok("wss://c-ams07.discord.media:443/?v=8")
        );
        assert_eq!(
            url("c-ams07.discord.media:80").as_deref(),
            Ok("wss://c-ams07.discord.media/?v=8")
        );
        assert_eq!(
            url("c-ams07.discord.media:2048").as_deref(),
            Ok("wss://c-ams07.discord.media:2048/?v=8")
        );
        assert_eq!(
            url("wss://c-ams07.discord.media:80").as_deref(),
            Ok("wss://c-ams07.discord.media:80/?v=8"),
            "a port in a full URL is the caller's"
        );
        assert_eq!(
            url("wss://Voice.Example:8443/?v=4").as_deref(),
            Ok("wss://voice.example:8443/?v=8")
        );
        assert_eq!(
            url("wss://voice.example").as_deref(),
            Ok("wss://voice.example/?v=8")
        );
        assert_eq!(url("[::1]:9000").as_deref(), Ok("wss://[::1]:9000/?v=8"));
    }

    #[test]
    fn malformed_endpoints_are_refused() {
        assert_eq!(url(""), Err(EndpointError::EmptyHost));
        assert_eq!(url(":443"), Err(EndpointError::EmptyHost));
        assert_eq!(url("voice.example /x"), Err(EndpointError::Whitespace));
        assert_eq!(url(" voice.example"), Err(EndpointError::Whitespace));
        assert_eq!(
            url("voice.example/path"),
            Err(EndpointError::Path("/path".into()))
        );
        assert_eq!(
            url("voice.example?v=8"),
            Err(EndpointError::Path("?v=8".into()))
        );
        assert_eq!(
            url("wss://voice.example/gateway"),
            Err(EndpointError::Path("/gateway".into()))
        );
        assert_eq!(
            url("wss://voice.example/?token=x"),
            Err(EndpointError::Path("/?token=x".into()))
        );
        assert_eq!(url("user:pw@voice.example"), Err(EndpointError::Userinfo));
        assert_eq!(url("voice.example:0"), Err(EndpointError::Port("0".into())));
        assert_eq!(
            url("voice.example:99999"),
            Err(EndpointError::Port("99999".into()))
        );
        assert_eq!(
            url("voice.example:+80"),
            Err(EndpointError::Port("+80".into()))
        );
        assert_eq!(
            url("https://voice.example"),
            Err(EndpointError::Scheme("https".into()))
        );
    }

    #[test]
    fn plain_ws_needs_permission_and_loopback() {
        assert_eq!(url("ws://127.0.0.1:9000"), Err(EndpointError::Insecure));
        assert_eq!(
            Endpoint::parse("ws://127.0.0.1:9000/?v=8", true)
                .map(|e| e.url())
                .as_deref(),
            Ok("ws://127.0.0.1:9000/?v=8")
        );
        assert_eq!(
            Endpoint::parse("ws://localhost:1", true).map(|e| e.is_secure()),
            Ok(false)
        );
        assert_eq!(
            Endpoint::parse("ws://[::1]:1", true).map(|e| e.port()),
            Ok(Some(1))
        );
        assert_eq!(
            Endpoint::parse("ws://voice.example:1", true),
            Err(EndpointError::Insecure)
        );
        assert_eq!(
            Endpoint::parse("ws://127.0.0.1.evil.example:1", true),
            Err(EndpointError::Insecure)
        );
        // A bare endpoint is always TLS, even when ws:// is allowed.
        assert_eq!(
            Endpoint::parse("127.0.0.1:9000", true).map(|e| e.is_secure()),
            Ok(true)
        );
    }
}
