//! 4015 (voice server crashed): resume, never re-Identify.

use serde_json::json;
use voice_ws_proto::codec::Speaking;
use voice_ws_proto::{ClientMessage, CloseCode, Event};
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, DriverHandle, WAIT, collect_past_ready, collect_until, credentials_for, eventually,
    fast_config, first_received_json, is_disconnected, is_resumed, message_seqs, received_closes,
    resume_attempt, resume_json, sim_config, speaking_push, start_sim,
};

/// Connection 0 sends Ready, seq 0, then closes with 4015. The application
/// sees Disconnected{4015, not by_self} and Reconnecting{attempt 1,
/// resume}; connection 1 opens with Resume (op 7, `seq_ack` 0) and never
/// Identify (op 0); Resumed follows. A Speaking the application sends while
/// disconnected reaches connection 1 once, after the Resume.
pub async fn close_4015_resumes(driver: &impl Driver) {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(Trigger::AfterReady, Action::Close(4015));
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(0)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_past_ready(&mut events, is_disconnected).await;
    assert_eq!(
        seen.last(),
        Some(&Event::Disconnected {
            code: Some(CloseCode::VOICE_SERVER_CRASHED),
            by_self: false,
            lost: None,
        })
    );
    assert_eq!(message_seqs(&seen), [Some(0)], "{seen:#?}");
    // Sent while no socket is usable: held, then sent after the resume.
    let speaking = Speaking::new(1, 7);
    handle
        .send(ClientMessage::Speaking(speaking))
        .await
        .expect("a send while reconnecting is held, not refused");
    let resumed = collect_until(&mut events, is_resumed, WAIT).await;
    assert_eq!(
        resumed.first().and_then(resume_attempt),
        Some(1),
        "{resumed:#?}"
    );

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0].server_close(), Some(Some(4015)));
    assert_eq!(
        received_closes(&conns[0]),
        [Some(4015)],
        "the client answers the close frame with its code"
    );
    assert_eq!(first_received_json(&conns[1]), resume_json(0));
    assert!(
        !conns[1].received_ops().contains(&0),
        "never Identify after 4015"
    );
    eventually("the held Speaking reaches connection 1", WAIT, || {
        sim.connections()[1].received_ops().contains(&5)
    })
    .await;
    let conns = sim.connections();
    assert!(!conns[0].received_ops().contains(&5));
    let speaking: Vec<_> = conns[1]
        .received_json()
        .into_iter()
        .filter(|m| m["op"] == 5)
        .collect();
    assert_eq!(
        speaking,
        [json!({"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": 7}})],
        "sent exactly once"
    );
}
