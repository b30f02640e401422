//! Shared DAVE calls over real sockets: davey clients (the shared
//! `dave_client`) speak the voice gateway's wire format to the sim with
//! [`SimConfig::dave_calls`] on, and the sim's call log records what
//! happened. Real time, short and generous waits; nothing asserts timing.

mod dave_client;

use std::collections::BTreeMap;
use std::time::Duration;

use dave_client::{Client as Dave, Reply};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{WebSocketStream, client_async};
use voice_ws_sim::dave::DaveEvent;
use voice_ws_sim::{DaveCalls, Sim, SimConfig};

/// Identify's server_id; the call's MLS group id (the sim uses it as the
/// channel id when Identify has no channel_id).
const SERVER: u64 = 41_771_983_423_143_937;
const PATIENCE: Duration = Duration::from_secs(20);
const SELECT_PROTOCOL: &str = r#"{"op":1,"d":{"protocol":"udp","data":{"address":"127.0.0.1","port":1337,"mode":"aead_aes256_gcm_rtpsize"}}}"#;

type Ws = WebSocketStream<TcpStream>;

/// The members' sockets and DAVE clients, and the last seq each received.
struct Members {
    sockets: BTreeMap<u64, Ws>,
    daves: BTreeMap<u64, Dave>,
    seq_acks: BTreeMap<u64, i64>,
}

async fn open(sim: &Sim) -> Ws {
    let tcp = TcpStream::connect(sim.addr()).await.expect("tcp connect");
    let (mut ws, _) = client_async(sim.url(), tcp).await.expect("ws handshake");
    let hello = ws.next().await.expect("hello").expect("hello");
    assert!(hello.to_text().expect("text").contains(r#""op":8"#));
    ws
}

impl Members {
    fn new() -> Self {
        Self {
            sockets: BTreeMap::new(),
            daves: BTreeMap::new(),
            seq_acks: BTreeMap::new(),
        }
    }

    async fn join(&mut self, sim: &Sim, user: u64) {
        self.join_as(sim, user, &format!("session-{user}")).await;
    }

    /// Identifies `user` with `session_id`; a second session of the same
    /// user replaces the first in the call.
    async fn join_as(&mut self, sim: &Sim, user: u64, session_id: &str) {
        let mut ws = open(sim).await;
        let identify = format!(
            r#"{{"op":0,"d":{{"server_id":"{SERVER}","user_id":"{user}","session_id":"{session_id}","token":"token-{user}","max_dave_protocol_version":1}}}}"#
        );
        ws.send(Message::text(identify)).await.expect("identify");
        ws.send(Message::text(SELECT_PROTOCOL))
            .await
            .expect("select");
        self.sockets.insert(user, ws);
        self.daves.insert(user, Dave::new(user, SERVER));
        self.seq_acks.insert(user, -1);
    }

    /// Ends the member's session cleanly (close 1000: it leaves the call).
    async fn leave(&mut self, user: u64) {
        let mut ws = self.sockets.remove(&user).expect("member");
        self.daves.remove(&user);
        let frame = CloseFrame {
            code: 1000.into(),
            reason: "".into(),
        };
        ws.close(Some(frame)).await.expect("close");
        while let Ok(Some(Ok(_))) = timeout(Duration::from_secs(2), ws.next()).await {}
    }

    /// Drops the member's socket without a close frame, then resumes on a
    /// new one: the session, and its seat in the call, survive.
    async fn drop_and_resume(&mut self, sim: &Sim, user: u64) {
        drop(self.sockets.remove(&user));
        let mut ws = open(sim).await;
        let resume = format!(
            r#"{{"op":7,"d":{{"server_id":"{SERVER}","session_id":"session-{user}","token":"token-{user}","seq_ack":{}}}}}"#,
            self.seq_acks[&user]
        );
        ws.send(Message::text(resume)).await.expect("resume");
        self.sockets.insert(user, ws);
    }

    async fn send(ws: &mut Ws, reply: &Reply) {
        let msg = match reply.wire() {
            Ok(binary) => Message::binary(binary),
            Err(text) => Message::text(text),
        };
        ws.send(msg).await.expect("send");
    }

    /// Handles what each member received until `done` holds.
    async fn pump(&mut self, sim: &Sim, done: impl Fn(&Self, &Sim) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(self, sim) {
            assert!(
                Instant::now() < deadline,
                "the call did not settle: {:?}",
                sim.dave_calls()
            );
            for (user, ws) in &mut self.sockets {
                let Ok(Some(Ok(msg))) = timeout(Duration::from_millis(5), ws.next()).await else {
                    continue;
                };
                let dave = self.daves.get_mut(user).expect("client");
                let replies = match msg {
                    Message::Text(text) => {
                        let v: Value = serde_json::from_str(text.as_str()).expect("JSON");
                        if let Some(seq) = v["seq"].as_i64() {
                            self.seq_acks.insert(*user, seq);
                        }
                        let op = v["op"].as_u64().expect("op") as u8;
                        if op == 4 && v["d"]["dave_protocol_version"] == 1 {
                            vec![dave.key_package()]
                        } else {
                            dave.on_json(op, &v["d"])
                        }
                    }
                    Message::Binary(bytes) => {
                        self.seq_acks
                            .insert(*user, i64::from(u16::from_be_bytes([bytes[0], bytes[1]])));
                        dave.on_binary(bytes[2], &bytes[3..])
                    }
                    _ => Vec::new(),
                };
                for reply in &replies {
                    Self::send(ws, reply).await;
                }
            }
        }
    }

    /// Every member is in the call's group at the call's epoch, has executed
    /// every transition it prepared, and sees exactly the members in its own
    /// group.
    fn settled(&self, sim: &Sim) -> bool {
        let Some(call) = sim.dave_calls().into_iter().next() else {
            return false;
        };
        let members: Vec<u64> = self.daves.keys().copied().collect();
        let mut group = call.group.clone();
        group.sort_unstable();
        call.stats.epoch >= 1
            && group == members
            && self.daves.values().all(|d| {
                let mut users = d.session.get_user_ids().unwrap_or_default();
                users.sort_unstable();
                d.session.epoch().map(|e| e.as_u64()) == Some(call.stats.epoch)
                    && d.pending_transitions.is_empty()
                    && d.session.can_encrypt()
                    && users == members
            })
    }

    fn assert_one_group(&mut self, sim: &Sim) {
        let call = &sim.dave_calls()[0];
        let group = call.group.iter().copied().collect();
        dave_client::assert_one_group(&mut self.daves, call.stats.epoch, &group);
    }
}

const A: u64 = 1_234_123_412_341_234;
const B: u64 = 5_678_567_856_785_678;
const C: u64 = 9_012_901_290_129_012;
const D: u64 = 3_456_345_634_563_456;
const E: u64 = 7_890_789_078_907_890;

async fn dave_sim() -> Sim {
    let config = SimConfig::default().with_dave_calls(DaveCalls::default());
    Sim::start(config).await.expect("sim starts")
}

#[tokio::test]
async fn two_then_five_clients_share_a_call_over_sockets() {
    let sim = dave_sim().await;
    let mut members = Members::new();
    members.join(&sim, A).await;
    members.join(&sim, B).await;
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);
    assert_eq!(sim.dave_calls()[0].stats.epoch, 1);

    for user in [C, D, E] {
        members.join(&sim, user).await;
    }
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);

    let call = &sim.dave_calls()[0];
    assert_eq!(call.server_id, SERVER.to_string());
    assert_eq!(call.group_id, SERVER);
    assert_eq!(call.members.len(), 5);
    assert_eq!(call.stats.groups_created, 1);
    assert!(call.stats.commits_picked >= 2);
    assert_eq!(call.stats.invalid_commit_welcomes, 0);
    let picked = call
        .events
        .iter()
        .filter(|e| matches!(e, DaveEvent::CommitPicked { .. }))
        .count() as u64;
    assert_eq!(picked, call.stats.commits_picked);
    // Every member's connection carried key packages (26) in and the
    // external sender (25) out; the wire log has it byte for byte.
    for log in sim.connections() {
        assert!(log.received_ops().contains(&26), "{:?}", log.received_ops());
        assert!(log.sent_ops().contains(&25), "{:?}", log.sent_ops());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_leaver_is_removed_and_a_resumed_member_keeps_its_seat() {
    let sim = dave_sim().await;
    let mut members = Members::new();
    for user in [A, B, C] {
        members.join(&sim, user).await;
    }
    members.pump(&sim, Members::settled).await;
    let epoch = sim.dave_calls()[0].stats.epoch;

    members.leave(C).await;
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);
    let call = &sim.dave_calls()[0];
    assert_eq!(call.stats.epoch, epoch + 1);
    assert_eq!(call.members, vec![A, B]);
    for user in [A, B] {
        assert!(members.daves[&user].ops.contains(&13), "client disconnect");
    }

    // B's socket drops and resumes; D joins meanwhile: B catches up.
    members.drop_and_resume(&sim, B).await;
    members.join(&sim, D).await;
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);
    // In id order.
    assert_eq!(sim.dave_calls()[0].members, vec![A, D, B]);
    sim.shutdown().await;
}

#[tokio::test]
async fn downgrade_and_upgrade_over_sockets() {
    let sim = dave_sim().await;
    let mut members = Members::new();
    members.join(&sim, A).await;
    members.join(&sim, B).await;
    members.pump(&sim, Members::settled).await;

    sim.dave_downgrade(&SERVER.to_string()).expect("downgrade");
    members
        .pump(&sim, |m, sim| {
            sim.dave_calls()[0].stats.downgrades == 1
                && m.daves.values().all(|d| d.session.epoch().is_none())
        })
        .await;
    assert_eq!(sim.dave_calls()[0].stats.protocol_version, 0);

    sim.dave_upgrade(&SERVER.to_string()).expect("upgrade");
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_identify_without_dave_is_closed_with_4017() {
    let sim = dave_sim().await;
    let mut ws = open(&sim).await;
    let identify = format!(
        r#"{{"op":0,"d":{{"server_id":"{SERVER}","user_id":"{A}","session_id":"s","token":"t"}}}}"#
    );
    ws.send(Message::text(identify)).await.expect("identify");
    let close = timeout(PATIENCE, ws.next()).await.expect("an answer");
    match close {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4017),
        other => panic!("expected a close, got {other:?}"),
    }
    assert!(sim.dave_calls().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_session_of_a_member_replaces_it_in_the_group() {
    let sim = dave_sim().await;
    let mut members = Members::new();
    for user in [A, B, C] {
        members.join(&sim, user).await;
    }
    members.pump(&sim, Members::settled).await;
    // B identifies again on a new socket (a new session); its old socket
    // stays open but no longer speaks for B in the call.
    let old = members.sockets.remove(&B).expect("B");
    members.join_as(&sim, B, "session-B-again").await;
    members.pump(&sim, Members::settled).await;
    members.assert_one_group(&sim);
    let call = &sim.dave_calls()[0];
    assert!(
        call.events
            .iter()
            .any(|e| matches!(e, DaveEvent::CommitPicked { removed, .. } if removed.contains(&B)))
    );
    drop(old);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_transition_message_without_its_id_is_a_bad_request() {
    let sim = dave_sim().await;
    let mut members = Members::new();
    members.join(&sim, A).await;
    members.join(&sim, B).await;
    members.pump(&sim, Members::settled).await;
    let ws = members.sockets.get_mut(&A).expect("A");
    ws.send(Message::text(r#"{"op":23,"d":{}}"#))
        .await
        .expect("send");
    loop {
        match timeout(PATIENCE, ws.next()).await.expect("an answer") {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 4020);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close, got {other:?}"),
        }
    }
    sim.shutdown().await;
}
