//! A refused resume (4006): wait for new credentials, then Identify.

use std::time::Duration;

use voice_ws_proto::{CloseCode, Event, Invalidation, Token};
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, DriverHandle, WAIT, assert_quiet, collect_past_ready, collect_until, credentials_for,
    eventually, fast_config, first_received_json, identify_json, is_ready, is_session_invalidated,
    message_seqs, received_heartbeats, resume_json, sim_config, speaking_push, start_sim,
};

/// The second session's id and token, as the main gateway would hand them over.
const NEW_SESSION_ID: &str = "conformance-session-2";
const NEW_TOKEN: &str = "conformance-token-2";

/// Connection 0 delivers seq 0 and is reset after two heartbeats;
/// connection 1 gets Resume (`seq_ack` 0) and refuses it with 4006. The
/// application sees Disconnected{4006, not by_self} and
/// SessionInvalidated{4006}, then nothing: no event and no new connection
/// for five heartbeat intervals. After `update_credentials`, connection 2
/// opens with Identify (op 0) carrying the new session id and token, Ready
/// follows, and its heartbeats start again from `seq_ack` -1.
pub async fn refused_resume_waits_for_new_credentials(driver: &impl Driver) {
    let first = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(Trigger::AfterHeartbeats(2), Action::Reset);
    let second = ConnectionPlan::refuse_resume(4006);
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![first, second]).with_start_seq(0)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_past_ready(&mut events, is_session_invalidated).await;
    let code = Some(CloseCode::SESSION_NO_LONGER_VALID);
    let reason = Invalidation::ClosedByServer;
    assert_eq!(
        seen.last(),
        Some(&Event::SessionInvalidated { code, reason })
    );
    assert_eq!(
        seen[seen.len() - 2],
        Event::Disconnected {
            code,
            by_self: false,
            lost: None,
        },
        "{seen:#?}"
    );
    assert_eq!(message_seqs(&seen), [Some(0)]);

    assert_quiet(&mut events, Duration::from_millis(500)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 2, "no connection without new credentials");
    assert_eq!(first_received_json(&conns[1]), resume_json(0));
    assert_eq!(conns[1].server_close(), Some(Some(4006)));

    let mut fresh = credentials_for(&sim);
    fresh.session_id = NEW_SESSION_ID.into();
    fresh.token = Token::new(NEW_TOKEN);
    handle
        .update_credentials(fresh)
        .await
        .expect("the connection waits for credentials, it has not ended");
    collect_until(&mut events, is_ready, WAIT).await;

    let conns = sim.connections();
    assert_eq!(conns.len(), 3);
    assert_eq!(
        first_received_json(&conns[2]),
        identify_json(NEW_SESSION_ID, NEW_TOKEN)
    );
    eventually("a heartbeat on the new session", WAIT, || {
        !received_heartbeats(&sim.connections()[2]).is_empty()
    })
    .await;
    let beats = received_heartbeats(&sim.connections()[2]);
    assert_eq!(
        beats[0].seq_ack, -1,
        "seqs of the old session are forgotten"
    );
}
