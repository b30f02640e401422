//! The media path's cost per 20 ms Opus frame (~120 bytes): encrypting ours
//! and decrypting a member's in a two-member DAVE call, against passthrough
//! (a call at protocol version 0) as the floor.

#![allow(missing_docs, unreachable_pub)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use support::Call;

const A: u64 = 158049329150427136;
const B: u64 = 158049329150427137;

fn opus_frame() -> Vec<u8> {
    (0..120u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(7))
        .collect()
}

fn call(version: u16) -> Call {
    let mut call = Call::new();
    call.join(A, version);
    call.join(B, version);
    call
}

fn media(c: &mut Criterion) {
    let frame = opus_frame();
    let mut group = c.benchmark_group("opus_frame_120B");

    let e2ee = call(1);
    let a = e2ee.member(A).dave.media();
    let b = e2ee.member(B).dave.media();
    let mut out = Vec::new();
    group.bench_function("encrypt_into/dave", |bench| {
        bench.iter(|| {
            a.encrypt_opus_into(black_box(&frame), &mut out)
                .expect("encrypt")
        })
    });
    group.bench_function("encrypt/dave", |bench| {
        bench.iter(|| a.encrypt_opus(black_box(&frame)).expect("encrypt").len())
    });
    // Each frame carries a new nonce, and a receiver may refuse one it has
    // seen: decrypt a fresh frame per iteration, encrypted untimed.
    group.bench_function("decrypt_into/dave", |bench| {
        bench.iter_custom(|iters| {
            let frames: Vec<Vec<u8>> = (0..iters)
                .map(|_| a.encrypt_opus(&frame).expect("encrypt").into_owned())
                .collect();
            let mut out = Vec::new();
            let start = Instant::now();
            for f in &frames {
                b.decrypt_into(A, black_box(f), &mut out).expect("decrypt");
            }
            start.elapsed()
        })
    });

    let clear = call(0);
    let a = clear.member(A).dave.media();
    let b = clear.member(B).dave.media();
    group.bench_function("encrypt_into/passthrough", |bench| {
        bench.iter(|| {
            a.encrypt_opus_into(black_box(&frame), &mut out)
                .expect("encrypt")
        })
    });
    group.bench_function("decrypt_into/passthrough", |bench| {
        bench.iter(|| {
            b.decrypt_into(A, black_box(&frame), &mut out)
                .expect("decrypt")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = media
}
criterion_main!(benches);
