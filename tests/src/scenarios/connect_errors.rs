//! Why a socket could not be opened, produced for real over loopback: each
//! failure reaches the application as `Event::ConnectFailed` with its
//! reason, before the `Reconnecting` that follows.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use voice_ws_proto::{ConnectError, Credentials, Endpoint, Event, SessionConfig};

use crate::{Driver, DriverHandle, WAIT, collect_until, fast_config, is_reconnecting};

fn credentials_at(endpoint: Endpoint) -> Credentials {
    Credentials {
        server_id: crate::SERVER_ID.into(),
        channel_id: "127121515262115840".into(),
        user_id: crate::USER_ID.into(),
        session_id: crate::SESSION_ID.into(),
        token: crate::TOKEN.into(),
        endpoint,
        max_dave_protocol_version: 1,
    }
}

fn ws_at(addr: SocketAddr) -> Endpoint {
    Endpoint::parse(&format!("ws://{addr}/?v=8"), true).expect("loopback ws:// is allowed")
}

/// Connects to `endpoint` and returns the first `ConnectFailed`'s reason,
/// after checking that a `Reconnecting` follows it.
async fn first_failure(
    driver: &impl Driver,
    config: SessionConfig,
    endpoint: Endpoint,
) -> ConnectError {
    let (handle, mut events) = driver.connect(config, credentials_at(endpoint));
    let seen = collect_until(&mut events, is_reconnecting, WAIT).await;
    handle.force_close();
    let failed: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::ConnectFailed { error } => Some(error.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{seen:#?}");
    assert!(
        matches!(
            seen.as_slice(),
            [.., Event::ConnectFailed { .. }, Event::Reconnecting { .. }]
        ),
        "ConnectFailed comes right before Reconnecting: {seen:#?}"
    );
    assert!(!seen.contains(&Event::Connected), "{seen:#?}");
    failed.into_iter().next().expect("one failure")
}

/// A port nothing listens on: `Refused`.
pub async fn a_closed_port_is_refused(driver: &impl Driver) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let error = first_failure(driver, fast_config(), ws_at(addr)).await;
    assert_eq!(error, ConnectError::Refused);
}

/// A `.invalid` name (RFC 6761: never resolves): `Dns`.
pub async fn an_unresolvable_name_is_a_dns_failure(driver: &impl Driver) {
    let endpoint = Endpoint::parse("voice-ws-test.invalid:443", false).expect("a host:port");
    let error = first_failure(driver, fast_config(), endpoint).await;
    assert!(matches!(error, ConnectError::Dns { .. }), "{error:?}");
}

/// An HTTP server answering 404 to the upgrade: `UpgradeRejected { 404 }`.
pub async fn a_404_upgrade_is_rejected_with_its_status(driver: &impl Driver) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tcp
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    .await;
                let _ = tcp.flush().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            });
        }
    });
    let error = first_failure(driver, fast_config(), ws_at(addr)).await;
    server.abort();
    assert_eq!(error, ConnectError::UpgradeRejected { status: 404 });
}

/// A listener that accepts and never answers: the connect timeout,
/// `TimedOut`.
pub async fn a_silent_listener_times_out(driver: &impl Driver) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let mut config = fast_config();
    config.connect_timeout = Duration::from_millis(300);
    let error = first_failure(driver, config, ws_at(addr)).await;
    server.abort();
    assert_eq!(error, ConnectError::TimedOut);
}

/// The sim behind TLS with a test CA the default roots do not know: `Tls`,
/// with the verifier's reason, and a message saying how to trust a CA.
pub async fn an_untrusted_certificate_is_a_tls_failure(driver: &impl Driver) {
    let sim = crate::start_sim(voice_ws_sim::SimConfig::default()).await;
    let tls = voice_ws_sim::tls::terminator(sim.addr())
        .await
        .expect("the TLS terminator binds");
    let endpoint = Endpoint::parse(&tls.to_string(), false).expect("a host:port");
    let error = first_failure(driver, fast_config(), endpoint).await;
    match &error {
        ConnectError::Tls { reason } => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let shown = error.to_string();
    assert!(shown.contains("certificate"), "{shown}");
    assert!(shown.contains("DriverConfig::tls"), "{shown}");
    assert!(sim.connections().is_empty());
}
