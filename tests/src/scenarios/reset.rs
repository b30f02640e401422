//! A TCP reset (no close frame): resume.

use serde_json::json;
use voice_ws_proto::Event;
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, SERVER_ID, SESSION_ID, TOKEN, WAIT, collect_until, credentials_for, fast_config,
    first_received_json, is_ready, is_resumed, message_seqs, received_closes, sent_seqs,
    sim_config, speaking_push, start_sim,
};

/// Connection 0 sends seq 0 after Ready and is reset at the TCP level after
/// the second heartbeat. The application sees Disconnected{code: None,
/// by_self: false} (no zombie, no close frame from either side), then
/// Reconnecting{resume}; connection 1 opens with Resume (`seq_ack` 0) and
/// Resumed follows, with nothing replayed twice.
pub async fn reset_resumes(driver: &impl Driver) {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(Trigger::AfterHeartbeats(2), Action::Reset);
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(0)).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let mut seen = collect_until(&mut events, is_ready, WAIT).await;
    seen.extend(collect_until(&mut events, is_resumed, WAIT).await);
    let drop = seen
        .iter()
        .position(|e| {
            *e == Event::Disconnected {
                code: None,
                by_self: false,
            }
        })
        .unwrap_or_else(|| panic!("Disconnected without a code: {seen:#?}"));
    assert!(
        matches!(
            seen[drop + 1],
            Event::Reconnecting {
                attempt: 1,
                resume: true,
                ..
            }
        ),
        "{seen:#?}"
    );
    assert!(!seen.contains(&Event::Zombified), "{seen:#?}");
    assert_eq!(message_seqs(&seen), [Some(0)], "{seen:#?}");

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0].closed_by_client, None);
    assert!(received_closes(&conns[0]).is_empty());
    assert_eq!(
        first_received_json(&conns[1]),
        json!({"op": 7, "d": {
            "server_id": SERVER_ID,
            "session_id": SESSION_ID,
            "token": TOKEN,
            "seq_ack": 0,
        }})
    );
    assert!(
        !conns[1].received_ops().contains(&0),
        "never Identify after a reset"
    );
    assert!(
        sent_seqs(&conns[1]).is_empty(),
        "seq 0 was taken: no replay"
    );
}
