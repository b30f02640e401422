//! No reconnect loop on a message that can never be received
//! (docs/protocol.md, "Resume").

use std::time::Duration;

use voice_ws_proto::{CloseCode, Event, Invalidation};
use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Trigger};

use crate::{
    Driver, assert_quiet, collect_past_ready, credentials_for, fast_config, is_session_invalidated,
    reconnect_attempts, sim_config, start_sim,
};

/// After Ready the gateway pushes a numbered 8 KiB message to a client
/// whose limit is 4 KiB, and replays it after every Resume. The client
/// drops each socket with 1009, resumes with a growing backoff, and after
/// three resumes that ended alike at the same `seq_ack` gives up with
/// `SessionInvalidated { ResumeLoop }`: four connections in all, and none
/// after. (The gateway answers more than 10 attempts in 10 s with 4021, as
/// Discord does; a looping client would see that instead.)
pub async fn a_replayed_oversized_message_ends_the_session(driver: &impl Driver) {
    let plan = ConnectionPlan::new().then(
        Trigger::AfterReady,
        Action::Push(ServerPush::oversized(8 * 1024)),
    );
    let sim = start_sim(sim_config(vec![plan])).await;
    let mut config = fast_config();
    config.transport.max_message_size = 4 * 1024;
    let (_handle, mut events) = driver.connect(config, credentials_for(&sim));

    let seen = collect_past_ready(&mut events, is_session_invalidated).await;
    match seen.last() {
        Some(Event::SessionInvalidated {
            code,
            reason: Invalidation::ResumeLoop { resumes, .. },
        }) => {
            assert_eq!(*code, Some(CloseCode::MESSAGE_TOO_BIG));
            assert_eq!(*resumes, 3);
        }
        other => panic!("expected a resume-loop invalidation, got {other:#?}"),
    }
    assert_eq!(reconnect_attempts(&seen), [1, 2, 3], "{seen:#?}");

    assert_quiet(&mut events, Duration::from_secs(1)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 4, "one Identify and three Resumes");
    for conn in &conns {
        assert_eq!(conn.closed_by_client, Some(Some(1009)));
        assert_ne!(conn.server_close(), Some(Some(4021)), "rate limited");
    }
}
