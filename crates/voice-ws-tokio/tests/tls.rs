//! `wss://` end to end: the sim's TLS terminator (`voice_ws_sim::tls`, a
//! test CA's certificate for 127.0.0.1) in front of the sim. With that CA
//! as the root the session runs; with the default (webpki) roots the
//! certificate is refused and no socket ever opens.
#![allow(clippy::unwrap_used)]

mod common;

use common::{config, credentials, is_ready, until};
use voice_ws_sim::{Sim, SimConfig};
use voice_ws_tokio::{Endpoint, Event, spawn};

async fn setup() -> (Sim, voice_ws_tokio::Credentials) {
    let sim = SimConfig::default().with_heartbeat_interval_ms(100.0);
    let sim = Sim::start(sim).await.unwrap();
    let tls = voice_ws_sim::tls::terminator(sim.addr()).await.unwrap();
    let mut creds = credentials(&sim);
    // What Discord sends: a bare host:port, so wss:// without any opt-in.
    creds.endpoint = Endpoint::parse(&tls.to_string(), false).unwrap();
    (sim, creds)
}

#[tokio::test]
async fn wss_with_a_trusted_certificate_runs_the_session() {
    let (sim, creds) = setup().await;
    let config = config().with_tls(voice_ws_sim::tls::client_config_trusting_test_ca().unwrap());
    let (handle, mut events) = spawn(config, creds);

    until(&mut events, is_ready).await;
    until(&mut events, |e| matches!(e, Event::HeartbeatAck { .. })).await;
    assert_eq!(sim.connections()[0].received_ops()[0], 0);
    handle.close().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let (sim, creds) = setup().await;
    // Default TLS settings: the webpki roots, which do not know the test CA.
    let (handle, mut events) = spawn(config(), creds);

    let seen = until(&mut events, |e| {
        matches!(e, Event::Reconnecting { attempt: 2, .. })
    })
    .await;
    assert!(!seen.contains(&Event::Connected), "{seen:?}");
    assert!(sim.connections().is_empty());
    handle.force_close();
}
