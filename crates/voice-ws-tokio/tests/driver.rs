//! The tokio driver against the local voice gateway sim, over real
//! loopback sockets with 100–150 ms heartbeats. Expectations come from
//! docs/protocol.md and are checked on both sides: the events the application
//! sees, and the frames the sim recorded.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    SERVER_ID, TOKEN, WAIT, config, credentials, eventually, is_ready, is_resumed, next, until,
    until_end,
};
use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Sim, SimConfig, Trigger};
use voice_ws_tokio::proto::codec::{DecodeError, Identify, Incoming, ServerMessage, Speaking};
use voice_ws_tokio::{
    ClientMessage, CloseCode, Endpoint, Event, Invalidation, Phase, SendError, SocketLoss, spawn,
};

async fn sim(plans: Vec<ConnectionPlan>) -> Sim {
    let config = SimConfig::default()
        .with_heartbeat_interval_ms(100.0)
        // The tests assert literal seqs; the sim's default start is random.
        .with_start_seq(0)
        .with_plans(plans);
    Sim::start(config).await.unwrap()
}

fn speaking(ssrc: u32) -> ServerPush {
    ServerPush::Speaking {
        user_id: "1001".into(),
        ssrc,
        speaking: 1,
    }
}

fn speaking_ssrc(event: &Event) -> Option<u32> {
    match event {
        Event::Message(Incoming {
            message: ServerMessage::Speaking(s),
            ..
        }) => Some(s.ssrc),
        _ => None,
    }
}

#[tokio::test]
async fn handshake_sends_identify_and_delivers_connected_hello_ready() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));

    assert_eq!(next(&mut events).await, Some(Event::Connected));
    let seen = until(&mut events, is_ready).await;
    assert!(seen.contains(&Event::Hello {
        heartbeat_interval: Duration::from_millis(100)
    }));
    assert_eq!(handle.status().phase, Phase::Active);

    let conn = &sim.connections()[0];
    assert_eq!(conn.path.as_deref(), Some("/?v=8"));
    let identify = &conn.received_json()[0];
    assert_eq!(identify["op"], 0);
    assert_eq!(identify["d"]["server_id"], SERVER_ID);
    assert_eq!(identify["d"]["session_id"], "session-1");
    assert_eq!(identify["d"]["token"], TOKEN);
}

#[tokio::test]
async fn heartbeat_ack_reports_rtt() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));

    let seen = until(&mut events, |e| matches!(e, Event::HeartbeatAck { .. })).await;
    let Some(Event::HeartbeatAck { rtt }) = seen.last() else {
        unreachable!()
    };
    assert!(*rtt < Duration::from_secs(5));
    eventually("status shows the ack", || {
        let status = handle.status();
        status.rtt.is_some() && status.stats.heartbeats_acked >= 1
    })
    .await;

    // v8 heartbeat: {"op":3,"d":{"t":<integer nonce>,"seq_ack":-1}} before any seq.
    let beats: Vec<_> = sim.connections()[0]
        .received_json()
        .into_iter()
        .filter(|m| m["op"] == 3)
        .collect();
    assert!(beats[0]["d"]["t"].is_u64());
    assert_eq!(beats[0]["d"]["seq_ack"], -1);
}

#[tokio::test]
async fn zombie_drops_the_socket_and_resumes() {
    let sim = sim(vec![ConnectionPlan::withhold_acks_after_heartbeats(1)]).await;
    let (_handle, mut events) = spawn(config(), credentials(&sim));

    until(&mut events, is_ready).await;
    let seen = until(&mut events, is_resumed).await;
    let zombie = seen.iter().position(|e| *e == Event::Zombified).unwrap();
    assert_eq!(
        seen[zombie + 1],
        Event::Disconnected {
            code: Some(CloseCode::RESUMABLE),
            by_self: true,
            lost: None,
        }
    );
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::Reconnecting {
            attempt: 1,
            resume: true,
            ..
        }
    )));

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    let resume = &conns[1].received_json()[0];
    assert_eq!(resume["op"], 7);
    assert_eq!(resume["d"]["session_id"], "session-1");
    assert_eq!(resume["d"]["token"], TOKEN);
    assert_eq!(resume["d"]["seq_ack"], -1);
}

#[tokio::test]
async fn silent_server_zombies_and_the_resume_replays_what_was_missed() {
    let sim = sim(vec![ConnectionPlan::silent_after_ready()]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));

    until(&mut events, is_ready).await;
    // Buffered by the silent server, so only a resume can deliver them.
    sim.push(speaking(11));
    sim.push(speaking(12));
    until(&mut events, |e| *e == Event::Zombified).await;
    until(&mut events, is_resumed).await;
    let first = until(&mut events, |e| speaking_ssrc(e).is_some()).await;
    let second = next(&mut events).await.unwrap();
    assert_eq!(speaking_ssrc(first.last().unwrap()), Some(11));
    assert_eq!(speaking_ssrc(&second), Some(12));
    // seqs 0 and 1 were delivered, so the next heartbeat acknowledges 1.
    eventually("seq_ack reaches 1", || handle.status().seq_ack == Some(1)).await;
    eventually("a heartbeat carries seq_ack 1", || {
        sim.connections()[1]
            .received_json()
            .iter()
            .any(|m| m["op"] == 3 && m["d"]["seq_ack"] == 1)
    })
    .await;
}

#[tokio::test]
async fn server_reset_without_close_frame_resumes() {
    let sim = sim(vec![ConnectionPlan::reset_after_heartbeats(1)]).await;
    let (_handle, mut events) = spawn(config(), credentials(&sim));

    until(&mut events, is_ready).await;
    let seen = until(&mut events, is_resumed).await;
    assert!(seen.contains(&Event::Disconnected {
        code: None,
        by_self: false,
        lost: Some(SocketLoss::Reset),
    }));
    assert_eq!(sim.connections()[1].received_ops()[0], 7);
}

#[tokio::test]
async fn close_4014_stops_without_reconnecting() {
    let sim = sim(vec![ConnectionPlan::close_after_ready(4014)]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));

    let seen = until(&mut events, |e| matches!(e, Event::Stopped { .. })).await;
    let code = Some(CloseCode::DISCONNECTED);
    assert!(seen.contains(&Event::Disconnected {
        code,
        by_self: false,
        lost: None,
    }));
    assert_eq!(seen.last(), Some(&Event::Stopped { code }));
    assert!(!seen.iter().any(|e| matches!(e, Event::Reconnecting { .. })));

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.connections().len(), 1);
    assert_eq!(handle.status().phase, Phase::Stopped);
    // A server's stop leaves the task waiting for new credentials; only
    // the application's close ends it.
    assert!(!handle.is_finished());
    handle.close().await;
    until_end(&mut events).await;
    eventually("task ended", || handle.is_finished()).await;
}

#[tokio::test]
async fn invalidated_session_identifies_again_with_new_credentials() {
    let sim = sim(vec![ConnectionPlan::close_after_ready(4006)]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));

    let seen = until(&mut events, |e| {
        matches!(e, Event::SessionInvalidated { .. })
    })
    .await;
    assert_eq!(
        seen.last(),
        Some(&Event::SessionInvalidated {
            code: Some(CloseCode::SESSION_NO_LONGER_VALID),
            reason: Invalidation::ClosedByServer,
        })
    );

    let mut fresh = credentials(&sim);
    fresh.session_id = "session-2".into();
    handle.update_credentials(fresh).await.unwrap();
    until(&mut events, is_ready).await;
    let identify = &sim.connections()[1].received_json()[0];
    assert_eq!(identify["op"], 0);
    assert_eq!(identify["d"]["session_id"], "session-2");
}

#[tokio::test]
async fn oversized_message_is_refused_unread_and_the_session_resumes() {
    let plan = ConnectionPlan::new().then(Trigger::AfterReady, Action::SendOversized(8192));
    let sim = sim(vec![plan]).await;
    let mut config = config();
    config.session.transport.max_message_size = 4096;
    let (_handle, mut events) = spawn(config, credentials(&sim));

    until(&mut events, is_ready).await;
    let seen = until(&mut events, is_resumed).await;
    assert!(seen.contains(&Event::InvalidFrame(DecodeError::TooLarge {
        size: 8192,
        max: 4096
    })));
    assert!(seen.contains(&Event::Disconnected {
        code: Some(CloseCode::MESSAGE_TOO_BIG),
        by_self: true,
        lost: None,
    }));
}

#[tokio::test]
async fn sends_reach_the_server_and_reserved_ops_are_refused() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));
    let ssrc = until(&mut events, is_ready)
        .await
        .into_iter()
        .find_map(|e| match e {
            Event::Ready(ready) => Some(ready.ssrc),
            _ => None,
        })
        .unwrap();

    let speaking = Speaking::new(1, ssrc);
    handle
        .send(ClientMessage::Speaking(speaking))
        .await
        .unwrap();
    handle.send_binary(vec![26, 1, 2, 3]).await.unwrap();
    eventually("the server got Speaking and the key package", || {
        let ops = sim.connections()[0].received_ops();
        ops.contains(&5) && ops.contains(&26)
    })
    .await;

    let identify = ClientMessage::Identify(Identify::new(
        SERVER_ID.into(),
        "1".into(),
        "s".into(),
        TOKEN.into(),
        0,
    ));
    assert_eq!(
        handle.send(identify).await,
        Err(SendError::Reserved { op: 0 })
    );
}

#[tokio::test]
async fn a_slow_reader_loses_nothing_and_heartbeats_go_on() {
    let sim = sim(vec![]).await;
    let config = config().with_event_buffer(1);
    let (handle, mut events) = spawn(config, credentials(&sim));
    until(&mut events, is_ready).await;

    for ssrc in 1..=40 {
        sim.push(speaking(ssrc));
    }
    // Not reading: the queue holds one event and the rest wait in the
    // core's bounded queue, received (acknowledged: seq_ack 39), and
    // heartbeats keep being ACKed.
    let acked = handle.stats().heartbeats_acked;
    tokio::time::sleep(Duration::from_millis(450)).await;
    let status = handle.status();
    assert!(status.stats.heartbeats_acked >= acked + 2, "{status:?}");
    assert_eq!(status.seq_ack, Some(39), "{status:?}");

    let mut ssrcs = Vec::new();
    while ssrcs.len() < 40 {
        if let Some(ssrc) = speaking_ssrc(&next(&mut events).await.unwrap()) {
            ssrcs.push(ssrc);
        }
    }
    assert_eq!(ssrcs, (1..=40).collect::<Vec<_>>());
}

#[tokio::test]
async fn dropped_events_are_discarded_and_the_connection_goes_on() {
    let sim = sim(vec![]).await;
    let config = config().with_event_buffer(1);
    let (handle, mut events) = spawn(config, credentials(&sim));
    until(&mut events, is_ready).await;

    drop(events);
    for ssrc in 1..=5 {
        sim.push(speaking(ssrc));
    }
    // Taken from the core and dropped: acknowledged, as nobody will read them.
    eventually("seq_ack reaches 4", || handle.status().seq_ack == Some(4)).await;
    let acked = handle.stats().heartbeats_acked;
    eventually("heartbeats go on", || {
        handle.stats().heartbeats_acked >= acked + 2
    })
    .await;
    assert_eq!(handle.status().phase, Phase::Active);
}

#[tokio::test]
async fn sends_wait_for_room_among_the_commands() {
    let sim = sim(vec![]).await;
    let config = config().with_command_buffer(1);
    let (handle, mut events) = spawn(config, credentials(&sim));
    let ssrc = until(&mut events, is_ready)
        .await
        .into_iter()
        .find_map(|e| match e {
            Event::Ready(ready) => Some(ready.ssrc),
            _ => None,
        })
        .unwrap();

    let sends = (0..20).map(|_| {
        let speaking = Speaking::new(1, ssrc);
        handle.send(ClientMessage::Speaking(speaking))
    });
    let verdicts = tokio::time::timeout(WAIT, futures_util::future::join_all(sends))
        .await
        .expect("every send got its verdict");
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
    eventually("the server got all 20", || {
        let ops = sim.connections()[0].received_ops();
        ops.iter().filter(|&&op| op == 5).count() == 20
    })
    .await;
}

#[tokio::test]
async fn graceful_close_sends_1000_and_stops() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));
    until(&mut events, is_ready).await;

    handle.close().await;
    eventually("task ended", || handle.is_finished()).await;
    let seen = until_end(&mut events).await;
    let code = Some(CloseCode::NORMAL);
    assert!(seen.contains(&Event::Disconnected {
        code,
        by_self: true,
        lost: None,
    }));
    assert_eq!(seen.last(), Some(&Event::Stopped { code }));
    eventually("the server saw our close", || {
        sim.connections()[0].closed_by_client == Some(Some(1000))
    })
    .await;
    assert_eq!(
        handle.send_text("{}").await,
        Err(SendError::Ended),
        "sends after the end are refused"
    );
}

#[tokio::test]
async fn force_close_ends_the_task_and_the_socket() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));
    until(&mut events, is_ready).await;

    handle.force_close();
    until_end(&mut events).await;
    assert!(handle.is_finished());
    eventually("the server saw the socket end", || {
        sim.connections()[0].ended_at.is_some()
    })
    .await;
    assert_eq!(handle.heartbeat_now().await, Err(SendError::Ended));
    assert_eq!(sim.connections().len(), 1);
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection() {
    let sim = sim(vec![]).await;
    let (handle, mut events) = spawn(config(), credentials(&sim));
    until(&mut events, is_ready).await;

    let clone = handle.clone();
    drop(handle);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!clone.is_finished(), "a clone keeps it alive");
    assert!(clone.status().stats.heartbeats_acked >= 1);

    drop(clone);
    until_end(&mut events).await;
    eventually("the server saw the socket end", || {
        sim.connections()[0].ended_at.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.connections().len(), 1, "no reconnect after the drop");
}

#[tokio::test]
async fn wss_is_tls_by_default_and_a_plain_server_is_refused() {
    let sim = sim(vec![]).await;
    let mut creds = credentials(&sim);
    // A bare endpoint is always wss://, even when ws:// is allowed.
    creds.endpoint = Endpoint::parse(&sim.endpoint(), true).unwrap();
    assert!(creds.endpoint.is_secure());
    let (handle, mut events) = spawn(config(), creds);

    let seen = until(&mut events, |e| {
        matches!(e, Event::Reconnecting { attempt: 2, .. })
    })
    .await;
    assert!(!seen.contains(&Event::Connected));
    assert!(sim.connections().iter().all(|c| c.path.is_none()));
    handle.force_close();
}
