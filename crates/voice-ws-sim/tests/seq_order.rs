//! Every numbered message leaves a connection in seq order, whichever task
//! numbered it: pushes made from outside (waiting in the connection's
//! queue) and a fault step's own numbered frame (`SendUnknownOp`'s binary
//! op 99). Found by the soak: a push numbered just before the op 99 frame
//! went out after it, and the client rightly dropped it as a repeat.

// Helpers shared with gateway.rs; this file uses a few of them.
#[allow(dead_code)]
mod client;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use client::{Client, heartbeat, seq_of};
use tokio_tungstenite::tungstenite::Message;
use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Sim, SimConfig, Trigger};

const FIRINGS: u32 = 300;

// A pusher on another worker keeps the connection's queue busy while 300
// heartbeats each fire an op 99 frame: before the fix most firings found a
// push waiting, so the test cannot pass by luck (it failed every run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_steps_numbered_frame_never_overtakes_queued_pushes() {
    let mut plan = ConnectionPlan::new();
    for n in 1..=FIRINGS {
        plan = plan.then(Trigger::AfterHeartbeats(n), Action::SendUnknownOp);
    }
    let config = SimConfig::default()
        .with_start_seq(65000)
        .with_replay_capacity(0)
        .with_record_frames(false)
        .with_plan(plan);
    let sim = Arc::new(Sim::start(config).await.expect("sim starts"));
    let (mut client, _) = Client::ready(&sim).await;
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (sim, stop) = (sim.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                sim.push(ServerPush::Speaking {
                    user_id: "1".into(),
                    ssrc: 7,
                    speaking: 1,
                });
                tokio::task::yield_now().await;
            }
        })
    };
    let mut last: Option<u16> = None;
    let mut binaries = 0;
    let mut recent = Vec::new();
    let mut nonce = 0;
    client.send(&heartbeat(nonce, -1)).await;
    while binaries < FIRINGS {
        let msg = client.recv().await;
        let numbered = match &msg {
            Message::Text(t) => t.contains("\"seq\""),
            Message::Binary(_) => true,
            _ => false,
        };
        if matches!(msg, Message::Text(ref t) if t.contains("\"op\":6")) {
            nonce += 1;
            client.send(&heartbeat(nonce, -1)).await;
        }
        if !numbered {
            recent.push(format!("{msg:?}"));
            continue;
        }
        let seq = seq_of(&msg);
        recent.push(format!("{seq} {}", matches!(msg, Message::Binary(_))));
        if let Some(last) = last {
            assert_eq!(
                seq,
                last.wrapping_add(1),
                "numbered frames in seq order: {:?}",
                &recent[recent.len().saturating_sub(14)..]
            );
        }
        last = Some(seq);
        if matches!(msg, Message::Binary(_)) {
            binaries += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = pusher.await;
}
