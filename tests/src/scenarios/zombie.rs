//! ACKs withheld: the client declares the socket a zombie and resumes.

use voice_ws_sim::{Action, ConnectionPlan, ServerPush, Trigger};

use crate::{
    Driver, WAIT, credentials_for, fast_config, first_received_json, is_heartbeat_ack, message,
    message_seqs, next_event_matching, received_heartbeats, resume_attempt, resume_json, sent_seqs,
    sim_config, speaking_push, start_sim, through_zombie_to_resumed, wait_for_client_close,
    wait_for_seq_ack,
};

/// Connection 0 pushes seq 0 after Ready, ACKs two heartbeats, pushes seq 1
/// with the ACKs already withheld, and goes silent at the third heartbeat,
/// buffering seqs 2 (binary) and 3 unsent.
///
/// The client sends exactly three heartbeats there, sees exactly two ACKs,
/// then: Zombified, Disconnected{4000, by_self}, Reconnecting{attempt 1,
/// resume}, Resumed. Its close frame carries 4000 (not 1000, which would end
/// the session). Connection 1 opens with Resume whose `seq_ack` is 1, the
/// last seq the application took; the gateway replays 2 and 3 there, and
/// the application gets seqs 0..=3 exactly once, in order.
pub async fn zombie_then_resume(driver: &impl Driver) {
    let plan = ConnectionPlan::withhold_acks_after_heartbeats(2)
        .then(Trigger::AfterReady, Action::Push(speaking_push("1001", 1)))
        .then(
            Trigger::AfterHeartbeats(2),
            Action::Push(ServerPush::ClientsConnect(vec!["1002".into()])),
        )
        .then(Trigger::AfterHeartbeats(3), Action::GoSilent)
        .then(
            Trigger::AfterHeartbeats(3),
            Action::Push(ServerPush::dave_external_sender(b"while-silent")),
        )
        .then(
            Trigger::AfterHeartbeats(3),
            Action::Push(speaking_push("1002", 2)),
        );
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![plan]).with_start_seq(0)).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let (mut seen, zombie) = through_zombie_to_resumed(&mut events).await;
    assert_eq!(resume_attempt(&seen[zombie + 2]), Some(1), "{seen:#?}");
    let acks = seen[..zombie]
        .iter()
        .filter(|e| is_heartbeat_ack(e))
        .count();
    assert_eq!(acks, 2, "ACKs before the zombie: {seen:#?}");
    let taken = message_seqs(&seen[..zombie]);
    assert_eq!(taken, [Some(0), Some(1)], "{seen:#?}");

    // The replay follows Resumed.
    for seq in [2, 3] {
        seen.push(
            next_event_matching(
                &mut events,
                |e| message(e).is_some_and(|m| m.seq == Some(seq)),
                WAIT,
            )
            .await,
        );
    }
    assert_eq!(
        message_seqs(&seen),
        [Some(0), Some(1), Some(2), Some(3)],
        "each message exactly once: {seen:#?}"
    );
    let replayed_op = seen.iter().filter_map(message).find(|m| m.seq == Some(2));
    assert_eq!(replayed_op.map(|m| m.message.op()), Some(25));

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(
        received_heartbeats(&conns[0]).len(),
        3,
        "one unanswered beat, then the zombie"
    );
    assert_eq!(
        sent_seqs(&conns[0]),
        [0, 1],
        "silent: 2 and 3 stayed buffered"
    );
    assert_eq!(first_received_json(&conns[1]), resume_json(1));
    assert!(
        !conns[1].received_ops().contains(&0),
        "never Identify again"
    );
    assert_eq!(sent_seqs(&conns[1]), [2, 3], "the replay");
    wait_for_client_close(&sim, 0, 4000).await;
    wait_for_seq_ack(&sim, 1, 3).await;
}
