//! Liveness against a slow gateway (docs/protocol.md, "Heartbeat and
//! liveness").

use std::time::Duration;

use voice_ws_proto::Event;
use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::{
    Driver, HEARTBEAT_MS, WAIT, collect_until, credentials_for, fast_config, is_ready, sim_config,
    start_sim,
};

/// The gateway answers every heartbeat 1.5 intervals late (the sim's
/// `slow-acks` scenario at this interval). With `heartbeat_tolerance` 2,
/// each late ACK echoes a nonce sent on this socket and proves it alive: no
/// zombie over eight ACK events, one connection, and each RTT reads at least an
/// interval, measured from the answered beat's own send time.
pub async fn a_slow_gateway_is_not_a_zombie_with_tolerance_2(driver: &impl Driver) {
    let interval = Duration::from_secs_f64(HEARTBEAT_MS / 1000.0);
    let slow = ConnectionPlan::new().then(Trigger::OnOpen, Action::DelayAcks(interval * 3 / 2));
    let sim = start_sim(sim_config(vec![slow])).await;
    let mut session = fast_config();
    session.transport.heartbeat_tolerance = 2;
    let (_handle, mut events) = driver.connect(session, credentials_for(&sim));

    collect_until(&mut events, is_ready, WAIT).await;
    let mut acks = Vec::new();
    while acks.len() < 8 {
        let seen = collect_until(
            &mut events,
            |e| matches!(e, Event::HeartbeatAck { .. } | Event::Zombified),
            WAIT,
        )
        .await;
        assert!(!seen.contains(&Event::Zombified), "{seen:#?}");
        if let Some(Event::HeartbeatAck { rtt }) = seen.last() {
            acks.push(*rtt);
        }
    }
    for rtt in &acks {
        assert!(*rtt >= interval, "RTT {rtt:?} of a 1.5-interval ACK");
    }
    assert_eq!(sim.connections().len(), 1, "never dropped");
}
