//! The core driven by hand, with no async runtime: see `driver.rs`.
//!
//! Against the local simulator:
//!
//! ```sh
//! cargo run -p voice-ws-cli -- sim --scenario zombie     # prints ws://127.0.0.1:PORT/?v=8
//! cargo run -p voice-ws-proto --example blocking -- --allow-insecure ws://127.0.0.1:PORT
//! ```

mod driver;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use voice_ws_proto::{Credentials, Endpoint, Event, Phase, SessionConfig, Token};

const USAGE: &str = "\
Usage: blocking [OPTIONS] ENDPOINT

Connects to a voice gateway with a blocking socket and prints every event.

ENDPOINT is what VOICE_SERVER_UPDATE carries (host or host:port), or a full
wss:// URL; ws:// is allowed to a loopback host with --allow-insecure (voice-ws sim).

Options:
  --allow-insecure    allow ws:// to a loopback host
  --server-id ID      guild id            [default: 41771983423143937]
  --channel-id ID     voice channel id    [default: 127121515262115840]
  --user-id ID        our user id         [default: 104694319306248192]
  --session-id ID     voice session id    [default: example-session]
  --token TOKEN       voice token         [default: $VOICE_TOKEN, or example-token]
  --acks N            close (1000) after N heartbeat ACKs [default: never]
  -h, --help          this text";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Some((credentials, acks))) => {
            let mut config = SessionConfig::default();
            // Backoff jitter must differ between clients: seed it from the clock.
            config.rng_seed = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let mut seen = 0;
            let ended = driver::run(credentials, config, |event| {
                println!("{event:?}");
                seen += u32::from(matches!(event, Event::HeartbeatAck { .. }));
                acks.is_some_and(|n| seen >= n)
            });
            println!("session ended: {ended:?}");
            match ended {
                Phase::Stopped => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The credentials and the ACK count, or `None` for `--help`.
fn parse(
    mut args: impl Iterator<Item = String>,
) -> Result<Option<(Credentials, Option<u32>)>, String> {
    let (mut server_id, mut user_id) = (
        "41771983423143937".to_owned(),
        "104694319306248192".to_owned(),
    );
    let mut channel_id = "127121515262115840".to_owned();
    let mut session_id = "example-session".to_owned();
    let mut token = std::env::var("VOICE_TOKEN").unwrap_or_else(|_| "example-token".to_owned());
    let (mut insecure, mut acks, mut endpoint) = (false, None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--allow-insecure" => insecure = true,
            "--server-id" => server_id = value()?,
            "--channel-id" => channel_id = value()?,
            "--user-id" => user_id = value()?,
            "--session-id" => session_id = value()?,
            "--token" => token = value()?,
            "--acks" => acks = Some(value()?.parse().map_err(|e| format!("--acks: {e}"))?),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => endpoint = Some(arg),
        }
    }
    let endpoint = endpoint.ok_or("missing ENDPOINT")?;
    let endpoint = Endpoint::parse(&endpoint, insecure).map_err(|e| format!("{endpoint}: {e}"))?;
    let credentials = Credentials {
        server_id,
        channel_id,
        user_id,
        session_id,
        token: Token::new(token),
        endpoint,
        max_dave_protocol_version: 1,
    };
    Ok(Some((credentials, acks)))
}
