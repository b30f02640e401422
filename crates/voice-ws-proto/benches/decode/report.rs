//! The table printed after criterion's output: each message's time, the
//! ratios to the floor and to serenity-voice-model, the allocations per
//! decode, the geometric mean over the v8 corpus, and the binary split.
//!
//! Times are criterion's median estimates of this run (CPU time of the
//! bench thread), read back from its `estimates.json` files; a benchmark
//! that did not run in this run (a filter, `--test`) shows as `-`, never
//! as an older figure.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use voice_ws_proto::codec::decode_text;

use crate::allocations;
use crate::corpus::CORPUS;
use crate::paired;

/// The binary frame sizes benched, with their labels.
pub(crate) const BINARY_SIZES: [(&str, usize); 2] = [("64B", 64), ("64KiB", 64 * 1024)];

/// Where criterion writes, found the way criterion finds it:
/// `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
/// `criterion` folder of the target directory this bench was built in.
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .map(|dir| dir.join("criterion"))
        .find(|dir| dir.is_dir())
}

/// The median time in nanoseconds of one benchmark, if it ran in this run.
fn median_ns(dir: &Path, id: &str, started: SystemTime) -> Option<f64> {
    let path = dir.join(id).join("new").join("estimates.json");
    let modified = fs::metadata(&path).ok()?.modified().ok()?;
    if modified < started {
        return None;
    }
    let estimates: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn ns(t: Option<f64>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| format!("{t:.1}"))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

fn times(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}×"))
}

pub(crate) fn print(started: SystemTime, paired: bool) {
    let Some(dir) = criterion_dir() else {
        println!("decode report: criterion's output folder not found");
        return;
    };
    println!();
    println!("Decode, median CPU ns per message (this run); allocations per decode");
    println!();
    println!(
        "| message | bytes v8 | ours v8 | floor v8 | ours / floor | allocs ours | ours v4 | serenity v4 | ours / serenity | allocs serenity |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut log_sum = 0.0;
    let mut counted = 0;
    for message in &CORPUS {
        let group = format!("json_{}", message.name);
        let at = |function: &str| median_ns(&dir, &format!("{group}/{function}"), started);
        let (ours_v8, floor_v8) = (at("v8_ours"), at("v8_floor"));
        let (ours_v4, serenity_v4) = (at("v4_ours"), at("v4_serenity"));
        let to_floor = ratio(ours_v8, floor_v8);
        if let Some(r) = to_floor {
            log_sum += r.ln();
            counted += 1;
        }
        let serenity_allocs = match serde_json::from_str::<serenity_voice_model::Event>(message.v4)
        {
            Ok(_) => allocations::count(|| {
                serde_json::from_str::<serenity_voice_model::Event>(message.v4)
            })
            .to_string(),
            Err(_) => "rejects it".to_owned(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            message.name,
            message.v8.len(),
            ns(ours_v8),
            ns(floor_v8),
            times(to_floor),
            allocations::count(|| decode_text(message.v8)),
            ns(ours_v4),
            ns(serenity_v4),
            times(ratio(ours_v4, serenity_v4)),
            serenity_allocs,
        );
    }
    println!();
    if counted > 0 {
        println!(
            "geometric mean of ours / floor over the v8 corpus ({counted} of {} messages): {:.2}×",
            CORPUS.len(),
            (log_sum / f64::from(counted)).exp()
        );
    }
    if paired {
        print_paired();
    }
    println!();
    println!("| binary split | 64 B | 64 KiB |");
    println!("|---|---:|---:|");
    for function in ["slice", "copy"] {
        let [small, large] = BINARY_SIZES.map(|(label, _)| {
            median_ns(&dir, &format!("binary_split/{function}/{label}"), started)
        });
        println!("| {function} (ns) | {} | {} |", ns(small), ns(large));
    }
}

/// The same contenders in paired rounds (`paired.rs`): the ratios that
/// hold when the machine's load moves during the run.
fn print_paired() {
    println!();
    println!("Paired rounds: median CPU ns per message, ratios taken within each round");
    println!();
    println!(
        "| message | ours v8 | floor v8 | ours / floor | ours v4 | serenity v4 | ours / serenity |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut log_sum = 0.0;
    for message in &CORPUS {
        let serenity_parses =
            serde_json::from_str::<serenity_voice_model::Event>(message.v4).is_ok();
        let p = paired::measure(message, serenity_parses);
        log_sum += p.to_floor.ln();
        let (serenity, to_serenity) = match p.serenity_v4 {
            Some((t, r)) => (format!("{t:.1}"), format!("{r:.2}×")),
            None => ("rejects it".to_owned(), "-".to_owned()),
        };
        println!(
            "| {} | {:.1} | {:.1} | {:.2}× | {:.1} | {serenity} | {to_serenity} |",
            message.name, p.ours_v8, p.floor_v8, p.to_floor, p.ours_v4,
        );
    }
    println!();
    println!(
        "geometric mean of ours / floor over the v8 corpus (paired): {:.2}×",
        (log_sum / CORPUS.len() as f64).exp()
    );
}
