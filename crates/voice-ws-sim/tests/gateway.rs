//! The sim against a raw client speaking `docs/protocol.md` literally.

mod client;

use std::time::Duration;

use client::{Client, IDENTIFY, SELECT_PROTOCOL, heartbeat, resume, seq_of};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Error, Message};
use voice_ws_sim::{
    Action, ConnectionPlan, Pushed, RateLimit, RecordedFrame, ServerPush, Sim, SimConfig, Trigger,
    scenario,
};

const QUIET: Duration = Duration::from_millis(250);
const WAIT: Duration = Duration::from_secs(5);

async fn sim(config: SimConfig) -> Sim {
    Sim::start(config).await.expect("sim starts")
}

fn speaking(user: &str) -> ServerPush {
    ServerPush::Speaking {
        user_id: user.into(),
        ssrc: 7,
        speaking: 1,
    }
}

/// The recorded first seq of the session on connection `index`.
fn start_seq(sim: &Sim, index: usize) -> u16 {
    sim.connections()[index]
        .start_seq
        .expect("the connection identified or resumed")
}

/// Polls until the sim has seen the connection end (its task recorded `ended_at`).
async fn ended(sim: &Sim, index: usize) -> voice_ws_sim::ConnectionLog {
    for _ in 0..100 {
        let log = sim
            .connections()
            .into_iter()
            .nth(index)
            .expect("connection exists");
        if log.ended_at.is_some() {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("connection {index} did not end");
}

#[tokio::test]
async fn handshake_hello_ready_session_description() {
    let sim = sim(SimConfig::default()
        .with_heartbeat_interval_ms(13750.0)
        .with_dave_protocol_version(3))
    .await;
    let mut client = Client::connect(&sim).await;

    let hello = client.recv_text().await;
    assert!(
        hello.contains("13750.0"),
        "interval sent as a float: {hello}"
    );
    let hello: Value = serde_json::from_str(&hello).expect("JSON");
    assert_eq!(
        hello,
        json!({"op":8,"d":{"v":8,"heartbeat_interval":13750.0}})
    );

    client.send(IDENTIFY).await;
    let ready = client.recv_json().await;
    assert_eq!(ready["op"], 2);
    assert!(ready["d"]["ssrc"].is_u64());
    assert_eq!(ready["d"]["ip"], "127.0.0.1");
    assert!(ready["d"]["port"].is_u64());
    assert_eq!(
        ready["d"]["modes"],
        json!(["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"])
    );
    assert!(ready.get("seq").is_none(), "Ready is not replayable");

    // Session Description only comes after Select Protocol.
    client.expect_silence(QUIET).await;
    client.send(SELECT_PROTOCOL).await;
    let description = client.recv_json().await;
    assert_eq!(description["op"], 4);
    assert_eq!(description["d"]["mode"], "aead_xchacha20_poly1305_rtpsize");
    let key = description["d"]["secret_key"]
        .as_array()
        .expect("key array");
    assert_eq!(key.len(), 32);
    assert!(key.iter().all(|b| b.as_u64().is_some_and(|b| b < 256)));
    // min(server 3, client max 1)
    assert_eq!(description["d"]["dave_protocol_version"], 1);

    let log = &sim.connections()[0];
    assert_eq!(log.path.as_deref(), Some("/?v=8"));
    assert_eq!(log.received_ops(), [0, 1]);
    assert_eq!(log.sent_ops(), [8, 2, 4]);
    assert_eq!(log.session_id.as_deref(), Some("my_session_id"));
    assert!(sim.url().ends_with("/?v=8") && sim.url().contains(&sim.endpoint()));
    sim.shutdown().await;
}

#[tokio::test]
async fn heartbeat_ack_echoes_nonce_and_records_seq_ack() {
    let sim = sim(SimConfig::default()).await;
    // Heartbeats before Identify are answered too.
    let mut client = Client::hello(&sim).await;
    client.send(r#"{"op":3,"d":{"t":123,"seq_ack":-1}}"#).await;
    assert_eq!(client.recv_text().await, r#"{"op":6,"d":{"t":123}}"#);

    client.send(&heartbeat(9_007_199_254_740_991, 41)).await;
    assert_eq!(
        client.recv_json().await,
        json!({"op":6,"d":{"t":9_007_199_254_740_991_u64}})
    );
    let log = &sim.connections()[0];
    assert_eq!(log.last_seq_ack, Some(41));
    assert_eq!(log.heartbeats(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn pushes_share_one_seq_space_across_json_and_binary() {
    let sim = sim(SimConfig::default().with_start_seq(0x1234)).await;
    let (mut client, _) = Client::ready(&sim).await;

    sim.push(ServerPush::dave_external_sender(&[1, 2, 3]));
    assert_eq!(client.recv_binary().await, [0x12, 0x34, 25, 1, 2, 3]);

    sim.push(speaking("42"));
    let msg = client.recv_json().await;
    assert_eq!(
        msg,
        json!({"op":5,"d":{"user_id":"42","ssrc":7,"speaking":1},"seq":0x1235})
    );

    sim.push(ServerPush::dave_announce_commit(0x0102, &[9]));
    assert_eq!(client.recv_binary().await, [0x12, 0x36, 29, 0x01, 0x02, 9]);
    sim.push(ServerPush::dave_welcome(5, &[]));
    assert_eq!(client.recv_binary().await, [0x12, 0x37, 30, 0, 5]);

    sim.push(ServerPush::DavePrepareTransition {
        transition_id: 3,
        protocol_version: 1,
    });
    sim.push(ServerPush::DaveExecuteTransition { transition_id: 3 });
    sim.push(ServerPush::dave_prepare_epoch(3, 1, 1));
    sim.push(ServerPush::ClientsConnect(vec!["1".into(), "2".into()]));
    sim.push(ServerPush::ClientDisconnect("2".into()));
    sim.push(ServerPush::Json {
        op: 24,
        d: r#"{"epoch":2}"#.into(),
    });
    let expected = [
        json!({"op":11,"d":{"user_ids":["1","2"]},"seq":0x123b}),
        json!({"op":13,"d":{"user_id":"2"},"seq":0x123c}),
        json!({"op":24,"d":{"epoch":2},"seq":0x123d}),
    ];
    assert_eq!(
        client.recv_json().await,
        json!({"op":21,"d":{"transition_id":3,"protocol_version":1},"seq":0x1238})
    );
    assert_eq!(
        client.recv_json().await,
        json!({"op":22,"d":{"transition_id":3},"seq":0x1239})
    );
    // Field order as in Discord's docs.
    assert_eq!(
        client.recv_text().await,
        r#"{"op":24,"d":{"transition_id":3,"epoch":1,"protocol_version":1},"seq":4666}"#
    );
    for want in expected {
        assert_eq!(client.recv_json().await, want);
    }

    // Raw messages take no seq.
    sim.push(ServerPush::RawText(r#"{"op":20,"d":{}}"#.into()));
    assert_eq!(client.recv_text().await, r#"{"op":20,"d":{}}"#);
    sim.push(speaking("43"));
    assert_eq!(client.recv_json().await["seq"], 0x123e);
    sim.shutdown().await;
}

#[tokio::test]
async fn pushes_made_before_any_session_follow_ready() {
    let sim = sim(SimConfig::default()
        .with_plan(ConnectionPlan::new().then(Trigger::OnOpen, Action::Push(speaking("plan")))))
    .await;
    sim.push(speaking("early"));
    let (mut client, _) = Client::ready(&sim).await;
    let start = start_seq(&sim, 0);
    let first = client.recv_json().await;
    let second = client.recv_json().await;
    assert_eq!(
        (&first["d"]["user_id"], &first["seq"]),
        (&json!("early"), &json!(start))
    );
    assert_eq!(
        (&second["d"]["user_id"], &second["seq"]),
        (&json!("plan"), &json!(start.wrapping_add(1)))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn go_silent_then_resume_replays_what_was_missed() {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::Push(speaking("seen")))
        .then(Trigger::AfterReady, Action::GoSilent);
    let sim = sim(SimConfig::default().with_start_seq(0).with_plan(plan)).await;
    let (mut zombie, _) = Client::ready(&sim).await;
    assert_eq!(zombie.recv_json().await["seq"], 0);

    sim.push(speaking("missed-1"));
    sim.push(ServerPush::dave_proposals(&[7]));
    zombie.send(&heartbeat(1, 0)).await;
    zombie.expect_silence(QUIET).await;

    // Resume on a new socket while the silent one is still open.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(0)).await;
    assert_eq!(client.recv_text().await, r#"{"op":9,"d":null}"#);
    let replay_1 = client.recv_json().await;
    assert_eq!(
        replay_1,
        json!({"op":5,"d":{"user_id":"missed-1","ssrc":7,"speaking":1},"seq":1})
    );
    assert_eq!(client.recv_binary().await, [0, 2, 27, 7]);
    client.expect_silence(QUIET).await;

    // The resumed connection is now the live one.
    sim.push(speaking("live"));
    assert_eq!(client.recv_json().await["seq"], 3);
    client.send(&heartbeat(5, 3)).await;
    assert_eq!(client.recv_json().await, json!({"op":6,"d":{"t":5}}));

    // seq_ack -1 replays everything buffered.
    let mut again = Client::hello(&sim).await;
    again.send(&resume(-1)).await;
    assert_eq!(again.recv_json().await["op"], 9);
    let mut seqs = Vec::new();
    for _ in 0..4 {
        seqs.push(seq_of(&again.recv().await));
    }
    assert_eq!(seqs, [0, 1, 2, 3]);

    let logs = sim.connections();
    assert_eq!(logs[0].sent_ops(), [8, 2, 5], "nothing after silence");
    assert_eq!(logs[1].last_seq_ack, Some(3));
    assert_eq!(logs[2].last_seq_ack, Some(-1));
    drop(zombie);
    sim.shutdown().await;
}

#[tokio::test]
async fn resume_of_unknown_or_refused_session_closes_4006() {
    let sim = sim(SimConfig::default()
        .with_plan(ConnectionPlan::default())
        .with_plan(ConnectionPlan::refuse_resume(4006)))
    .await;
    let (mut first, _) = Client::ready(&sim).await;
    first.close(1000).await;

    // Refused although the session exists...
    let mut refused = Client::hello(&sim).await;
    refused.send(&resume(-1)).await;
    assert_eq!(refused.recv_close().await, Some(4006));

    // ...and then it is gone for good.
    let mut unknown = Client::hello(&sim).await;
    unknown.send(&resume(-1)).await;
    assert_eq!(unknown.recv_close().await, Some(4006));

    let logs = sim.connections();
    assert_eq!(logs[1].server_close(), Some(Some(4006)));
    assert_eq!(logs[1].sent_ops(), [8]);
    sim.shutdown().await;
}

/// A session with `n` messages pushed (seqs `start..start+n`) and received,
/// whose connection was then closed by the client.
async fn session_with_pushes(sim: &Sim, n: u16) {
    let (mut client, _) = Client::ready(sim).await;
    for i in 0..n {
        sim.push(speaking(&format!("u{i}")));
        client.recv_json().await;
    }
    client.close(1000).await;
}

#[tokio::test]
async fn a_push_says_which_session_took_it() {
    let gw = sim(SimConfig::default()
        .with_start_seq(100)
        .with_replay_capacity(1))
    .await;
    assert_eq!(gw.push(speaking("early")), Pushed::Held);
    assert_eq!(gw.active_session(), None);
    let (mut first, _) = Client::ready(&gw).await;
    assert_eq!(first.recv_json().await["d"]["user_id"], "early");
    assert_eq!(gw.push(speaking("one")), Pushed::Session(1));
    assert_eq!(first.recv_json().await["seq"], 101);
    assert_eq!(gw.active_session(), Some(1));
    first.close(1000).await;

    // 100 is gone from the one-message replay buffer: the session ends.
    let mut late = Client::hello(&gw).await;
    late.send(&resume(99)).await;
    assert_eq!(late.recv_close().await, Some(4006));
    assert_eq!(gw.active_session(), None);
    assert_eq!(gw.push(speaking("between")), Pushed::Held);

    let (mut second, _) = Client::ready(&gw).await;
    assert_eq!(second.recv_json().await["d"]["user_id"], "between");
    assert_eq!(gw.active_session(), Some(2));
    assert_eq!(gw.push(speaking("two")), Pushed::Session(2));
    assert_eq!(second.recv_json().await["d"]["user_id"], "two");
    gw.shutdown().await;
}

#[tokio::test]
async fn resume_past_the_replay_buffer_closes_4006() {
    let config = || {
        SimConfig::default()
            .with_start_seq(100)
            .with_replay_capacity(3)
    };
    // Five pushed (100..=104), three kept (102..=104).
    let gw = sim(config()).await;
    session_with_pushes(&gw, 5).await;
    let mut client = Client::hello(&gw).await;
    client.send(&resume(101)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    let replay: Vec<u16> = [
        client.recv().await,
        client.recv().await,
        client.recv().await,
    ]
    .iter()
    .map(seq_of)
    .collect();
    assert_eq!(replay, [102, 103, 104]);
    client.expect_silence(QUIET).await;
    client.close(1000).await;
    // Nothing missed: resumes, replays nothing.
    let mut client = Client::hello(&gw).await;
    client.send(&resume(104)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    client.expect_silence(QUIET).await;
    client.close(1000).await;
    // Asks for 101, which is gone: 4006 instead of a replay with a gap...
    let mut client = Client::hello(&gw).await;
    client.send(&resume(100)).await;
    assert_eq!(client.recv_close().await, Some(4006));
    assert_eq!(ended(&gw, 3).await.sent_ops(), [8]);
    // ...and the session is gone for good.
    let mut client = Client::hello(&gw).await;
    client.send(&resume(104)).await;
    assert_eq!(client.recv_close().await, Some(4006));
    gw.shutdown().await;

    // seq_ack -1 after an eviction.
    let gw = sim(config()).await;
    session_with_pushes(&gw, 4).await;
    let mut client = Client::hello(&gw).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_close().await, Some(4006));
    gw.shutdown().await;

    // seq_ack -1 with nothing evicted replays everything.
    let gw = sim(config()).await;
    session_with_pushes(&gw, 3).await;
    let mut client = Client::hello(&gw).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    for want in 100..103 {
        assert_eq!(seq_of(&client.recv().await), want);
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn replay_gap_detection_uses_serial_order_across_the_wrap() {
    // 65534, 65535, 0, 1, 2 pushed; 0..=2 kept; 65535 evicted.
    let config = || {
        SimConfig::default()
            .with_start_seq(65534)
            .with_replay_capacity(3)
    };
    let gw = sim(config()).await;
    session_with_pushes(&gw, 5).await;
    let mut client = Client::hello(&gw).await;
    client.send(&resume(65535)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    for want in [0, 1, 2] {
        assert_eq!(seq_of(&client.recv().await), want);
    }
    gw.shutdown().await;

    let gw = sim(config()).await;
    session_with_pushes(&gw, 5).await;
    let mut client = Client::hello(&gw).await;
    client.send(&resume(65534)).await;
    assert_eq!(client.recv_close().await, Some(4006));
    gw.shutdown().await;
}

#[tokio::test]
async fn a_session_without_ready_cannot_be_resumed_and_identifies_afresh() {
    let plan = ConnectionPlan::new().then(Trigger::BeforeReady, Action::Reset);
    let sim = sim(SimConfig::default().with_start_seq(7).with_plan(plan)).await;
    // Dropped after Identify, before Ready.
    let mut client = Client::hello(&sim).await;
    client.send(IDENTIFY).await;
    assert!(matches!(client.next().await, Some(Err(_)) | None));
    assert_eq!(ended(&sim, 0).await.sent_ops(), [8]);
    // Pushed while no session has had Ready: held for the next Ready.
    sim.push(speaking("held"));

    // Nothing to resume: 4006, even with the right credentials.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_close().await, Some(4006));

    // The same credentials identify again: a fresh session, Ready again.
    let (mut client, _) = Client::ready(&sim).await;
    let held = client.recv_json().await;
    assert_eq!(
        (&held["d"]["user_id"], &held["seq"]),
        (&json!("held"), &json!(7))
    );
    client.close(1000).await;
    // That one reached Ready, so it resumes.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(7)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    let logs = sim.connections();
    assert_eq!(logs[0].session_id.as_deref(), Some("my_session_id"));
    assert_eq!(logs[2].sent_ops(), [8, 2, 5]);
    sim.shutdown().await;
}

#[tokio::test]
async fn pushes_scheduled_before_ready_follow_ready_or_the_replay() {
    let before =
        |who: &str| ConnectionPlan::new().then(Trigger::BeforeReady, Action::Push(speaking(who)));
    let sim = sim(SimConfig::default()
        .with_start_seq(0)
        .with_plan(before("identify"))
        .with_plan(before("resume")))
    .await;
    let (mut client, _) = Client::ready(&sim).await;
    assert_eq!(client.recv_json().await["seq"], 0);
    sim.push(speaking("live"));
    assert_eq!(client.recv_json().await["seq"], 1);
    client.close(1000).await;
    let mut client = Client::hello(&sim).await;
    client.send(&resume(0)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    let replayed = client.recv_json().await;
    assert_eq!(
        (&replayed["d"]["user_id"], &replayed["seq"]),
        (&json!("live"), &json!(1))
    );
    let pushed = client.recv_json().await;
    assert_eq!(
        (&pushed["d"]["user_id"], &pushed["seq"]),
        (&json!("resume"), &json!(2))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn withheld_ready_leaves_the_socket_open_and_unresumable() {
    let sim = sim(SimConfig::default().with_plan(ConnectionPlan::withhold_ready())).await;
    let mut stalled = Client::hello(&sim).await;
    stalled.send(IDENTIFY).await;
    stalled.send(&heartbeat(1, -1)).await;
    stalled.expect_silence(QUIET).await;

    let mut client = Client::hello(&sim).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_close().await, Some(4006));
    // Re-Identify while the stalled socket is still open.
    let (mut client, ready) = Client::ready(&sim).await;
    assert_eq!(ready["op"], 2);
    client.send(&heartbeat(2, -1)).await;
    assert_eq!(client.recv_json().await["op"], 6);
    assert_eq!(sim.connections()[0].sent_ops(), [8]);
    drop(stalled);
    sim.shutdown().await;
}

#[tokio::test]
async fn before_ready_on_resume_ends_before_resumed() {
    let sim = sim(SimConfig::default()
        .with_start_seq(0)
        .with_plan(ConnectionPlan::default())
        .with_plan(ConnectionPlan::close_before_ready(4015)))
    .await;
    session_with_pushes(&sim, 2).await;
    let mut client = Client::hello(&sim).await;
    client.send(&resume(0)).await;
    assert_eq!(client.recv_close().await, Some(4015));
    assert_eq!(ended(&sim, 1).await.sent_ops(), [8]);
    // Still resumable: it had Ready on connection 0.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(0)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    assert_eq!(seq_of(&client.recv().await), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn seqs_wrap_and_replay_across_the_wrap() {
    let sim = sim(SimConfig::default().with_start_seq(65534)).await;
    let (mut client, _) = Client::ready(&sim).await;
    sim.push(speaking("a"));
    sim.push(ServerPush::dave_external_sender(&[]));
    sim.push(speaking("b"));
    sim.push(ServerPush::dave_proposals(&[]));
    let first = client.recv_json().await;
    assert_eq!(first["seq"], 65534);
    assert_eq!(client.recv_binary().await, [0xff, 0xff, 25]);
    assert_eq!(client.recv_json().await["seq"], 0);
    assert_eq!(client.recv_binary().await, [0x00, 0x01, 27]);
    client.close(4000).await;

    let mut resumed = Client::hello(&sim).await;
    resumed.send(&resume(65535)).await;
    assert_eq!(resumed.recv_json().await["op"], 9);
    assert_eq!(seq_of(&resumed.recv().await), 0);
    assert_eq!(seq_of(&resumed.recv().await), 1);
    resumed.expect_silence(QUIET).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn wraparound_scenario_holds_back_post_wrap_messages() {
    let config = scenario::config("wraparound").expect("scenario exists");
    let sim = sim(config).await;
    let (mut client, _) = Client::ready(&sim).await;
    let mut seqs = Vec::new();
    for _ in 0..3 {
        seqs.push(seq_of(&client.recv().await));
    }
    assert_eq!(seqs, [65533, 65534, 65535]);
    for nonce in 1..=2 {
        client.send(&heartbeat(nonce, 65535)).await;
        assert_eq!(client.recv_json().await["op"], 6);
    }
    client.send(&heartbeat(3, 65535)).await;
    assert_eq!(client.recv_close().await, Some(4015));

    let mut resumed = Client::hello(&sim).await;
    resumed.send(&resume(65535)).await;
    assert_eq!(resumed.recv_json().await["op"], 9);
    let mut replay = Vec::new();
    for _ in 0..3 {
        replay.push(seq_of(&resumed.recv().await));
    }
    assert_eq!(replay, [0, 1, 2]);
    sim.shutdown().await;
}

#[tokio::test]
async fn withheld_acks_leave_everything_else_working() {
    let sim =
        sim(SimConfig::default().with_plan(ConnectionPlan::withhold_acks_after_heartbeats(2)))
            .await;
    let (mut client, _) = Client::ready(&sim).await;
    for nonce in 1..=2 {
        client.send(&heartbeat(nonce, -1)).await;
        assert_eq!(client.recv_json().await, json!({"op":6,"d":{"t":nonce}}));
    }
    client.send(&heartbeat(3, -1)).await;
    client.expect_silence(QUIET).await;
    client.send(SELECT_PROTOCOL).await;
    assert_eq!(client.recv_json().await["op"], 4);
    sim.push(speaking("x"));
    assert_eq!(client.recv_json().await["op"], 5);
    client.send(&heartbeat(4, 0)).await;
    client.expect_silence(QUIET).await;
    assert_eq!(sim.connections()[0].heartbeats(), 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn delayed_acks_and_timed_steps() {
    let delay = Duration::from_millis(200);
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::DelayAcks(delay))
        .then(
            Trigger::After(Duration::from_millis(700)),
            Action::Close(4009),
        );
    let sim = sim(SimConfig::default().with_plan(plan)).await;
    let (mut client, _) = Client::ready(&sim).await;
    let sent = tokio::time::Instant::now();
    client.send(&heartbeat(77, -1)).await;
    assert_eq!(client.recv_json().await["d"]["t"], 77);
    assert!(sent.elapsed() >= delay - Duration::from_millis(20));
    assert_eq!(client.recv_close().await, Some(4009));
    sim.shutdown().await;
}

/// A gateway consistently slower than one interval: every ACK comes 2.5
/// intervals after its heartbeat, echoing its nonce, in order.
#[tokio::test]
async fn acks_delayed_beyond_the_interval_keep_nonces_and_order() {
    let interval = Duration::from_millis(100);
    let delay = Duration::from_millis(250);
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::DelayAcks(delay))
        // A later switch back to immediate ACKs does not let one overtake.
        .then(
            Trigger::AfterHeartbeats(4),
            Action::DelayAcks(Duration::ZERO),
        );
    let sim = sim(SimConfig::default()
        .with_heartbeat_interval_ms(100.0)
        .with_plan(plan))
    .await;
    let (mut client, _) = Client::ready(&sim).await;
    let mut sent = Vec::new();
    for nonce in 1..=4_u64 {
        sent.push(tokio::time::Instant::now());
        client.send(&heartbeat(nonce, -1)).await;
        if nonce < 4 {
            tokio::time::sleep(interval).await;
        }
    }
    // Heartbeat 5 right away: ACKed immediately, but only after 1..=4.
    client.send(&heartbeat(5, -1)).await;
    let margin = Duration::from_millis(20);
    for nonce in 1..=5_u64 {
        let ack = client.recv_json().await;
        assert_eq!(ack, json!({"op":6,"d":{"t":nonce}}));
        if let Some(at) = sent.get(nonce as usize - 1) {
            assert!(at.elapsed() >= delay - margin, "ACK {nonce} early");
        }
    }
    client.expect_silence(QUIET).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn reset_sends_no_close_frame() {
    let sim = sim(SimConfig::default().with_plan(ConnectionPlan::reset_after_heartbeats(1))).await;
    let (mut client, _) = Client::ready(&sim).await;
    client.send(&heartbeat(1, -1)).await;
    assert_eq!(client.recv_json().await["op"], 6);
    match client.next().await {
        Some(Err(Error::Io(e))) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        other => panic!("expected a TCP reset, got {other:?}"),
    }
    let log = ended(&sim, 0).await;
    assert_eq!(log.server_close(), None);
    assert_eq!(log.closed_by_client, None);
    sim.shutdown().await;
}

#[tokio::test]
async fn close_frames_are_recorded_with_codes() {
    let sim =
        sim(SimConfig::default().with_plan(ConnectionPlan::close_after_heartbeats(1, 4015))).await;
    // Server-initiated: 4015 goes out, the client's reply is recorded as received.
    let (mut client, _) = Client::ready(&sim).await;
    client.send(&heartbeat(1, -1)).await;
    assert_eq!(client.recv_json().await["op"], 6);
    assert_eq!(client.recv_close().await, Some(4015));
    assert!(client.next().await.is_none(), "server ends the stream");
    let log = ended(&sim, 0).await;
    assert_eq!(log.server_close(), Some(Some(4015)));
    assert_eq!(log.closed_by_client, None);
    assert!(matches!(
        log.received.last().map(|r| &r.frame),
        Some(RecordedFrame::Close(Some(4015)))
    ));

    // Client-initiated.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_json().await["op"], 9);
    client.close(4242).await;
    assert_eq!(client.recv_close().await, Some(4242), "echoed");
    let log = ended(&sim, 1).await;
    assert_eq!(log.closed_by_client, Some(Some(4242)));
    assert_eq!(log.server_close(), Some(Some(4242)));
    let times: Vec<_> = log.received.iter().chain(&log.sent).map(|r| r.at).collect();
    assert!(times.iter().all(|at| *at >= log.opened_at));
    sim.shutdown().await;
}

#[tokio::test]
async fn fault_frames_are_exact() {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::SendMalformed)
        .then(Trigger::AfterReady, Action::SendUnknownOp)
        .then(Trigger::AfterReady, Action::SendShortBinary)
        .then(Trigger::AfterReady, Action::SendOversized(5000))
        .then(
            Trigger::AfterReady,
            Action::Push(ServerPush::RawBinary(vec![1])),
        );
    let sim = sim(SimConfig::default().with_start_seq(10).with_plan(plan)).await;
    let (mut client, _) = Client::ready(&sim).await;
    assert_eq!(client.recv_text().await, r#"{"op":"#);
    assert_eq!(client.recv_text().await, r#"{"op":18,"d":{"any":1}}"#);
    let unknown = client.recv_binary().await;
    assert_eq!(&unknown[..3], [0, 10, 99]);
    assert_eq!(client.recv_binary().await.len(), 2);
    let oversized = client.recv_text().await;
    assert_eq!(oversized.len(), 5000);
    assert_eq!(
        serde_json::from_str::<Value>(&oversized).expect("valid JSON")["op"],
        18
    );
    assert_eq!(client.recv_binary().await, [1]);
    // The unknown binary op took seq 10.
    sim.push(speaking("next"));
    assert_eq!(client.recv_json().await["seq"], 11);
    sim.shutdown().await;
}

#[tokio::test]
async fn numbered_oversized_messages_are_replayed_on_every_resume() {
    let plan = ConnectionPlan::new()
        .then(Trigger::AfterReady, Action::PushOversized(5000))
        .then(Trigger::AfterReady, Action::Push(speaking("after")));
    let sim = sim(SimConfig::default().with_plan(plan)).await;
    let (mut client, _) = Client::ready(&sim).await;
    let start = start_seq(&sim, 0);
    let check = |text: String| {
        assert_eq!(text.len(), 5000);
        let head = r#"{"op":18,"d":{"pad":"xxx"#;
        let tail = format!(r#"xxx"}},"seq":{start}}}"#);
        assert!(
            text.starts_with(head) && text.ends_with(&tail),
            "{}",
            &text[..40]
        );
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["seq"], start);
    };
    check(client.recv_text().await);
    assert_eq!(client.recv_json().await["seq"], start.wrapping_add(1));
    // What a client with a smaller limit does: 1009, and resume from before it.
    client.close(1009).await;
    for _ in 0..3 {
        let mut client = Client::hello(&sim).await;
        client.send(&resume(-1)).await;
        assert_eq!(client.recv_json().await["op"], 9);
        check(client.recv_text().await);
        assert_eq!(client.recv_json().await["seq"], start.wrapping_add(1));
        client.close(1009).await;
    }
    // Pushed from outside, it takes the next seq like any other.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(start.wrapping_add(1).into())).await;
    assert_eq!(client.recv_json().await["op"], 9);
    sim.push(ServerPush::oversized(64));
    let text = client.recv_text().await;
    assert_eq!(text.len(), 64);
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("JSON")["seq"],
        start.wrapping_add(2)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn client_garbage_closes_only_that_connection() {
    let sim = sim(SimConfig::default()).await;
    let (mut healthy, _) = Client::ready(&sim).await;

    // Known client ops, with unknown fields, are accepted.
    healthy
        .send(r#"{"op":5,"d":{"speaking":1,"delay":0,"ssrc":1},"extra":true}"#)
        .await;
    healthy.send(r#"{"op":23,"d":{"transition_id":1}}"#).await;
    healthy.send(r#"{"op":31,"d":{"transition_id":1}}"#).await;
    healthy.send_binary(&[26, 1, 2, 3]).await;
    healthy.send_binary(&[28, 4]).await;
    healthy.send(&heartbeat(1, -1)).await;
    assert_eq!(healthy.recv_json().await["op"], 6);

    // Garbage on another connection closes only that one.
    let mut garbage = Client::hello(&sim).await;
    garbage.send("not json").await;
    assert_eq!(garbage.recv_close().await, Some(4002));
    let mut no_op = Client::hello(&sim).await;
    no_op.send(r#"{"d":{}}"#).await;
    assert_eq!(no_op.recv_close().await, Some(4002));
    let (mut empty, _) = Client::ready(&sim).await;
    empty.send_binary(&[]).await;
    assert_eq!(empty.recv_close().await, Some(4002));

    healthy.send(&heartbeat(2, -1)).await;
    assert_eq!(healthy.recv_json().await["op"], 6);
    let log = &sim.connections()[0];
    assert_eq!(log.received_ops(), [0, 5, 23, 31, 26, 28, 3, 3]);
    assert_eq!(log.received_json()[1]["extra"], json!(true));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_client_ops_close_4001_after_being_recorded() {
    let sim = sim(SimConfig::default()).await;
    // Unknown JSON op, after Ready.
    let (mut client, _) = Client::ready(&sim).await;
    client.send(r#"{"op":99,"d":{"x":[1,2]}}"#).await;
    assert_eq!(client.recv_close().await, Some(4001));
    let log = ended(&sim, 0).await;
    assert_eq!(log.received_ops(), [0, 99]);
    assert_eq!(log.received_json()[1]["d"]["x"], json!([1, 2]));
    assert_eq!(log.server_close(), Some(Some(4001)));

    // A server-to-client op sent by the client is unknown too, even before Identify.
    for op in [2, 4, 6, 8, 9, 18, 24, 256] {
        let mut client = Client::hello(&sim).await;
        client.send(&format!(r#"{{"op":{op},"d":null}}"#)).await;
        assert_eq!(client.recv_close().await, Some(4001), "op {op}");
    }

    // Unknown binary ops (client frames are [op][payload], no seq).
    let (mut binary, _) = Client::ready(&sim).await;
    binary.send_binary(&[250, 1]).await;
    assert_eq!(binary.recv_close().await, Some(4001));
    let mut early = Client::hello(&sim).await;
    early.send_binary(&[25]).await;
    assert_eq!(early.recv_close().await, Some(4001));
    sim.shutdown().await;
}

#[tokio::test]
async fn authentication_rules() {
    let sim = sim(SimConfig::default()).await;
    let mut early = Client::hello(&sim).await;
    early.send(SELECT_PROTOCOL).await;
    assert_eq!(early.recv_close().await, Some(4003));
    let mut early_dave = Client::hello(&sim).await;
    early_dave
        .send(r#"{"op":23,"d":{"transition_id":1}}"#)
        .await;
    assert_eq!(early_dave.recv_close().await, Some(4003));
    let mut early_binary = Client::hello(&sim).await;
    early_binary.send_binary(&[26, 1]).await;
    assert_eq!(early_binary.recv_close().await, Some(4003));

    let (mut twice, _) = Client::ready(&sim).await;
    twice.send(IDENTIFY).await;
    assert_eq!(twice.recv_close().await, Some(4005));

    let (mut bad_nonce, _) = Client::ready(&sim).await;
    bad_nonce
        .send(r#"{"op":3,"d":{"t":"123","seq_ack":-1}}"#)
        .await;
    assert_eq!(bad_nonce.recv_close().await, Some(4020));

    let mut no_token = Client::hello(&sim).await;
    no_token
        .send(r#"{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"3"}}"#)
        .await;
    assert_eq!(no_token.recv_close().await, Some(4020));

    let (mut bad_mode, _) = Client::ready(&sim).await;
    bad_mode
        .send(r#"{"op":1,"d":{"protocol":"udp","data":{"address":"1.2.3.4","port":1,"mode":"xsalsa20_poly1305"}}}"#)
        .await;
    assert_eq!(bad_mode.recv_close().await, Some(4016));
    sim.shutdown().await;
}

#[tokio::test]
async fn silent_on_open_sends_no_hello() {
    let sim = sim(SimConfig::default()
        .with_plan(ConnectionPlan::new().then(Trigger::OnOpen, Action::GoSilent)))
    .await;
    let mut client = Client::connect(&sim).await;
    client.expect_silence(QUIET).await;
    client.send(IDENTIFY).await;
    client.expect_silence(QUIET).await;
    assert_eq!(sim.connections()[0].received_ops(), [0]);
    assert!(sim.connections()[0].sent.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_connections_at_once() {
    let sim = sim(SimConfig::default()).await;
    let clients = (0..100).map(|i| {
        let sim = &sim;
        async move {
            // One session each, as 100 bots would have.
            let mut client = Client::hello(sim).await;
            client
                .send(&IDENTIFY.replace("my_session_id", &format!("session-{i}")))
                .await;
            let ready = client.recv_json().await;
            client.send(&heartbeat(1, -1)).await;
            assert_eq!(client.recv_json().await["op"], 6);
            (client, ready)
        }
    });
    let clients = futures_util::future::join_all(clients).await;
    assert!(sim.wait_for_connections(100, WAIT).await);
    assert_eq!(sim.connections().len(), 100);
    assert!(clients.iter().all(|(_, ready)| ready["op"] == 2));
    assert!(
        sim.connections()
            .iter()
            .enumerate()
            .all(|(i, log)| log.index == i && log.received_ops() == [0, 3])
    );
    drop(clients);
    sim.shutdown().await;
}

#[tokio::test]
async fn wait_for_connections_times_out_and_shutdown_stops_accepting() {
    let sim = sim(SimConfig::default()).await;
    assert!(!sim.wait_for_connections(1, Duration::from_millis(50)).await);
    let _client = Client::hello(&sim).await;
    assert!(sim.wait_for_connections(1, WAIT).await);
    let addr = sim.addr();
    sim.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn message_type_is_by_frame_not_first_byte() {
    // Seq 0x7B00 makes a binary frame start with '{'.
    let sim = sim(SimConfig::default().with_start_seq(0x7b00)).await;
    let (mut client, _) = Client::ready(&sim).await;
    sim.push(ServerPush::dave_external_sender(b"\"op\":1}"));
    match client.recv().await {
        Message::Binary(bytes) => assert_eq!(bytes[0], b'{'),
        other => panic!("expected binary, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn demo_scenario_sequence() {
    let config = scenario::config("demo").expect("scenario exists");
    assert_eq!(config.heartbeat_interval_ms, 500.0);
    let sim = sim(config).await;

    // conn 0: pushes between ACKs, then silence with two messages held back.
    let (mut client, _) = Client::ready(&sim).await;
    // Random unless configured: every seq below is relative to it.
    let start = start_seq(&sim, 0);
    let at = |k: u16| start.wrapping_add(k);
    let mut seen = Vec::new();
    for (nonce, pushes) in [(1, 1), (2, 2), (3, 2), (4, 0)] {
        client.send(&heartbeat(nonce, -1)).await;
        assert_eq!(client.recv_json().await["op"], 6);
        for _ in 0..pushes {
            seen.push(client.recv().await);
        }
    }
    let seqs: Vec<u16> = seen.iter().map(seq_of).collect();
    assert_eq!(seqs, [at(0), at(1), at(2), at(3), at(4)]);
    let binary_ops: Vec<u8> = seen
        .iter()
        .filter_map(|m| match m {
            Message::Binary(b) => Some(b[2]),
            _ => None,
        })
        .collect();
    assert_eq!(binary_ops, [25, 27, 29, 30]);
    client.send(&heartbeat(5, at(4).into())).await;
    client.expect_silence(QUIET).await;

    // conn 1: resume replays the two held-back messages, 4015 after 5 beats.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(at(4).into())).await;
    assert_eq!(client.recv_json().await["op"], 9);
    let replay = [client.recv_json().await, client.recv_json().await];
    assert_eq!(
        (replay[0]["op"].clone(), replay[0]["seq"].clone()),
        (json!(11), json!(at(5)))
    );
    assert_eq!(
        (replay[1]["op"].clone(), replay[1]["seq"].clone()),
        (json!(5), json!(at(6)))
    );
    for nonce in 1..=5 {
        client.send(&heartbeat(nonce, at(6).into())).await;
        assert_eq!(client.recv_json().await["op"], 6);
        if nonce == 2 {
            assert_eq!(client.recv_json().await["seq"], at(7));
        }
    }
    assert_eq!(client.recv_close().await, Some(4015));

    // conn 2: resume again, 4014 after 5 beats.
    let mut client = Client::hello(&sim).await;
    client.send(&resume(at(7).into())).await;
    assert_eq!(client.recv_json().await["op"], 9);
    for nonce in 1..=5 {
        client.send(&heartbeat(nonce, at(7).into())).await;
        assert_eq!(client.recv_json().await["op"], 6);
    }
    assert_eq!(client.recv_close().await, Some(4014));
    let logs = sim.connections();
    assert!(logs.iter().all(|log| log.start_seq == Some(start)));
    sim.shutdown().await;
}

#[tokio::test]
async fn start_seq_is_random_per_session_recorded_and_replayable() {
    let sim = sim(SimConfig::default()).await;
    let mut starts = Vec::new();
    for i in 0..8 {
        let mut client = Client::hello(&sim).await;
        client
            .send(&IDENTIFY.replace("my_session_id", &format!("session-{i}")))
            .await;
        assert_eq!(client.recv_json().await["op"], 2);
        sim.push(ServerPush::dave_external_sender(&[]));
        let first = seq_of(&client.recv().await);
        assert_eq!(Some(first), sim.connections()[i].start_seq);
        starts.push(first);
    }
    starts.dedup();
    assert!(starts.len() > 1, "8 sessions, one start seq: {starts:?}");
    sim.shutdown().await;

    // A recorded value replays.
    let recorded = starts[0];
    let replay = self::sim(SimConfig::default().with_start_seq(recorded)).await;
    let (mut client, _) = Client::ready(&replay).await;
    replay.push(speaking("again"));
    assert_eq!(client.recv_json().await["seq"], recorded);
    assert_eq!(start_seq(&replay, 0), recorded);
    replay.shutdown().await;
}

#[tokio::test]
async fn too_many_identify_or_resume_attempts_close_4021() {
    let limit = RateLimit::new(3, Duration::from_secs(10));
    let sim = sim(SimConfig::default().with_rate_limit(limit)).await;
    // Identify and Resume count together, per session id.
    let (mut client, _) = Client::ready(&sim).await;
    client.close(1000).await;
    for _ in 0..2 {
        let mut client = Client::hello(&sim).await;
        client.send(&resume(-1)).await;
        assert_eq!(client.recv_json().await["op"], 9);
        client.close(1000).await;
    }
    let mut client = Client::hello(&sim).await;
    client.send(&resume(-1)).await;
    assert_eq!(client.recv_close().await, Some(4021));
    assert_eq!(ended(&sim, 3).await.sent_ops(), [8]);
    let mut client = Client::hello(&sim).await;
    client.send(IDENTIFY).await;
    assert_eq!(client.recv_close().await, Some(4021));
    // Another session id is not affected.
    let mut other = Client::hello(&sim).await;
    other
        .send(&IDENTIFY.replace("my_session_id", "other_session"))
        .await;
    assert_eq!(other.recv_json().await["op"], 2);
    sim.shutdown().await;

    // Turned off: a reconnect loop goes on.
    let sim_off = self::sim(SimConfig::default().without_rate_limit()).await;
    for _ in 0..15 {
        let (mut client, _) = Client::ready(&sim_off).await;
        client.close(1000).await;
    }
    sim_off.shutdown().await;
}

#[tokio::test]
async fn rate_limit_window_slides() {
    let window = Duration::from_millis(1000);
    let sim = sim(SimConfig::default().with_rate_limit(RateLimit::new(2, window))).await;
    for _ in 0..2 {
        let (mut client, _) = Client::ready(&sim).await;
        client.close(1000).await;
    }
    let mut client = Client::hello(&sim).await;
    client.send(IDENTIFY).await;
    assert_eq!(client.recv_close().await, Some(4021));
    // Every counted attempt is older than the window now.
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    let (_client, ready) = Client::ready(&sim).await;
    assert_eq!(ready["op"], 2);
    sim.shutdown().await;
}

#[test]
fn the_default_rate_limit_is_more_than_10_in_10_s() {
    assert_eq!(
        SimConfig::default().rate_limit,
        Some(RateLimit::new(10, Duration::from_secs(10)))
    );
}

#[tokio::test]
async fn recording_can_be_turned_off() {
    let sim = sim(SimConfig::default().with_record_frames(false)).await;
    let (mut client, _) = Client::ready(&sim).await;
    client.send(&heartbeat(1, 12)).await;
    assert_eq!(client.recv_json().await["op"], 6);
    let log = &sim.connections()[0];
    assert!(log.received.is_empty() && log.sent.is_empty());
    assert_eq!(log.last_seq_ack, Some(12));
    assert_eq!(log.session_id.as_deref(), Some("my_session_id"));
    sim.shutdown().await;
}
