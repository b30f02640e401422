//! Ending a connection from the application's side.

use std::time::Duration;

use voice_ws_proto::codec::Speaking;
use voice_ws_proto::{ClientMessage, CloseCode, Event, SendError};
use voice_ws_sim::SimConfig;

use crate::{
    Driver, DriverHandle, WAIT, collect_to_end, collect_until, credentials_for, fast_config,
    is_heartbeat_ack, is_ready, received_closes, sim_config, start_sim, wait_for_end,
};

/// Heartbeat interval of the absence checks here: a wide gap to look into.
const SLOW_HEARTBEAT_MS: f64 = 200.0;

fn speaking() -> ClientMessage {
    ClientMessage::Speaking(Speaking::new(1, 7))
}

/// `close()`: the client sends close 1000 (recorded by the gateway, which
/// answers it), the application sees Disconnected{1000, by_self} and
/// Stopped{1000} last, the event stream ends, sends are refused with
/// `Ended`, and no new connection follows.
pub async fn graceful_close(driver: &impl Driver) {
    let sim = start_sim(sim_config(vec![])).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    handle.close().await;
    let seen = collect_to_end(&mut events, WAIT).await;
    let code = Some(CloseCode::NORMAL);
    assert!(
        seen.contains(&Event::Disconnected {
            code,
            by_self: true,
            lost: None,
        }),
        "{seen:#?}"
    );
    assert_eq!(seen.last(), Some(&Event::Stopped { code }), "{seen:#?}");
    assert_eq!(handle.send(speaking()).await, Err(SendError::Ended));

    wait_for_end(&sim, 0).await;
    let conns = sim.connections();
    assert_eq!(conns[0].closed_by_client, Some(Some(1000)));
    assert_eq!(received_closes(&conns[0]), [Some(1000)]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.connections().len(), 1, "no reconnect after close");
}

/// `force_close()` right after a heartbeat was ACKed (200 ms interval):
/// the event stream ends, the gateway sees the socket end with nothing
/// more received (no close frame, no heartbeat), sends are refused with
/// `Ended`, and three intervals later there is still one connection.
pub async fn force_close_is_silent(driver: &impl Driver) {
    let sim = start_sim(SimConfig::default().with_heartbeat_interval_ms(SLOW_HEARTBEAT_MS)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_heartbeat_ack, WAIT).await;

    let before = sim.connections()[0].received.clone();
    handle.force_close();
    collect_to_end(&mut events, WAIT).await;
    wait_for_end(&sim, 0).await;
    assert_eq!(handle.send(speaking()).await, Err(SendError::Ended));
    tokio::time::sleep(Duration::from_millis(600)).await;

    let conns = sim.connections();
    assert_eq!(conns.len(), 1, "no reconnect after force_close");
    assert_eq!(conns[0].received, before, "nothing sent after force_close");
    assert_eq!(conns[0].closed_by_client, None);
}

/// Dropping the handle: the event stream ends, the gateway sees the socket
/// end, and three intervals later there is still one connection.
pub async fn dropping_the_handle_closes(driver: &impl Driver) {
    let sim = start_sim(SimConfig::default().with_heartbeat_interval_ms(SLOW_HEARTBEAT_MS)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    drop(handle);
    collect_to_end(&mut events, WAIT).await;
    wait_for_end(&sim, 0).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sim.connections().len(), 1, "no reconnect after the drop");
}
