//! The `voice-ws` command: `demo`, `connect`, `sim`, `decode`.

mod args;
mod connect;
mod decode;
mod demo;
#[cfg(feature = "dave")]
mod demo_call;
mod ip_discovery;
mod media;
mod output;
mod report;
mod report_dave;
mod sim_cmd;
mod timeline;
mod udp_join;
mod units;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr and are off unless RUST_LOG asks for them; the
    // token never reaches them (the core redacts it).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let result = match &cli.command {
        Command::Decode(args) => decode::run(args),
        command => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(async {
                match command {
                    Command::Demo(args) => demo::run(args).await,
                    Command::Connect(args) => connect::run(args).await,
                    Command::Sim(args) => sim_cmd::run(args).await,
                    Command::Decode(_) => Ok(()),
                }
            }),
            Err(e) => Err(format!("cannot start the runtime: {e}")),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("voice-ws: {reason}");
            ExitCode::FAILURE
        }
    }
}
