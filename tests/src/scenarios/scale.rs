//! Many connections to one gateway at once.

use std::collections::HashSet;

use futures_util::future::join_all;
use voice_ws_proto::{CloseCode, Event};
use voice_ws_sim::SimConfig;

use crate::{
    Driver, DriverHandle, WAIT, collect_to_end, collect_until, credentials_for, eventually,
    fast_config, is_heartbeat_ack, is_ready, start_sim,
};

/// Connections in the scenario.
const CONNECTIONS: usize = 100;

/// 100 sessions (distinct session ids) connect at once to one gateway
/// beating every 500 ms. Each sees Ready and then a HeartbeatAck; then all
/// close at once, each ending with Stopped{1000}. The gateway saw exactly
/// 100 connections, each opening with Identify for its own session,
/// sending at least one heartbeat that was ACKed, and closing with 1000.
pub async fn hundred_connections(driver: &impl Driver) {
    let sim = start_sim(SimConfig::default().with_heartbeat_interval_ms(500.0)).await;
    let clients = (0..CONNECTIONS).map(|i| {
        let mut credentials = credentials_for(&sim);
        credentials.session_id = format!("scale-session-{i}");
        driver.connect(fast_config(), credentials)
    });
    let clients: Vec<_> = join_all(clients.map(|(handle, mut events)| async move {
        let seen = collect_until(&mut events, is_heartbeat_ack, WAIT * 2).await;
        assert!(seen.iter().any(is_ready), "Ready before the ACK: {seen:#?}");
        (handle, events)
    }))
    .await;

    join_all(clients.iter().map(|(handle, _)| handle.close())).await;
    join_all(clients.into_iter().map(|(handle, mut events)| async move {
        let rest = collect_to_end(&mut events, WAIT).await;
        let code = Some(CloseCode::NORMAL);
        assert_eq!(rest.last(), Some(&Event::Stopped { code }), "{rest:#?}");
        drop(handle);
    }))
    .await;

    eventually("the gateway saw every connection end", WAIT, || {
        sim.connections().iter().all(|c| c.ended_at.is_some())
    })
    .await;
    let conns = sim.connections();
    assert_eq!(conns.len(), CONNECTIONS, "no reconnects");
    let mut sessions = HashSet::new();
    for conn in &conns {
        assert_eq!(conn.received_ops().first(), Some(&0), "conn {}", conn.index);
        assert!(conn.heartbeats() >= 1, "conn {}", conn.index);
        assert!(
            conn.sent_ops().contains(&6),
            "conn {} got an ACK",
            conn.index
        );
        assert_eq!(
            conn.closed_by_client,
            Some(Some(1000)),
            "conn {}",
            conn.index
        );
        sessions.insert(conn.session_id.clone());
    }
    assert_eq!(sessions.len(), CONNECTIONS, "one session per connection");
}
