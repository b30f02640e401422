//! Fatal close codes (docs/protocol.md, "Close codes").

use std::time::Duration;

use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::ConnectionPlan;

use crate::{
    Driver, WAIT, assert_quiet, collect_until, credentials_for, fast_config, is_reconnecting,
    sim_config, start_sim,
};

/// 4020 (bad request) after Ready: a new session would send the same
/// malformed request, so it is `Fatal` with a reason, and nothing connects
/// again. The event stream stays open for new credentials.
pub async fn close_4020_is_fatal(driver: &impl Driver) {
    let sim = start_sim(sim_config(vec![ConnectionPlan::close_after_ready(4020)])).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_until(&mut events, |e| matches!(e, Event::Fatal { .. }), WAIT).await;
    match seen.last() {
        Some(Event::Fatal { code, reason }) => {
            assert_eq!(*code, CloseCode::BAD_REQUEST);
            assert!(reason.contains("bad request"), "{reason}");
        }
        other => panic!("{other:#?}"),
    }
    assert!(!seen.iter().any(is_reconnecting), "{seen:#?}");
    assert_quiet(&mut events, Duration::from_millis(500)).await;
    assert_eq!(sim.connections().len(), 1);
}
