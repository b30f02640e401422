//! Frames the client cannot use: bad ones are reported, unknown ops
//! surfaced, and only an oversized one costs the socket.

use serde_json::json;
use voice_ws_proto::codec::{DecodeError, Incoming, ServerMessage, SpeakingUpdate, UnknownPayload};
use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, DriverHandle, WAIT, collect_past_ready, collect_until, credentials_for, eventually,
    fast_config, first_received_json, is_heartbeat_ack, is_message, is_ready, is_resumed, message,
    message_seqs, next_event_matching, resume_attempt, resume_json, scenario_config, sent_seqs,
    sim_config, speaking_push, start_sim, wait_for_client_close, wait_for_seq_ack,
};

/// The `malformed` scenario: after Ready the gateway sends `{"op":` (not
/// JSON), text op 18, binary op 99 (seq 0), a 2-byte binary frame, then
/// Speaking (seq 1). The application gets, in order: InvalidFrame(Json),
/// Message{op 18, no seq, `{"any":1}`}, Message{op 99, seq 0, `de ad`},
/// InvalidFrame(BinaryTooShort{2}), Message{Speaking, seq 1}. The session
/// stays up (no Disconnected, heartbeats still ACKed, one connection, no
/// close frame from the client), and the next heartbeats acknowledge seq 1.
pub async fn malformed_frames_keep_the_session(driver: &impl Driver) {
    let config = scenario_config("malformed")
        // Literal seqs below: the sim's start seq is random by default.
        .with_start_seq(0);
    let sim = start_sim(config).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    collect_until(&mut events, is_ready, WAIT).await;
    let mut seen = collect_until(
        &mut events,
        |e| matches!(message(e), Some(m) if m.message.op() == 5),
        WAIT,
    )
    .await;
    seen.extend(collect_until(&mut events, is_heartbeat_ack, WAIT).await);
    seen.extend(collect_until(&mut events, is_heartbeat_ack, WAIT).await);
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. } | Event::Zombified)),
        "{seen:#?}"
    );
    let relevant: Vec<&Event> = seen.iter().filter(|e| !is_heartbeat_ack(e)).collect();
    assert_eq!(relevant.len(), 5, "{relevant:#?}");
    assert!(
        matches!(relevant[0], Event::InvalidFrame(DecodeError::Json { .. })),
        "{relevant:#?}"
    );
    assert_eq!(
        *relevant[1],
        Event::Message(Incoming {
            seq: None,
            message: ServerMessage::Unknown {
                op: 18,
                payload: UnknownPayload::Json(json!({"any": 1})),
            },
        })
    );
    let unknown_binary = message(relevant[2]).expect("a message");
    assert_eq!(unknown_binary.seq, Some(0));
    let ServerMessage::Unknown { op, payload } = &unknown_binary.message else {
        panic!("op 99 is surfaced as Unknown: {unknown_binary:?}");
    };
    assert_eq!(*op, 99);
    assert!(
        matches!(payload, UnknownPayload::Binary(bytes) if bytes[..] == [0xde, 0xad]),
        "{payload:?}"
    );
    assert_eq!(
        *relevant[3],
        Event::InvalidFrame(DecodeError::BinaryTooShort { len: 2 })
    );
    assert_eq!(
        *relevant[4],
        Event::Message(Incoming {
            seq: Some(1),
            message: ServerMessage::Speaking(SpeakingUpdate::new(Some(1001), 1, 1,)),
        })
    );

    wait_for_seq_ack(&sim, 0, 1).await;
    eventually("the counters saw two invalid frames", WAIT, || {
        handle.stats().invalid_frames == 2
    })
    .await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].closed_by_client, None);
    assert_eq!(conns[0].ended_at, None, "the socket is still up");
}

/// Above the configured limit (64 KiB): after Ready the gateway sends
/// Speaking (seq 0), then a 128 KiB text frame. The application gets the
/// Speaking, then InvalidFrame(TooLarge{131072, 65536}), Disconnected{1009,
/// by_self} and Reconnecting{attempt 1, resume}; the client's close frame
/// carries 1009. Connection 1 opens with Resume (`seq_ack` 0), nothing is
/// replayed, and a Speaking pushed after Resumed arrives as seq 1: each
/// message exactly once.
pub async fn oversized_frame_closes_1009_and_resumes(driver: &impl Driver) {
    const LIMIT: usize = 64 * 1024;
    const SIZE: usize = 128 * 1024;
    // The oversized frame is the gateway's last write on connection 0. The
    // client aborts with most of the frame unread, which the kernel turns
    // into a TCP reset; a later write would fail on the gateway's side and
    // end the connection before it read the client's close frame.
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(Trigger::AfterReady, Action::SendOversized(SIZE));
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(0)).await;
    let mut config = fast_config();
    config.transport.max_message_size = LIMIT;
    let (_handle, mut events) = driver.connect(config, credentials_for(&sim));

    let mut seen = collect_past_ready(&mut events, is_resumed).await;
    let invalid = seen
        .iter()
        .position(|e| {
            *e == Event::InvalidFrame(DecodeError::TooLarge {
                size: SIZE,
                max: LIMIT,
            })
        })
        .unwrap_or_else(|| panic!("InvalidFrame(TooLarge): {seen:#?}"));
    assert_eq!(message_seqs(&seen[..invalid]), [Some(0)], "{seen:#?}");
    assert_eq!(
        seen[invalid + 1],
        Event::Disconnected {
            code: Some(CloseCode::MESSAGE_TOO_BIG),
            by_self: true,
            lost: None,
        },
        "{seen:#?}"
    );
    assert_eq!(resume_attempt(&seen[invalid + 2]), Some(1), "{seen:#?}");
    sim.push(speaking_push("1002", 2));
    seen.push(next_event_matching(&mut events, is_message, WAIT).await);
    assert_eq!(
        message_seqs(&seen),
        [Some(0), Some(1)],
        "exactly once: {seen:#?}"
    );

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(first_received_json(&conns[1]), resume_json(0));
    assert_eq!(sent_seqs(&conns[1]), [1], "no replay: seq 0 was taken");
    wait_for_client_close(&sim, 0, 1009).await;
}
