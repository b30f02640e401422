//! 4014 (disconnected): stop, never reconnect on its own; new credentials
//! (a new VOICE_SERVER_UPDATE) start a fresh session on the same handle.

use std::time::Duration;

use voice_ws_proto::{CloseCode, Endpoint, Event};

use crate::{
    Driver, DriverHandle, WAIT, assert_quiet, collect_to_end, collect_until, credentials_for,
    fast_config, first_received_json, is_ready, is_reconnecting, received_closes, scenario_config,
    sim_config, start_sim,
};

/// The `kick` scenario: 4014 right after Ready. The application sees
/// Ready, Disconnected{4014, not by_self} and Stopped{4014}, with no
/// Reconnecting; the client answered the close frame with 4014 and does
/// not connect again. The stream stays open: the voice server moved, and
/// credentials for a second gateway start a fresh session (Identify with
/// the new token, Ready) on the same handle. Only the application's close
/// ends the stream.
pub async fn close_4014_stops(driver: &impl Driver) {
    let sim = start_sim(scenario_config("kick")).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let code = Some(CloseCode::DISCONNECTED);
    let seen = collect_until(&mut events, |e| matches!(e, Event::Stopped { .. }), WAIT).await;
    let ready = seen.iter().position(is_ready);
    let closed = seen.iter().position(|e| {
        *e == Event::Disconnected {
            code,
            by_self: false,
            lost: None,
        }
    });
    assert!(ready.is_some() && ready < closed, "{seen:#?}");
    assert_eq!(seen.last(), Some(&Event::Stopped { code }), "{seen:#?}");
    assert!(!seen.iter().any(is_reconnecting), "{seen:#?}");

    assert_quiet(&mut events, Duration::from_secs(1)).await;
    let conns = sim.connections();
    assert_eq!(conns.len(), 1, "no reconnect after 4014");
    assert_eq!(conns[0].server_close(), Some(Some(4014)));
    assert_eq!(received_closes(&conns[0]), [Some(4014)]);

    // The voice server moved: a new endpoint and token from the main gateway.
    let moved = start_sim(sim_config(Vec::new())).await;
    let mut fresh = credentials_for(&moved);
    fresh.session_id = "conformance-session-2".into();
    fresh.token = "conformance-token-2".into();
    fresh.endpoint = Endpoint::parse(&moved.url(), true).expect("loopback ws:// is allowed");
    handle
        .update_credentials(fresh)
        .await
        .expect("a stopped session takes new credentials");
    collect_until(&mut events, is_ready, WAIT).await;
    assert_eq!(sim.connections().len(), 1, "the old gateway is not dialled");
    let identify = first_received_json(&moved.connections()[0]);
    assert_eq!(identify["op"], 0);
    assert_eq!(identify["d"]["session_id"], "conformance-session-2");
    assert_eq!(identify["d"]["token"], "conformance-token-2");

    handle.close().await;
    let rest = collect_to_end(&mut events, WAIT).await;
    assert!(
        matches!(rest.last(), Some(Event::Stopped { .. })),
        "{rest:#?}"
    );
}
