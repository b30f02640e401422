//! JSON and binary decode of the corpus, next to its anchors in the same run.
//!
//! For each message of the corpus (`corpus.rs`):
//!
//! - `v8_ours`: this crate's `decode_text` on the v8 form;
//! - `v8_floor`: `serde_json` into `serde::de::IgnoredAny` on the same text,
//!   a scan that checks the JSON and builds nothing: no typed decoder of
//!   serde_json can be faster;
//! - `v4_ours`: `decode_text` on the v4 form;
//! - `v4_serenity`: serenity-voice-model's `Event` (songbird's model) on the
//!   v4 form, fed `&str` as songbird does; only for the messages it parses.
//!
//! Binary frames are split at 64 B and 64 KiB (`slice`), next to a copy of
//! the payload (`copy`) for scale. The report then measures the same
//! contenders again in paired rounds (`paired.rs`), for ratios that hold
//! while the load of a shared machine moves.
//!
//! Times are the bench thread's CPU time (`cpu_time.rs`), not wall time:
//! this project's machine is shared, and wall time there moves with
//! whatever else runs. After criterion's own output, a table
//! with the ratios and the allocations per decode is printed (`report.rs`);
//! BENCHMARKS.md at the repository root says how to read it.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion};

use cpu_time::ThreadCpuTime;
use serde::de::IgnoredAny;
use voice_ws_proto::codec::{decode_binary, decode_text};

#[allow(unsafe_code)] // a global allocator cannot be written without it
mod allocations;
mod corpus;
mod cpu_time;
mod paired;
mod report;

use corpus::CORPUS;

#[global_allocator]
static GLOBAL: allocations::Counting = allocations::Counting;

/// Whether serenity-voice-model decodes this text: timing a rejection
/// would measure an error path (0.2 knew no op 11, 21 or 24; 0.3, the
/// model songbird 0.6 uses, parses the whole corpus).
fn serenity_parses(text: &str) -> bool {
    serde_json::from_str::<serenity_voice_model::Event>(text).is_ok()
}

fn json(c: &mut Criterion<ThreadCpuTime>) {
    for message in &CORPUS {
        // A benchmark of a message that does not decode would measure the
        // error path instead.
        decode_text(message.v8).expect("v8 bench input decodes");
        decode_text(message.v4).expect("v4 bench input decodes");
        let mut group = c.benchmark_group(format!("json_{}", message.name));
        group.bench_function("v8_ours", |b| b.iter(|| decode_text(black_box(message.v8))));
        group.bench_function("v8_floor", |b| {
            b.iter(|| serde_json::from_str::<IgnoredAny>(black_box(message.v8)))
        });
        group.bench_function("v4_ours", |b| b.iter(|| decode_text(black_box(message.v4))));
        if serenity_parses(message.v4) {
            group.bench_function("v4_serenity", |b| {
                b.iter(|| {
                    serde_json::from_str::<serenity_voice_model::Event>(black_box(message.v4))
                })
            });
        }
        group.finish();
    }
}

fn binary(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("binary_split");
    for (label, size) in report::BINARY_SIZES {
        // An op 29 (announce commit transition): header, transition id, commit.
        let mut frame = vec![0x01, 0x02, 29, 0x00, 0x07];
        frame.resize(size, 0xA5);
        let frame = Bytes::from(frame);
        decode_binary(frame.clone()).expect("bench input decodes");
        group.bench_with_input(BenchmarkId::new("slice", label), &frame, |b, frame| {
            b.iter(|| decode_binary(black_box(frame.clone())))
        });
        group.bench_with_input(BenchmarkId::new("copy", label), &frame, |b, frame| {
            b.iter(|| Bytes::copy_from_slice(&black_box(frame)[5..]))
        });
    }
    group.finish();
}

fn main() {
    // Estimates older than this run are not reported (a filtered or
    // `--test` run leaves the previous run's files in place).
    let started = SystemTime::now();
    let mut criterion = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    json(&mut criterion);
    binary(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then nothing is measured.
    let measuring = std::env::args().any(|arg| arg == "--bench");
    report::print(started, measuring);
}
