//! The command line, as clap sees it.

use clap::{Args, Parser, Subcommand};

/// Discord voice gateway WebSocket client, simulator and tools.
#[derive(Debug, Parser)]
#[command(name = "voice-ws", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the built-in simulator and play a scripted ~10 s session against
    /// it: handshake, heartbeats with RTT, DAVE frames, zombie and resume,
    /// 4015 and resume, 4014 and stop. Exits 0 only if every expected
    /// transition happened.
    Demo(DemoArgs),
    /// Connect to a voice gateway. The token is read from the
    /// DISCORD_VOICE_TOKEN environment variable, never from a flag.
    Connect(ConnectArgs),
    /// Run the simulator on its own so that any client can be tested
    /// against it.
    Sim(SimArgs),
    /// Decode one server frame read from stdin: JSON text, or hex for a
    /// binary frame (`--binary`, or input that is all hex digits).
    Decode(DecodeArgs),
}

/// `voice-ws demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Print one JSON object per event instead of the timeline.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `voice-ws connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The endpoint from VOICE_SERVER_UPDATE (host, host:port, or wss:// URL).
    #[arg(long)]
    pub(crate) endpoint: String,
    /// The guild (or call) id.
    #[arg(long)]
    pub(crate) server_id: String,
    /// Your user id.
    #[arg(long)]
    pub(crate) user_id: String,
    /// The voice session id from VOICE_STATE_UPDATE.
    #[arg(long)]
    pub(crate) session_id: String,
    /// Highest DAVE protocol version to offer (0: none).
    #[arg(long, default_value_t = 1)]
    pub(crate) max_dave_protocol_version: u16,
    /// Print one JSON object per line per event, with an "event" field.
    #[arg(long)]
    pub(crate) json: bool,
    /// Permit ws:// (no TLS) to a loopback address, for local testing.
    #[arg(long)]
    pub(crate) allow_insecure: bool,
}

/// `voice-ws sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// The scenario to play (see --list).
    #[arg(long, default_value = "normal")]
    pub(crate) scenario: String,
    /// List the scenarios and exit.
    #[arg(long)]
    pub(crate) list: bool,
}

/// `voice-ws decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// Treat stdin as hex of a binary frame `[seq u16][op u8][payload]`.
    #[arg(long)]
    pub(crate) binary: bool,
}
