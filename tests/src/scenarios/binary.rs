//! DAVE binary messages, told apart from JSON by the frame type alone.

use bytes::Bytes;
use voice_ws_proto::ClientMessage;
use voice_ws_proto::codec::ServerMessage;
use voice_ws_sim::{Action, ConnectionPlan, RecordedFrame, ServerPush, Trigger};

use crate::{
    Driver, DriverHandle, WAIT, collect_until, credentials_for, eventually, fast_config, is_ready,
    message, sim_config, start_sim, wait_for_seq_ack,
};

/// The first seq: `0x7B` is `{`, so both binary frames below start with `{{`.
const FIRST_SEQ: u16 = 0x7B7B;

/// Seqs start at 0x7B7B. The gateway sends op 25 with the payload
/// `{"op":8}` (the frame reads `{{\x19{"op":8}`) and op 29 with transition
/// id 7; the application gets both as binary messages with seqs 31611 and
/// 31612 and the payloads untouched, no InvalidFrame, and the next
/// heartbeats acknowledge 31612 (binary messages share the sequence space).
/// An MLS key package the application sends arrives as `[26][payload]`,
/// with no seq.
pub async fn binary_frames_by_frame_type(driver: &impl Driver) {
    let plan = ConnectionPlan::new()
        .then(
            Trigger::AfterReady,
            Action::Push(ServerPush::dave_external_sender(br#"{"op":8}"#)),
        )
        .then(
            Trigger::AfterReady,
            Action::Push(ServerPush::dave_announce_commit(7, b"commit")),
        );
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(FIRST_SEQ)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    collect_until(&mut events, is_ready, WAIT).await;
    let seen = collect_until(
        &mut events,
        |e| message(e).is_some_and(|m| m.seq == Some(FIRST_SEQ + 1)),
        WAIT,
    )
    .await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, voice_ws_proto::Event::InvalidFrame(_))),
        "{seen:#?}"
    );
    let messages: Vec<_> = seen.iter().filter_map(message).collect();
    assert_eq!(messages.len(), 2, "{seen:#?}");
    assert_eq!(messages[0].seq, Some(FIRST_SEQ));
    assert!(
        matches!(&messages[0].message,
            ServerMessage::DaveMlsExternalSender(p) if p[..] == br#"{"op":8}"#[..]),
        "{:?}",
        messages[0]
    );
    assert_eq!(messages[1].seq, Some(FIRST_SEQ + 1));
    assert!(
        matches!(&messages[1].message,
            ServerMessage::DaveMlsAnnounceCommitTransition { transition_id: 7, commit }
                if commit[..] == b"commit"[..]),
        "{:?}",
        messages[1]
    );
    let sent = &sim.connections()[0].sent;
    assert!(
        sent.iter().any(|r| matches!(&r.frame,
            RecordedFrame::Binary(b) if b.starts_with(b"{{\x19{"))),
        "the gateway's op 25 frame starts with {{"
    );

    handle
        .send(ClientMessage::DaveMlsKeyPackage(Bytes::from_static(
            b"key-package",
        )))
        .await
        .expect("a key package is accepted after Ready");
    eventually("the key package arrives as [26][payload]", WAIT, || {
        sim.connections()[0]
            .received
            .iter()
            .any(|r| r.frame == RecordedFrame::Binary(b"\x1akey-package".to_vec()))
    })
    .await;
    wait_for_seq_ack(&sim, 0, 31612).await;
}
