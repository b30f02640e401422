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

/// What `voice-ws connect --help` says about the events it prints: one line
/// each, the `--json` name first, then what it means, and after `->` what
/// the user should do. Kept in step with the README's "Events and what to
/// do" and with `CloseCode`'s table in voice-ws-proto.
pub(crate) const EVENTS_HELP: &str = "\
Events (timeline line; the --json \"event\" field):
  connected            socket open; Identify (or Resume) sent
  hello                the server's heartbeat interval
  ready                identified: our SSRC and the voice server's UDP address
  session_description  encryption mode and DAVE protocol version
  resumed              the session survived a lost socket; replayed messages follow
  message              any other server message (op, seq)
  heartbeat_ack        a heartbeat was answered; its round-trip time
  zombified            a heartbeat went unanswered -> nothing to do: the client resumes by itself
  disconnected         a socket ended: its close code, by us or by the server; without a close
                       frame, why (eof, reset, stalled, tls, protocol, io)
  connect_failed       a socket could not be opened, and why (refused, dns, tls, upgrade_rejected,
                       timed_out, io) -> a tls certificate problem: trust the CA with DriverConfig::tls
  reconnecting         a new socket after the delay shown (resume or identify) -> nothing to do
  session_invalidated  session id and token are spent (4006, 4009, other 4xxx, or no progress) ->
                       ask the main gateway again: new session id and token, then connect again
  stopped 4014         kicked, moved or channel deleted -> rejoin through the main gateway
  stopped 4021         rate limited -> wait, then rejoin through the main gateway
  stopped 4022         call terminated -> rejoin through the main gateway if still wanted
  fatal 4004           authentication failed -> wrong token or ids: check DISCORD_VOICE_TOKEN,
                       --server-id, --user-id, --session-id
  fatal 4017           the channel requires DAVE -> enable DAVE: max_dave_protocol_version
                       (--max-dave-protocol-version 1 or higher)
  fatal 4012, 4016     unknown protocol / encryption mode in Select Protocol -> a client bug: report it
  fatal 4020           bad request: the server refused a malformed message -> a client bug: report it
  unsent               sends that never went out (the session ended first) -> send them again on the
                       next session if still wanted
  invalid_frame        a frame could not be decoded; the socket stays up
  dave                 the end-to-end encryption (DAVE) handshake moved on: its \"dave\" field says what
                       (group_established, epoch_changed, transition_executed, privacy_code,
                       member_decryptable, error) -> nothing: the driver answers by itself

With --ip-discovery, three lines of the application's own (not gateway events):
  ip_discovery         after Ready: our address and port as the voice server's UDP side sees them
  select_protocol      Select Protocol sent with that address, port and the first mode offered
  media_sent           after Session Description: five encrypted Opus silence frames sent

connect exits 1 after session_invalidated, fatal, or stopped with a close code.

Numbers: time is seconds since start with 3 decimals (1.234s); the heartbeat interval and
delays under a second are whole milliseconds, longer delays seconds with one decimal (2.5 s);
rtt is milliseconds with one decimal (0.4 ms) in the timeline. Every number in --json is an integer: delay_ms, heartbeat_interval_ms, rtt_ms
(rounded to the nearest millisecond) and rtt_us (whole microseconds, for sub-millisecond RTT).";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the built-in simulator and play a scripted ~10 s session against
    /// it: handshake, IP discovery and Select Protocol, five encrypted
    /// silence frames, heartbeats with RTT, a DAVE call (a second
    /// participant joins, the group forms, one Opus frame crosses
    /// end-to-end encrypted, the participant leaves), zombie and resume,
    /// 4015 and resume, 4014 and stop. Exits 0 only if every expected
    /// transition happened.
    Demo(DemoArgs),
    /// Connect to a voice gateway. The token is read from the
    /// DISCORD_VOICE_TOKEN environment variable, never from a flag.
    /// `--help` lists every event and what to do about it.
    #[command(after_long_help = EVENTS_HELP)]
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
    /// The voice channel id from VOICE_STATE_UPDATE (the DAVE group; the
    /// voice gateway itself does not ask for it).
    #[arg(long, default_value = "")]
    pub(crate) channel_id: String,
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
    /// Give up on a socket that has not opened after this many
    /// milliseconds (DNS, TCP, TLS and the upgrade together).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) connect_timeout_ms: u64,
    /// Finish the join as a voice client does: after Ready, UDP IP
    /// discovery on Ready's address and Select Protocol with the address
    /// learned (first mode offered); after Session Description, five
    /// encrypted Opus silence frames.
    #[arg(long)]
    pub(crate) ip_discovery: bool,
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
    /// Sessions with the same server_id share a DAVE call, with the
    /// simulator as its MLS delivery service (on top of any scenario).
    #[cfg(feature = "dave")]
    #[arg(long)]
    pub(crate) dave: bool,
    /// With --dave: the voice channel id your clients use as the MLS group
    /// id (default: Identify's channel_id if it has one, else its server_id).
    #[cfg(feature = "dave")]
    #[arg(long, requires = "dave")]
    pub(crate) dave_channel: Option<u64>,
}

/// `voice-ws decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// Treat stdin as hex of a binary frame `[seq u16][op u8][payload]`.
    #[arg(long)]
    pub(crate) binary: bool,
}
