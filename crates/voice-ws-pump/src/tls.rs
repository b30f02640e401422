//! The TLS settings both drivers use by default (feature `ring-webpki`):
//! rustls with the ring provider and the Mozilla roots from
//! `webpki-roots`, verifying certificates.
//!
//! The loop itself only takes a [`ClientConfig`]; which provider and which
//! roots is the driver's choice. This helper is here, behind a feature
//! the drivers enable, so that the two drivers make that choice once.

use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore};

/// rustls with the ring provider and the Mozilla roots, verifying
/// certificates. Built once: parsing the roots is not free.
pub fn ring_webpki() -> Arc<ClientConfig> {
    static TLS: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    TLS.get_or_init(|| {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports rustls' default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    })
    .clone()
}
