//! JSON and binary decode of realistic server messages.
//!
//! Each JSON message is decoded by this crate (`typed`) and scanned by
//! `serde_json` into `serde::de::IgnoredAny` (`ignored_any`), the reference
//! point of the README's performance budget: typed / ignored_any ≤ 1.5× geometric mean.
//! Binary frames are split at 64 B and 64 KiB (`slice`), next to a copy of
//! the payload (`copy`) for scale.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::de::IgnoredAny;
use voice_ws_proto::codec::{decode_binary, decode_text};

const HELLO: &str = r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750.0}}"#;

const READY: &str = r#"{"op":2,"d":{"ssrc":43021,"ip":"66.22.231.190","port":50007,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize","xsalsa20_poly1305_lite_rtpsize","aead_aes256_gcm","xsalsa20_poly1305_suffix","xsalsa20_poly1305_lite","xsalsa20_poly1305"],"experiments":["fixed_keyframe_interval"],"heartbeat_interval":41250},"seq":1}"#;

const SESSION_DESCRIPTION: &str = r#"{"op":4,"d":{"video_codec":"H264","secure_frames_version":0,"secret_key":[211,44,130,7,95,163,18,240,66,201,12,99,180,37,250,3,141,72,219,56,8,177,92,203,31,118,164,229,70,15,186,53],"mode":"aead_aes256_gcm_rtpsize","media_session_id":"7b9fb9f4f10c2b3a8e1e0f5c6d7a8b9c","dave_protocol_version":1,"audio_codec":"opus"},"seq":2}"#;

const SPEAKING: &str =
    r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":43022,"speaking":1},"seq":3}"#;

const HEARTBEAT_ACK: &str = r#"{"op":6,"d":{"t":1501184119561}}"#;

const DAVE_PREPARE_TRANSITION: &str =
    r#"{"op":21,"d":{"transition_id":7,"protocol_version":1},"seq":9}"#;

/// Op 11 with 50 snowflake user ids, as a large call's join burst sends it.
fn clients_connect_50() -> String {
    let ids: Vec<String> = (0..50u64)
        .map(|i| format!("\"{}\"", 80351110224678912u64 + i * 7_919_113))
        .collect();
    format!(
        r#"{{"op":11,"d":{{"user_ids":[{}]}},"seq":4}}"#,
        ids.join(",")
    )
}

fn json(c: &mut Criterion) {
    let clients_connect = clients_connect_50();
    let messages: [(&str, &str); 7] = [
        ("hello", HELLO),
        ("ready", READY),
        ("session_description", SESSION_DESCRIPTION),
        ("speaking", SPEAKING),
        ("heartbeat_ack", HEARTBEAT_ACK),
        ("clients_connect_50", &clients_connect),
        ("dave_prepare_transition", DAVE_PREPARE_TRANSITION),
    ];
    for (name, text) in messages {
        // A benchmark of a message that does not decode would measure the
        // error path instead.
        decode_text(text).expect("bench input decodes");
        let mut group = c.benchmark_group(format!("json/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function("typed", |b| b.iter(|| decode_text(black_box(text))));
        group.bench_function("ignored_any", |b| {
            b.iter(|| serde_json::from_str::<IgnoredAny>(black_box(text)))
        });
        group.finish();
    }
}

fn binary(c: &mut Criterion) {
    let mut group = c.benchmark_group("binary/split");
    for (label, size) in [("64B", 64usize), ("64KiB", 64 * 1024)] {
        let mut frame = vec![0x01, 0x02, 30, 0x00, 0x07];
        frame.resize(size, 0xA5);
        let frame = Bytes::from(frame);
        decode_binary(frame.clone()).expect("bench input decodes");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("slice", label), &frame, |b, frame| {
            b.iter(|| decode_binary(black_box(frame.clone())))
        });
        group.bench_with_input(BenchmarkId::new("copy", label), &frame, |b, frame| {
            b.iter(|| Bytes::copy_from_slice(&black_box(frame)[5..]))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = json, binary
}
criterion_main!(benches);
