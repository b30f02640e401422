//! A TCP reset (no close frame): resume.

use voice_ws_proto::{Event, SocketLoss};
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, collect_past_ready, credentials_for, fast_config, first_received_json, is_resumed,
    message_seqs, received_closes, resume_attempt, resume_json, sent_seqs, sim_config,
    speaking_push, start_sim,
};

/// Connection 0 sends seq 0 after Ready and is reset at the TCP level after
/// the second heartbeat. The application sees Disconnected{code: None,
/// by_self: false, lost: Reset} (no zombie, no close frame from either
/// side, and the reason says the connection was reset), then
/// Reconnecting{resume}; connection 1 opens with Resume (`seq_ack` 0) and
/// Resumed follows, with nothing replayed twice.
pub async fn reset_resumes(driver: &impl Driver) {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(Trigger::AfterHeartbeats(2), Action::Reset);
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(0)).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_past_ready(&mut events, is_resumed).await;
    let drop = seen
        .iter()
        .position(|e| {
            *e == Event::Disconnected {
                code: None,
                by_self: false,
                lost: Some(SocketLoss::Reset),
            }
        })
        .unwrap_or_else(|| panic!("Disconnected by a reset, without a code: {seen:#?}"));
    assert_eq!(resume_attempt(&seen[drop + 1]), Some(1), "{seen:#?}");
    assert!(!seen.contains(&Event::Zombified), "{seen:#?}");
    assert_eq!(message_seqs(&seen), [Some(0)], "{seen:#?}");

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0].closed_by_client, None);
    assert!(received_closes(&conns[0]).is_empty());
    assert_eq!(first_received_json(&conns[1]), resume_json(0));
    assert!(
        !conns[1].received_ops().contains(&0),
        "never Identify after a reset"
    );
    assert!(
        sent_seqs(&conns[1]).is_empty(),
        "seq 0 was taken: no replay"
    );
}
