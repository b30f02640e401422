//! v8 heartbeats: integer nonces, `seq_ack` from -1, a steady cadence.

use std::time::Duration;

use serde_json::{Value, json};
use voice_ws_sim::ServerPush;

use crate::{
    Driver, DriverHandle, WAIT, collect_until, credentials_for, eventually, fast_config, is_ready,
    message, next_event_matching, received_heartbeats, sent_seq_at, sim_config, speaking_push,
    start_sim,
};

/// JSON integers above this lose precision in JavaScript's doubles.
const MAX_NONCE: u64 = (1 << 53) - 1;

/// At a 100 ms interval: every nonce is a JSON integer below 2^53 and
/// strictly increasing (so unique), and each is echoed by the gateway's
/// ACK; `seq_ack` is -1 until the first sequenced message, never goes
/// back, and once the application took seqs 0 (JSON) and 1 (binary, same
/// sequence space) the next heartbeats carry 1. Consecutive beats are
/// 60–200 ms apart on average, and the first comes about an interval after
/// Hello, not at once (the default `FirstHeartbeat::AfterInterval`).
pub async fn heartbeat_cadence(driver: &impl Driver) {
    // Literal seqs below: the sim's start seq is random by default.
    let sim = start_sim(sim_config(vec![]).with_start_seq(0)).await;
    let (handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    eventually("two heartbeats before anything is sequenced", WAIT, || {
        sim.connections()[0].heartbeats() >= 2
    })
    .await;
    sim.push(speaking_push("1001", 1));
    sim.push(ServerPush::dave_external_sender(b"external-sender"));
    for (seq, op) in [(0, 5), (1, 25)] {
        let event = next_event_matching(
            &mut events,
            |e| message(e).is_some_and(|m| m.seq == Some(seq)),
            WAIT,
        )
        .await;
        assert_eq!(
            message(&event).map(|m| m.message.op()),
            Some(op),
            "{event:?}"
        );
    }
    // Beats sent after the application took seq 1; about a second in all.
    let taken_at = sim.connections()[0].heartbeats();
    eventually("ten heartbeats, two after seq 1 was taken", WAIT, || {
        sim.connections()[0].heartbeats() >= (taken_at + 2).max(10)
    })
    .await;

    let conn = &sim.connections()[0];
    let beats = received_heartbeats(conn);
    let nonces: Vec<u64> = beats
        .iter()
        .map(|b| {
            b.nonce
                .as_u64()
                .unwrap_or_else(|| panic!("nonce is not a JSON integer: {b:?}"))
        })
        .collect();
    assert!(nonces.iter().all(|n| *n <= MAX_NONCE), "{nonces:?}");
    assert!(
        nonces.windows(2).all(|w| w[0] < w[1]),
        "nonces increase strictly: {nonces:?}"
    );
    let acked: Vec<Value> = conn
        .sent_json()
        .into_iter()
        .filter(|m| m["op"] == 6)
        .map(|m| m["d"]["t"].clone())
        .collect();
    // The newest ACK may still be on its way into the recording.
    let answered = &nonces[..nonces.len() - 1];
    assert!(
        acked.len() >= answered.len(),
        "ACKs {acked:?} for {nonces:?}"
    );
    assert_eq!(
        &acked[..answered.len()],
        answered.iter().map(|n| json!(n)).collect::<Vec<_>>(),
        "every heartbeat is ACKed with its own nonce"
    );

    let first_seq_at = sent_seq_at(conn, 0).expect("the gateway sent seq 0");
    let seq_acks: Vec<i64> = beats
        .iter()
        .map(|b| {
            b.seq_ack
                .as_i64()
                .unwrap_or_else(|| panic!("seq_ack is not an integer: {b:?}"))
        })
        .collect();
    let before: Vec<i64> = beats
        .iter()
        .zip(&seq_acks)
        .filter(|(b, _)| b.at < first_seq_at)
        .map(|(_, s)| *s)
        .collect();
    assert!(before.len() >= 2, "{beats:#?}");
    assert!(
        before.iter().all(|s| *s == -1),
        "-1 before any seq: {seq_acks:?}"
    );
    assert!(
        seq_acks.iter().all(|s| [-1, 0, 1].contains(s)),
        "only delivered seqs: {seq_acks:?}"
    );
    assert!(seq_acks.windows(2).all(|w| w[0] <= w[1]), "{seq_acks:?}");
    assert_eq!(seq_acks.last(), Some(&1), "{seq_acks:?}");

    let hello_at = conn.sent.first().expect("the gateway sent Hello").at;
    assert!(
        beats[0].at - hello_at >= Duration::from_millis(50),
        "the first beat waits about an interval after Hello: {:?}",
        beats[0].at - hello_at
    );
    let span = beats[beats.len() - 1].at - beats[0].at;
    let spacing = span / u32::try_from(beats.len() - 1).expect("a few dozen beats at most");
    assert!(
        (Duration::from_millis(60)..=Duration::from_millis(200)).contains(&spacing),
        "mean spacing {spacing:?} over {} beats",
        beats.len()
    );

    eventually("the application saw the ACKs", WAIT, || {
        handle.stats().heartbeats_acked >= 8
    })
    .await;
    assert_eq!(sim.connections().len(), 1);
}
