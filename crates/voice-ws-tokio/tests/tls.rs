//! `wss://` end to end: a TLS terminator on 127.0.0.1 (rustls with a test
//! CA's certificate for 127.0.0.1) in front of the sim. With that CA as the
//! root the session runs; with the default (webpki) roots the certificate
//! is refused and no socket ever opens.
//!
//! The certificates were made once with openssl: an ECDSA P-256 CA, and a
//! leaf for IP 127.0.0.1 and DNS localhost valid 2020-2120. Test-only keys.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{config, credentials, is_ready, until};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use voice_ws_sim::{Sim, SimConfig};
use voice_ws_tokio::rustls::crypto::ring;
use voice_ws_tokio::rustls::pki_types::pem::PemObject;
use voice_ws_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use voice_ws_tokio::rustls::{ClientConfig, RootCertStore, ServerConfig};
use voice_ws_tokio::{Endpoint, Event, connect};

const CA: &str = r"-----BEGIN CERTIFICATE-----
MIIBnjCCAUOgAwIBAgIUXiRMHCInZ9O3rfUqtg3QOOzH5XEwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQdm9pY2Utd3MgdGVzdCBDQTAgFw0yNjExMjgxOTM1MzhaGA8y
MTI2MTEwNDE5MzUzOFowGzEZMBcGA1UEAwwQdm9pY2Utd3MgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIL6cu542RenLIT3HOzo/f3bFwuE9VY0V3EW
M5pC4tFabgO+A4joAN56QVWBieT9iJWPNFeOAtlOiiAW9AqgTSijYzBhMB0GA1Ud
DgQWBBTax5uatsVOATufs+uYUNjJp0z7qDAfBgNVHSMEGDAWgBTax5uatsVOATuf
s+uYUNjJp0z7qDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAKBggq
hkjOPQQDAgNJADBGAiEAzZQCWfW3zGQ+TF6un7AvwtSuAJdxxbuInsSP8x5VqHYC
IQDbdDqbhX+Fq7S95baGa3FuXjZIbatqjGUYKlljnudl5Q==
-----END CERTIFICATE-----";

const LEAF: &str = r"-----BEGIN CERTIFICATE-----
MIIBsjCCAVmgAwIBAgIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBB2b2ljZS13
cyB0ZXN0IENBMCAXDTIwMDEwMTAwMDAwMFoYDzIxMjAwMTAxMDAwMDAwWjAUMRIw
EAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATqU9o8
UlxCs4oMiVC+ctOwogTSSpvJrIKae+1DPsZgw0QjZYiR7zqcAxTu+D3cfwyCO1WZ
JFprzkOAK8yKiNSmo4GSMIGPMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeA
MBMGA1UdJQQMMAoGCCsGAQUFBwMBMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9z
dDAdBgNVHQ4EFgQUjG2iuS3OzSbkTeJHssL2mnoHKOEwHwYDVR0jBBgwFoAU2seb
mrbFTgE7n7PrmFDYyadM+6gwCgYIKoZIzj0EAwIDRwAwRAIgC7fuy7n6U+49kY02
B5g/3RCRh59lCkoqYvEFzMrQzg0CIH2l7IlMswVnRrcJ4fpb60JoDREqdpvL6bCt
fGP/9hkE
-----END CERTIFICATE-----";

const LEAF_KEY: &str = r"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglKPBkcKvtafrM+ux
cRv519SxUwtwlt7AAfi8PwWkjcmhRANCAATqU9o8UlxCs4oMiVC+ctOwogTSSpvJ
rIKae+1DPsZgw0QjZYiR7zqcAxTu+D3cfwyCO1WZJFprzkOAK8yKiNSm
-----END PRIVATE KEY-----";

/// Accepts TLS on 127.0.0.1 and pipes each connection to `backend`.
async fn tls_terminator(backend: SocketAddr) -> SocketAddr {
    let cert = CertificateDer::from_pem_slice(LEAF.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(LEAF_KEY.as_bytes()).unwrap();
    let server = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut plain = TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

fn trusting_the_test_ca() -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(CA.as_bytes()).unwrap())
        .unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

async fn setup() -> (Sim, voice_ws_tokio::Credentials) {
    let sim = SimConfig::default().with_heartbeat_interval_ms(100.0);
    let sim = Sim::start(sim).await.unwrap();
    let tls = tls_terminator(sim.addr()).await;
    let mut creds = credentials(&sim);
    // What Discord sends: a bare host:port, so wss:// without any opt-in.
    creds.endpoint = Endpoint::parse(&tls.to_string(), false).unwrap();
    (sim, creds)
}

#[tokio::test]
async fn wss_with_a_trusted_certificate_runs_the_session() {
    let (sim, creds) = setup().await;
    let config = config().with_tls(trusting_the_test_ca());
    let (handle, mut events) = connect(config, creds);

    until(&mut events, is_ready).await;
    until(&mut events, |e| matches!(e, Event::HeartbeatAck { .. })).await;
    assert_eq!(sim.connections()[0].received_ops()[0], 0);
    handle.close().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let (sim, creds) = setup().await;
    // Default TLS settings: the webpki roots, which do not know the test CA.
    let (handle, mut events) = connect(config(), creds);

    let seen = until(&mut events, |e| {
        matches!(e, Event::Reconnecting { attempt: 2, .. })
    })
    .await;
    assert!(!seen.contains(&Event::Connected), "{seen:?}");
    assert!(sim.connections().is_empty());
    handle.force_close();
}
