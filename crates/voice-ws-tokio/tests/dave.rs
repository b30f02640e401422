//! Feature `dave`: the task runs the DAVE handshake with no DAVE code in
//! the application. Against the plain sim (no DAVE call): after Select
//! Protocol its Session Description says version 1, and the key package
//! (op 26) goes out on the wire by itself; ids that are not snowflakes are
//! reported on the event stream, and media stays refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{config, credentials, eventually, is_ready, until};
use voice_ws_sim::{Sim, SimConfig};
use voice_ws_tokio::dave::MediaError;
use voice_ws_tokio::proto::codec::SelectProtocol;
use voice_ws_tokio::proto::dave::{DaveError, DaveEvent};
use voice_ws_tokio::{ClientMessage, Event, spawn};

fn select() -> ClientMessage {
    ClientMessage::SelectProtocol(SelectProtocol::new(
        "127.0.0.1".into(),
        50_000,
        "aead_aes256_gcm_rtpsize".into(),
    ))
}

#[tokio::test]
async fn the_key_package_goes_out_without_the_application() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (handle, mut events) = spawn(config(), credentials(&sim));
    let media = handle.dave_media();
    until(&mut events, is_ready).await;
    assert_eq!(media.encrypt_opus(&[0x78, 0x01]), Err(MediaError::NotReady));
    handle.send(select()).await.unwrap();
    until(&mut events, |e| matches!(e, Event::SessionDescription(_))).await;
    eventually("op 26 on the wire", || {
        sim.connections()[0].received_ops().contains(&26)
    })
    .await;
    // Alone in no call: no group, media still refused rather than in clear.
    assert_eq!(media.encrypt_opus(&[0x78, 0x01]), Err(MediaError::NotReady));
    handle.close().await;
}

#[tokio::test]
async fn ids_that_are_not_snowflakes_are_reported_as_a_dave_error() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut bad = credentials(&sim);
    bad.channel_id = "general".into();
    let (handle, mut events) = spawn(config(), bad);
    let seen = until(&mut events, is_ready).await;
    assert!(
        matches!(
            seen[0],
            Event::Dave(DaveEvent::Error(DaveError::Credentials(_)))
        ),
        "{seen:#?}"
    );
    handle.send(select()).await.unwrap();
    until(&mut events, |e| matches!(e, Event::SessionDescription(_))).await;
    // Nothing of DAVE goes out: the handshake is not fed.
    let ops = sim.connections()[0].received_ops();
    assert!(!ops.contains(&26), "{ops:?}");
    handle.close().await;
}
