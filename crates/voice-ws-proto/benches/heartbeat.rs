//! The heartbeat steady state: encoding a heartbeat, producing one through
//! the transport's timer, and handling its ACK.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use voice_ws_proto::{ClientMessage, Frame, Instant, Transmit, Transport, TransportConfig};

/// Short, so that the virtual clock never nears the end of `Instant`'s range
/// however many iterations criterion runs.
const INTERVAL_MS: u64 = 1000;

/// A transport with an open socket, Hello received, and one sequenced
/// message taken, so beats carry a real `seq_ack`.
fn steady_transport() -> Transport {
    let mut t = Transport::new(TransportConfig::default());
    t.handle_open(Instant::ZERO);
    t.handle_frame(
        Instant::ZERO,
        Frame::Text(r#"{"op":8,"d":{"heartbeat_interval":1000,"v":8}}"#),
    );
    t.handle_frame(
        Instant::ZERO,
        Frame::Text(r#"{"op":5,"d":{"user_id":"1","ssrc":2,"speaking":1},"seq":41}"#),
    );
    while t.poll_event().is_some() {}
    t
}

/// Writes the v8 ACK `{"op":6,"d":{"t":<nonce>}}` for `heartbeat` into `ack`.
fn ack_for(heartbeat: &Transmit, ack: &mut String) {
    let Transmit::Text(text) = heartbeat else {
        panic!("expected a heartbeat, got {heartbeat:?}");
    };
    let start = text.find(r#""t":"#).expect("nonce") + 4;
    let len = text[start..].find(',').expect("nonce end");
    ack.clear();
    let _ = write!(
        ack,
        r#"{{"op":6,"d":{{"t":{}}}}}"#,
        &text[start..start + len]
    );
}

fn encode(c: &mut Criterion) {
    c.bench_function("heartbeat/encode", |b| {
        b.iter(|| {
            ClientMessage::Heartbeat {
                nonce: black_box(1_501_184_119_561),
                seq_ack: black_box(Some(41)),
            }
            .encode()
        })
    });
}

fn transport(c: &mut Criterion) {
    // The timer fires and the driver takes the heartbeat frame.
    {
        let mut t = steady_transport();
        let mut k = 0u64;
        let mut ack = String::with_capacity(64);
        c.bench_function("heartbeat/transport_produce", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    k += 1;
                    let due = Instant::from_millis(k * INTERVAL_MS);
                    let start = std::time::Instant::now();
                    t.handle_timeout(due);
                    let beat = t.poll_transmit();
                    spent += start.elapsed();
                    let beat = beat.expect("a heartbeat is due");
                    ack_for(&beat, &mut ack);
                    t.handle_frame(due, Frame::Text(&ack));
                    while t.poll_event().is_some() {}
                }
                spent
            })
        });
    }

    // The ACK frame comes in and the owner takes the HeartbeatAck event.
    {
        let mut t = steady_transport();
        let mut k = 0u64;
        let mut ack = String::with_capacity(64);
        c.bench_function("heartbeat/transport_handle_ack", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    k += 1;
                    let due = Instant::from_millis(k * INTERVAL_MS);
                    t.handle_timeout(due);
                    let beat = t.poll_transmit().expect("a heartbeat is due");
                    ack_for(&beat, &mut ack);
                    let at = Instant::from_nanos(due.as_nanos() + 30_000_000);
                    let start = std::time::Instant::now();
                    t.handle_frame(at, Frame::Text(&ack));
                    let event = t.poll_event();
                    spent += start.elapsed();
                    black_box(event);
                }
                spent
            })
        });
    }

    // One whole interval: beat, take it, ACK, take the event.
    {
        let mut t = steady_transport();
        let mut k = 0u64;
        let mut ack = String::with_capacity(64);
        c.bench_function("heartbeat/transport_cycle", |b| {
            b.iter(|| {
                k += 1;
                let due = Instant::from_millis(k * INTERVAL_MS);
                t.handle_timeout(due);
                let beat = t.poll_transmit().expect("a heartbeat is due");
                ack_for(&beat, &mut ack);
                t.handle_frame(due, Frame::Text(&ack));
                t.poll_event()
            })
        });
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = encode, transport
}
criterion_main!(benches);
