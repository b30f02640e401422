//! The decode corpus for an instruction counter: decodes one message with
//! one contender a given number of times, and nothing else.
//!
//! Wall-clock figures move with whatever else the machine runs; counted
//! instructions do not. `scripts/decode-instructions` runs this under
//! valgrind's callgrind (counting only inside `run`) and prints the same
//! table as the criterion bench, in instructions per decode.
//!
//! `decode_instructions <ours_v8|floor_v8|ours_v4|serenity_v4> <message> <iterations>`

use std::hint::black_box;
use std::process::ExitCode;

use serde::de::IgnoredAny;
use voice_ws_proto::codec::decode_text;

mod corpus;

/// The decodes counted: everything outside this function is not.
#[inline(never)]
fn run(contender: &str, text: &'static str, iterations: u64) -> bool {
    for _ in 0..iterations {
        let ok = match contender {
            "ours_v8" | "ours_v4" => decode_text(black_box(text)).is_ok(),
            "floor_v8" => serde_json::from_str::<IgnoredAny>(black_box(text)).is_ok(),
            "serenity_v4" => {
                serde_json::from_str::<serenity_voice_model::Event>(black_box(text)).is_ok()
            }
            _ => false,
        };
        if !black_box(ok) {
            return false;
        }
    }
    true
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` runs every bench target with `--bench`: nothing to do.
    let [contender, name, iterations] = args.as_slice() else {
        eprintln!("usage: decode_instructions <contender> <message> <iterations>");
        return ExitCode::SUCCESS;
    };
    let Some(message) = corpus::CORPUS.iter().find(|m| m.name == name) else {
        eprintln!("no message {name} in the corpus");
        return ExitCode::FAILURE;
    };
    let Ok(iterations) = iterations.parse() else {
        eprintln!("iterations: {iterations} is not a number");
        return ExitCode::FAILURE;
    };
    let text = if contender.ends_with("_v4") {
        message.v4
    } else {
        message.v8
    };
    if run(contender, text, iterations) {
        ExitCode::SUCCESS
    } else {
        // A message serenity-voice-model rejects is not timed; the script says so
        // (0.2 rejected ops 11, 21 and 24; 0.3, songbird 0.6's, parses all nine).
        println!("rejected");
        ExitCode::from(2)
    }
}
