//! `wss://` for the sim: a TLS terminator on 127.0.0.1 with a test CA, so
//! clients can be tested over real TLS with full certificate verification.
//!
//! The certificates were made once with openssl: an ECDSA P-256 CA, and a
//! leaf for IP 127.0.0.1 and DNS localhost valid 2020-2120. They are
//! test-only keys: never trust [`TEST_CA_PEM`] outside tests.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The test CA's certificate (PEM) that signed the terminator's leaf.
pub const TEST_CA_PEM: &str = r"-----BEGIN CERTIFICATE-----
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

const LEAF_PEM: &str = r"-----BEGIN CERTIFICATE-----
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

const LEAF_KEY_PEM: &str = r"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglKPBkcKvtafrM+ux
cRv519SxUwtwlt7AAfi8PwWkjcmhRANCAATqU9o8UlxCs4oMiVC+ctOwogTSSpvJ
rIKae+1DPsZgw0QjZYiR7zqcAxTu+D3cfwyCO1WZJFprzkOAK8yKiNSm
-----END PRIVATE KEY-----";

/// Accepts TLS on 127.0.0.1 (an ephemeral port, returned) and pipes each
/// connection in plain text to `backend`, typically [`Sim::addr`](crate::Sim::addr).
/// Runs until the tokio runtime shuts down.
pub async fn terminator(backend: SocketAddr) -> io::Result<SocketAddr> {
    let server = server_config().map_err(io::Error::other)?;
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Ok(addr)
}

/// A client configuration (ring provider) that trusts only the test CA.
pub fn client_config_trusting_test_ca() -> Result<Arc<ClientConfig>, rustls::Error> {
    let ca = CertificateDer::from_pem_slice(TEST_CA_PEM.as_bytes())
        .map_err(|e| rustls::Error::General(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    roots.add(ca)?;
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn server_config() -> Result<ServerConfig, rustls::Error> {
    let pem = |e: rustls::pki_types::pem::Error| rustls::Error::General(e.to_string());
    let cert = CertificateDer::from_pem_slice(LEAF_PEM.as_bytes()).map_err(pem)?;
    let key = PrivateKeyDer::from_pem_slice(LEAF_KEY_PEM.as_bytes()).map_err(pem)?;
    ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
}
