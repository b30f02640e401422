//! Identify, Hello, Ready, then Select Protocol answered by Session Description.

use std::time::Duration;

use serde_json::json;
use voice_ws_proto::codec::SelectProtocol;
use voice_ws_proto::{ClientMessage, Event};

use crate::{
    Driver, DriverHandle, SESSION_ID, TOKEN, WAIT, collect_until, credentials_for, fast_config,
    first_received_json, identify_json, is_ready, is_session_description, next_event_matching,
    sim_config, start_sim,
};

/// A healthy gateway. The client sends Identify with the literal fields of
/// docs/protocol.md on `/?v=8`; the application sees Connected first, then Hello
/// (100 ms, from the float `100.0`) before Ready, whose fields are the ones
/// the gateway sent. After Select Protocol, Session Description arrives
/// with the mode asked for, the gateway's key and DAVE version 1.
pub async fn handshake(driver: &impl Driver) {
    let sim = start_sim(sim_config(vec![])).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let seen = collect_until(&mut events, is_ready, WAIT).await;
    assert_eq!(seen.first(), Some(&Event::Connected), "{seen:#?}");
    let hello = Event::Hello {
        heartbeat_interval: Duration::from_millis(100),
    };
    assert!(
        seen.contains(&hello),
        "Hello(100 ms) before Ready: {seen:#?}"
    );
    let Some(Event::Ready(ready)) = seen.last() else {
        panic!("collect_until ends with Ready: {seen:#?}");
    };

    let conn = &sim.connections()[0];
    assert_eq!(conn.path.as_deref(), Some("/?v=8"));
    assert_eq!(first_received_json(conn), identify_json(SESSION_ID, TOKEN));
    let sent_ready = conn
        .sent_json()
        .into_iter()
        .find(|m| m["op"] == 2)
        .expect("the gateway sent Ready");
    assert_eq!(json!(ready.ssrc), sent_ready["d"]["ssrc"]);
    assert_eq!(ready.ip, "127.0.0.1");
    assert_eq!(ready.port, sim.udp_addr().port());
    assert_eq!(json!(ready.modes), sent_ready["d"]["modes"]);

    let select = SelectProtocol::new("127.0.0.1".into(), 50_000, "aead_aes256_gcm_rtpsize".into());
    handle
        .send(ClientMessage::SelectProtocol(select))
        .await
        .expect("Select Protocol is accepted after Ready");
    let Event::SessionDescription(description) =
        next_event_matching(&mut events, is_session_description, WAIT).await
    else {
        panic!("next_event_matching returns a Session Description");
    };
    assert_eq!(description.mode, "aead_aes256_gcm_rtpsize");
    assert_eq!(description.dave_protocol_version, 1);

    let conn = &sim.connections()[0];
    let received = conn.received_json();
    assert!(
        received.contains(&json!({"op": 1, "d": {
            "protocol": "udp",
            "data": {"address": "127.0.0.1", "port": 50_000, "mode": "aead_aes256_gcm_rtpsize"},
        }})),
        "Select Protocol on the wire: {received:#?}"
    );
    let sent_description = conn
        .sent_json()
        .into_iter()
        .find(|m| m["op"] == 4)
        .expect("the gateway sent Session Description");
    assert_eq!(
        json!(description.secret_key.0.to_vec()),
        sent_description["d"]["secret_key"]
    );
    // Identify once, then only heartbeats and Select Protocol.
    let ops = conn.received_ops();
    assert_eq!(ops.first(), Some(&0), "{ops:?}");
    assert!(ops[1..].iter().all(|op| [1, 3].contains(op)), "{ops:?}");
    assert_eq!(sim.connections().len(), 1);
}
