//! `seq_ack` is the last message received, not the last one the
//! application read (docs/protocol.md, "seq_ack"), against a gateway whose
//! replay buffer is as small as a real one can be.

use std::time::Duration;

use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::{Action, ConnectionPlan, Sim, Trigger};

use crate::{
    Driver, DriverHandle, WAIT, collect_speaking, collect_until, credentials_for, eventually,
    fast_config, first_received_json, is_ready, is_resumed, resume_json, sim_config, speaking_push,
    start_seqs, start_sim,
};

/// Speaking messages the gateway pushes (ssrc 1..=N). More than the
/// driver's event buffer (32) holds, so some wait in the core.
const PUSHED: u32 = 40;

/// The seq the gateway gave its `k`th numbered message (0-based) on `sim`'s
/// first session.
fn nth_seq(sim: &Sim, k: u16) -> u16 {
    let start = sim.connections()[0]
        .start_seq
        .expect("the sim records the session's start seq");
    start.wrapping_add(k)
}

/// The gateway keeps only 4 messages for replay. After Ready it pushes 40
/// Speaking messages while the application reads nothing, then closes with
/// 4015. The Resume carries the seq of the 40th: all were received (queued
/// for the application), so there is nothing to replay. A client acking
/// only what the application read would ask for evicted messages and get
/// 4006. Afterwards the application reads 1..=42 exactly once, in order.
pub async fn seq_ack_is_what_was_received(driver: &impl Driver) {
    let plan = ConnectionPlan::new().then(Trigger::AfterHeartbeats(4), Action::Close(4015));
    let sim = start_sim(sim_config(vec![plan]).with_replay_capacity(4)).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    for ssrc in 1..=PUSHED {
        sim.push(speaking_push("1001", ssrc));
    }
    // Not reading: wait for the resumed connection on the gateway's side.
    eventually("the client resumes after 4015", WAIT, || {
        sim.connections().len() == 2 && sim.connections()[1].received_ops().first() == Some(&7)
    })
    .await;
    let last = nth_seq(&sim, 39);
    assert_eq!(
        first_received_json(&sim.connections()[1]),
        resume_json(i64::from(last)),
        "{}",
        start_seqs(&sim.connections())
    );
    let (mut ssrcs, _) = collect_speaking(&mut events, PUSHED as usize).await;
    // The drop and the resume come after the messages queued before them.
    let seen = collect_until(&mut events, is_resumed, WAIT).await;
    assert!(
        seen.contains(&Event::Disconnected {
            code: Some(CloseCode::VOICE_SERVER_CRASHED),
            by_self: false,
            lost: None,
        }),
        "{seen:#?}"
    );
    sim.push(speaking_push("1001", 41));
    sim.push(speaking_push("1001", 42));
    ssrcs.extend(collect_speaking(&mut events, 2).await.0);
    assert_eq!(ssrcs, (1..=42).collect::<Vec<_>>(), "each once, in order");
    assert_eq!(
        sim.connections()[1].server_close(),
        None,
        "the gateway had nothing to refuse"
    );
}

/// The core's queue holds 16 events and the driver's 32; the application
/// reads nothing while the gateway pushes 80 messages. The core refuses the
/// first message that does not fit (unacknowledged) and drops the socket
/// with 4000; it reconnects only once the application has made room, and
/// the gateway's replay brings back what was refused: 1..=80 exactly once.
pub async fn a_full_queue_refuses_and_the_replay_brings_it_back(driver: &impl Driver) {
    let sim = start_sim(sim_config(Vec::new())).await;
    let mut config = fast_config();
    config.transport.max_pending_events = 16;
    let (handle, mut events) = driver.connect(config, credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    for ssrc in 1..=80 {
        sim.push(speaking_push("1001", ssrc));
    }
    // The close frame may lose the race with the drop that follows it, so
    // the refusal is read from the client's counters.
    eventually("the client refuses a message", WAIT, || {
        handle.stats().messages_refused >= 1
    })
    .await;
    // Nobody reads: no new socket, however long.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 1, "no reconnect without room");
    assert!(conns[0].ended_at.is_some(), "the full socket was dropped");
    assert_ne!(
        conns[0].closed_by_client,
        Some(Some(1000)),
        "not a session-ending close"
    );

    let (ssrcs, seen) = collect_speaking(&mut events, 80).await;
    assert_eq!(
        ssrcs,
        (1..=80).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
    assert!(seen.contains(&Event::Resumed), "{seen:#?}");
    for conn in sim.connections() {
        assert_ne!(
            conn.server_close(),
            Some(Some(4006)),
            "a resume was refused"
        );
    }
}
