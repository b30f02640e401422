//! u16 sequence numbers wrap, also across a resume.

use voice_ws_proto::{CloseCode, Event};

use crate::{
    Driver, WAIT, collect_past_ready, collect_until, credentials_for, fast_config,
    first_received_json, is_disconnected, is_message, is_resumed, message_seqs,
    next_event_matching, resume_json, scenario_config, sent_seqs, start_sim, wait_for_seq_ack,
};

/// The `wraparound` scenario: seqs start at 65533; the application takes
/// 65533, 65534 (binary) and 65535; connection 0 then goes silent while
/// 0, 1 and 2 are pushed, and closes with 4015. Connection 1 opens with
/// Resume whose `seq_ack` is 65535, the gateway replays 0, 1, 2 (serial
/// order: 0 follows 65535), and the application gets all six exactly once,
/// in order; the heartbeats then acknowledge 2.
pub async fn wraparound_resume(driver: &impl Driver) {
    let sim = start_sim(scenario_config("wraparound")).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let mut seen = collect_past_ready(&mut events, is_disconnected).await;
    assert_eq!(
        seen.last(),
        Some(&Event::Disconnected {
            code: Some(CloseCode::VOICE_SERVER_CRASHED),
            by_self: false,
            lost: None,
        })
    );
    assert_eq!(
        message_seqs(&seen),
        [Some(65533), Some(65534), Some(65535)],
        "{seen:#?}"
    );
    seen.extend(collect_until(&mut events, is_resumed, WAIT).await);
    for _ in 0..3 {
        seen.push(next_event_matching(&mut events, is_message, WAIT).await);
    }
    assert_eq!(
        message_seqs(&seen),
        [65533, 65534, 65535, 0, 1, 2].map(Some),
        "{seen:#?}"
    );

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(sent_seqs(&conns[0]), [65533, 65534, 65535]);
    assert_eq!(first_received_json(&conns[1]), resume_json(65535));
    assert_eq!(sent_seqs(&conns[1]), [0, 1, 2], "the replay");
    wait_for_seq_ack(&sim, 1, 2).await;
}
