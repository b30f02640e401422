//! Every numbered message leaves a connection in seq order, whichever task
//! numbered it: pushes made from outside (waiting in the connection's
//! queue) and a fault step's own numbered frame (`SendUnknownOp`'s binary
//! op 99). Found by the soak: a push numbered just before the op 99 frame
//! went out after it, and the client rightly dropped it as a repeat.

// Helpers shared with gateway.rs; this file uses a few of them.
#[allow(dead_code)]
mod client;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use client::{Client, heartbeat, seq_of};
use tokio_tungstenite::tungstenite::Message;
use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Sim, SimConfig, Trigger};

const FIRINGS: u32 = 300;

/// Pushes the pusher may have made that the client has not read yet: enough
/// to keep the connection's queue busy, bounded so that a loaded machine
/// cannot bury the heartbeat ACKs under an ever-growing backlog.
const AHEAD: u64 = 32;

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
    let read = Arc::new(AtomicU64::new(0));
    let pusher = {
        let (sim, stop, read) = (sim.clone(), stop.clone(), read.clone());
        tokio::spawn(async move {
            let mut pushed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if pushed - read.load(Ordering::Relaxed).min(pushed) < AHEAD {
                    sim.push(ServerPush::Speaking {
                        user_id: "1".into(),
                        ssrc: 7,
                        speaking: 1,
                    });
                    pushed += 1;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let run =
        tokio::time::timeout(Duration::from_secs(120), read_in_order(&mut client, &read)).await;
    stop.store(true, Ordering::Relaxed);
    let _ = pusher.await;
    run.expect("300 op 99 frames within 120 s");
}

/// Reads until `FIRINGS` op 99 frames have arrived, asserting that every
/// numbered frame follows the previous one; counts the pushes read.
async fn read_in_order(client: &mut Client, read: &AtomicU64) {
    let mut last: Option<u16> = None;
    let mut binaries = 0;
    let mut recent = VecDeque::new();
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
        if recent.len() == 14 {
            recent.pop_front();
        }
        if !numbered {
            recent.push_back(format!("{msg:?}"));
            continue;
        }
        let seq = seq_of(&msg);
        recent.push_back(format!("{seq} {}", matches!(msg, Message::Binary(_))));
        if let Some(last) = last {
            assert_eq!(
                seq,
                last.wrapping_add(1),
                "numbered frames in seq order: {recent:?}"
            );
        }
        last = Some(seq);
        if matches!(msg, Message::Binary(_)) {
            binaries += 1;
        } else {
            read.fetch_add(1, Ordering::Relaxed);
        }
    }
}
