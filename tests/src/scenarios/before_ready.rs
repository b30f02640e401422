//! Resume only a session that reached Ready (docs/protocol.md, "Resume").

use voice_ws_proto::Event;
use voice_ws_sim::scenario;

use crate::{
    Driver, HEARTBEAT_MS, SESSION_ID, TOKEN, WAIT, collect_until, credentials_for, fast_config,
    first_received_json, is_ready, start_sim,
};

/// The `drop-before-ready` scenario: the gateway resets the first socket
/// after Identify, before Ready. There is no session to resume (the gateway
/// answers a Resume of it with 4006, as Discord does), so the next socket
/// identifies again with the same credentials and gets Ready.
pub async fn a_drop_before_ready_identifies_again(driver: &impl Driver) {
    let config = scenario::config("drop-before-ready")
        .expect("the sim has a drop-before-ready scenario")
        .with_heartbeat_interval_ms(HEARTBEAT_MS);
    let sim = start_sim(config).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_until(&mut events, is_ready, WAIT).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Event::Reconnecting {
                attempt: 1,
                resume: false,
                ..
            }
        )),
        "{seen:#?}"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::SessionInvalidated { .. })),
        "{seen:#?}"
    );
    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    for conn in &conns {
        let greeting = first_received_json(conn);
        assert_eq!(greeting["op"], 0, "Identify on every socket: {greeting}");
        assert_eq!(greeting["d"]["session_id"], SESSION_ID);
        assert_eq!(greeting["d"]["token"], TOKEN);
    }
}
