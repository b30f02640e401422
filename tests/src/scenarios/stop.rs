//! 4014 (disconnected): stop, never reconnect.

use std::time::Duration;

use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::scenario;

use crate::{
    Driver, HEARTBEAT_MS, WAIT, collect_to_end, credentials_for, fast_config, is_ready,
    received_closes, start_sim,
};

/// The `kick` scenario: 4014 right after Ready. The application sees
/// Ready, Disconnected{4014, not by_self} and Stopped{4014} last, with no
/// Reconnecting, and the event stream ends. The client answered the close
/// frame with 4014, and a second later there is still only one connection.
pub async fn close_4014_stops(driver: &impl Driver) {
    let config = scenario::config("kick")
        .expect("the sim has a kick scenario")
        .with_heartbeat_interval_ms(HEARTBEAT_MS);
    let sim = start_sim(config).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_to_end(&mut events, WAIT).await;
    let code = Some(CloseCode::DISCONNECTED);
    let ready = seen.iter().position(is_ready);
    let closed = seen.iter().position(|e| {
        *e == Event::Disconnected {
            code,
            by_self: false,
        }
    });
    assert!(ready.is_some() && ready < closed, "{seen:#?}");
    assert_eq!(seen.last(), Some(&Event::Stopped { code }), "{seen:#?}");
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Reconnecting { .. })),
        "{seen:#?}"
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 1, "no reconnect after 4014");
    assert_eq!(conns[0].server_close(), Some(Some(4014)));
    assert_eq!(received_closes(&conns[0]), [Some(4014)]);
}
