//! Stable coverage for the fuzz targets: every seed (and regression) file
//! of `fuzz/corpus/<target>/` through its body, then a bounded
//! pseudo-random run per target from a fixed seed. Inputs that found a bug
//! are kept at the end as literal bytes, one test each; while the bug is
//! open the test is `#[ignore = "BUG: ..."]` and its input stays out of the
//! corpus (a crashing seed would stop every fuzz run at startup).
//!
//! The random runs are bounded by an iteration count and by wall time, so a
//! slow machine runs fewer inputs rather than failing; nothing is timed.
//! `FUZZ_RANDOM_SECONDS=N` lifts the count and runs each target N seconds
//! (a longer hunt without cargo-fuzz).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use voice_ws_fuzzing::{dave_handshake, decode_frame, decode_json, session_ops, transport_ops};

type Body = fn(&[u8]);

/// At most this many random inputs per target...
const RANDOM_ITERATIONS: usize = 50_000;
/// ...and at most this long per target.
const RANDOM_TIME: Duration = Duration::from_millis(2500);

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

/// Every file under `dir`, subdirectories (regressions/) included, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `body` on every corpus file, naming the file that fails.
fn replay_corpus(target: &str, body: Body) -> Vec<Vec<u8>> {
    let paths = files(&corpus_dir(target));
    assert!(!paths.is_empty(), "no seeds for {target}");
    paths
        .iter()
        .map(|path| {
            let data = read(path);
            let result = std::panic::catch_unwind(|| body(&data));
            if let Err(panic) = result {
                eprintln!("{target}: {} fails", path.display());
                std::panic::resume_unwind(panic);
            }
            data
        })
        .collect()
}

/// xorshift64*: deterministic, good enough to make inputs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// Bytes that steer the generators: op tags, JSON punctuation, DAVE ops,
/// and the edges of small integers.
const INTERESTING: &[u8] = b"OCtTHRrDAaSJXBbZPhicFUE{}[]\":,0123456789-.eEnulltrf \x00\x01\x02\x03\x19\x1b\x1d\x1e\x7b\x7f\x80\xfe\xff";

/// One input: fresh random bytes, or a seed mutated (bytes replaced,
/// inserted, removed, spliced with another seed).
fn generate(rng: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    let pick = |rng: &mut XorShift| -> u8 {
        if rng.below(2) == 0 {
            INTERESTING[rng.below(INTERESTING.len())]
        } else {
            rng.byte()
        }
    };
    if seeds.is_empty() || rng.below(4) == 0 {
        let len = rng.below(256);
        return (0..len).map(|_| pick(rng)).collect();
    }
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if at < data.len() => data[at] = pick(rng),
            1 => data.insert(at, pick(rng)),
            2 if at < data.len() => {
                data.remove(at);
            }
            3 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let take = rng.below(other.len() - from + 1);
                data.splice(at..at, other[from..from + take].iter().copied());
            }
            _ => {
                let end = (at + rng.below(16)).min(data.len());
                data.truncate(end.max(at.min(data.len())));
            }
        }
    }
    data
}

/// The random run's bounds: the defaults, or `FUZZ_RANDOM_SECONDS`.
fn random_bounds() -> (usize, Duration) {
    match std::env::var("FUZZ_RANDOM_SECONDS") {
        Ok(s) => {
            let secs = s
                .parse()
                .unwrap_or_else(|e| panic!("FUZZ_RANDOM_SECONDS={s:?}: {e}"));
            (usize::MAX, Duration::from_secs(secs))
        }
        Err(_) => (RANDOM_ITERATIONS, RANDOM_TIME),
    }
}

fn random_run(target: &str, body: Body, seeds: &[Vec<u8>], seed: u64) {
    let mut rng = XorShift(seed);
    let (iterations, time) = random_bounds();
    let started = Instant::now();
    let mut runs = 0;
    while runs < iterations && started.elapsed() < time {
        let data = generate(&mut rng, seeds);
        let result = std::panic::catch_unwind(|| body(&data));
        if let Err(panic) = result {
            eprintln!("{target}: random input #{runs} fails: {data:?}");
            std::panic::resume_unwind(panic);
        }
        runs += 1;
    }
    eprintln!("{target}: {runs} random inputs");
}

fn target(target: &str, body: Body, seed: u64) {
    let seeds = replay_corpus(target, body);
    random_run(target, body, &seeds, seed);
}

#[test]
fn decode_frame_corpus_and_random() {
    target("decode_frame", decode_frame, 0x5eed_0001);
}

#[test]
fn decode_json_corpus_and_random() {
    target("decode_json", decode_json, 0x5eed_0002);
}

#[test]
fn transport_corpus_and_random() {
    target("transport", transport_ops, 0x5eed_0003);
}

#[test]
fn session_corpus_and_random() {
    target("session", session_ops, 0x5eed_0004);
}

#[test]
fn dave_corpus_and_random() {
    target("dave", dave_handshake, 0x5eed_0005);
}

// ---- regressions: inputs that found bugs, as literal bytes ----

/// `update_credentials` while waiting out a reconnect backoff left
/// `reconnect_at` set: `handle_timeout` only clears it in
/// `WaitingToReconnect`, so `poll_timeout` stayed in the past (a driver
/// busy loop). Found by the `update-credentials-while-waiting` seed; fixed
/// in `Session::request_connect` (clears `reconnect_at`).
#[test]
fn session_stale_reconnect_deadline_after_new_credentials() {
    // Header: backoff 100 ms (cap 50 ms). O H(1000) R C(1006) O C(none)
    // U t(200) O H(1000) R t(1000) A.
    session_ops(&[
        0, 0, 192, 0, 0, b'O', b'H', 0, 232, 3, b'R', 0, b'C', 5, b'O', b'C', 0, b'U', b't', 200,
        0, b'O', b'H', 0, 232, 3, b'R', 0, b't', 232, 3, b'A',
    ]);
}
