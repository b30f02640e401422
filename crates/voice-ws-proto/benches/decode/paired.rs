//! Paired rounds: the contenders of one message measured in turn, a couple
//! of milliseconds each, many rounds over, and each ratio taken within a
//! round before the median over rounds.
//!
//! criterion measures one benchmark for seconds, then the next: on a shared
//! machine the load changes in between, and two contenders' medians can
//! differ by what else ran. Here neighbours in time are compared, so a
//! change of load moves both sides of a ratio alike.

use std::hint::black_box;

use cpu_time::ThreadTime;
use serde::de::IgnoredAny;
use voice_ws_proto::codec::decode_text;

use crate::corpus::Message;

/// Rounds per message; each round runs every contender once.
const ROUNDS: usize = 41;
/// CPU time one contender runs for in a round.
const BATCH_NS: f64 = 2_000_000.0;

/// Medians over the rounds: times in CPU ns per decode, ratios per round.
pub(crate) struct Paired {
    pub(crate) ours_v8: f64,
    pub(crate) floor_v8: f64,
    pub(crate) to_floor: f64,
    pub(crate) ours_v4: f64,
    /// `None` when serenity-voice-model rejects the message.
    pub(crate) serenity_v4: Option<(f64, f64)>,
}

/// CPU ns per call of `f` over `iterations` calls.
fn per_call(iterations: u64, f: impl Fn()) -> f64 {
    let start = ThreadTime::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_nanos() as f64 / iterations as f64
}

/// How many calls of `f` take about `BATCH_NS`.
fn calibrate(f: impl Fn() + Copy) -> u64 {
    per_call(1000, f); // warm up
    let ns = per_call(1000, f).max(1.0);
    ((BATCH_NS / ns) as u64).max(1)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub(crate) fn measure(message: &Message, serenity_parses: bool) -> Paired {
    let ours_v8 = || drop(black_box(decode_text(black_box(message.v8))));
    let floor_v8 = || {
        drop(black_box(serde_json::from_str::<IgnoredAny>(black_box(
            message.v8,
        ))))
    };
    let ours_v4 = || drop(black_box(decode_text(black_box(message.v4))));
    let serenity_v4 = || {
        drop(black_box(
            serde_json::from_str::<serenity_voice_model::Event>(black_box(message.v4)),
        ))
    };
    let n = [
        calibrate(ours_v8),
        calibrate(floor_v8),
        calibrate(ours_v4),
        calibrate(serenity_v4),
    ];
    let mut rounds: [Vec<f64>; 4] = Default::default();
    let (mut to_floor, mut to_serenity) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = [
            per_call(n[0], ours_v8),
            per_call(n[1], floor_v8),
            per_call(n[2], ours_v4),
            if serenity_parses {
                per_call(n[3], serenity_v4)
            } else {
                f64::NAN
            },
        ];
        to_floor.push(t[0] / t[1]);
        to_serenity.push(t[2] / t[3]);
        for (times, t) in rounds.iter_mut().zip(t) {
            times.push(t);
        }
    }
    let [ours_v8, floor_v8, ours_v4, serenity] = rounds.map(median);
    Paired {
        ours_v8,
        floor_v8,
        to_floor: median(to_floor),
        ours_v4,
        serenity_v4: serenity_parses.then(|| (serenity, median(to_serenity))),
    }
}
