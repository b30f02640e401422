//! `voice-ws-soak`: reliability harnesses for voice-ws.
//!
//! - `voice-ws-soak soak`: a chaos soak with exactly-once accounting;
//! - `voice-ws-soak storm`: a reconnect storm (the simulator process killed
//!   and restarted under thousands of connections).
//!
//! Both run the simulator in a separate process: this binary re-executed
//! as `serve-soak` or `serve-storm`. A crate of its own (not a `voice-ws`
//! subcommand) so that its plotting dependency stays out of every library's
//! and the CLI's dependency tree; `publish = false`.

mod args;
mod bot;
mod chart;
mod child;
mod heap;
mod ledger;
mod plan_gen;
mod progress;
mod rng;
mod rss;
mod server;
mod soak;
mod storm;
mod tail;
mod units;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use args::Opts;

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

const USAGE: &str = "\
voice-ws-soak: reliability harnesses for voice-ws

Usage:
  voice-ws-soak soak [options]    chaos soak with exactly-once accounting (soak --help)
  voice-ws-soak storm [options]   reconnect storm: the simulator killed and restarted (storm --help)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        match command.as_str() {
            "soak" => print!("{}", soak::HELP),
            "storm" => print!("{}", storm::HELP),
            _ => print!("{USAGE}"),
        }
        return ExitCode::SUCCESS;
    }
    let result = match command.as_str() {
        "soak" => soak_command(rest).map(|o| runtime.block_on(soak::run(o))),
        "storm" => storm::parse(rest).map(|o| runtime.block_on(storm::run(o))),
        "serve-soak" => server::SoakServe::from_args(rest)
            .ok_or_else(|| "serve-soak: bad arguments".to_owned())
            .map(|a| runtime.block_on(server::serve_soak(a)).map(|()| true)),
        "serve-storm" => serve_storm_command(rest).map(|(port, hb, load)| {
            runtime
                .block_on(server::serve_storm(port, hb, load.as_deref()))
                .map(|()| true)
        }),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Err(usage) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
        Ok(Err(io)) => {
            eprintln!("error: {io}");
            ExitCode::FAILURE
        }
        Ok(Ok(true)) => ExitCode::SUCCESS,
        Ok(Ok(false)) => ExitCode::FAILURE,
    }
}

fn soak_command(args: &[String]) -> Result<soak::SoakOpts, String> {
    let o = Opts::parse(args)?;
    let clock_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64 % 1_000_000_000);
    Ok(soak::SoakOpts {
        bots: o.u64("connections", 1000)?,
        duration: o.duration("duration", Duration::from_secs(600))?,
        seed: o.u64("seed", clock_seed)?,
        heartbeat_ms: o.u64("heartbeat-ms", 1000)?,
        push_ms: o.u64("push-ms", 500)?,
        send_ms: o.u64("send-ms", 500)?,
        plans: PathBuf::from(o.string("plans").unwrap_or("soak-plans.txt")),
        chart: PathBuf::from(o.string("chart").unwrap_or("soak-timeline.svg")),
        settle: o.duration("settle", Duration::from_secs(60))?,
    })
}

fn serve_storm_command(args: &[String]) -> Result<(u16, u64, Option<String>), String> {
    let o = Opts::parse(args)?;
    let port = u16::try_from(o.u64("port", 0)?).map_err(|_| "--port: too large".to_owned())?;
    Ok((
        port,
        o.u64("heartbeat-ms", 1000)?,
        o.string("load").map(str::to_owned),
    ))
}
