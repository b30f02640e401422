//! Resume only a session that reached Ready (docs/protocol.md, "Resume").

use crate::{
    Driver, SESSION_ID, TOKEN, WAIT, collect_until, credentials_for, fast_config,
    first_received_json, identify_attempt, is_ready, is_session_invalidated, scenario_config,
    start_sim,
};

/// The `drop-before-ready` scenario: the gateway resets the first socket
/// after Identify, before Ready. There is no session to resume (the gateway
/// answers a Resume of it with 4006, as Discord does), so the next socket
/// identifies again with the same credentials and gets Ready.
pub async fn a_drop_before_ready_identifies_again(driver: &impl Driver) {
    let sim = start_sim(scenario_config("drop-before-ready")).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_until(&mut events, is_ready, WAIT).await;
    assert!(
        seen.iter().any(|e| identify_attempt(e) == Some(1)),
        "{seen:#?}"
    );
    assert!(!seen.iter().any(is_session_invalidated), "{seen:#?}");
    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    for conn in &conns {
        let greeting = first_received_json(conn);
        assert_eq!(greeting["op"], 0, "Identify on every socket: {greeting}");
        assert_eq!(greeting["d"]["session_id"], SESSION_ID);
        assert_eq!(greeting["d"]["token"], TOKEN);
    }
}
