//! `voice-ws connect`: a real session, events printed as they come.

use std::time::Duration;

use crate::output::say;
use futures_util::StreamExt;
use voice_ws_proto::{Credentials, Endpoint, Event, SessionConfig, Token};
use voice_ws_tokio::DriverConfig;

use crate::args::ConnectArgs;
use crate::report;
use crate::timeline::Timeline;
use crate::udp_join::UdpJoin;

/// The environment variable holding the token: flags end up in shell
/// history and `ps` output, the environment does not.
const TOKEN_VAR: &str = "DISCORD_VOICE_TOKEN";

/// Runs until the session ends or Ctrl-C; `Err` is the one-line reason.
pub(crate) async fn run(args: &ConnectArgs) -> Result<(), String> {
    let token = std::env::var(TOKEN_VAR)
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("{TOKEN_VAR} is not set: put the voice token there"))?;
    let endpoint = Endpoint::parse(&args.endpoint, args.allow_insecure)
        .map_err(|e| format!("--endpoint {:?}: {e}", args.endpoint))?;
    let credentials = Credentials {
        server_id: args.server_id.clone(),
        channel_id: args.channel_id.clone(),
        user_id: args.user_id.clone(),
        session_id: args.session_id.clone(),
        token: Token::new(token),
        endpoint,
        max_dave_protocol_version: args.max_dave_protocol_version,
    };
    let mut session = SessionConfig::default();
    session.connect_timeout = Duration::from_millis(args.connect_timeout_ms);
    let config = DriverConfig::default().with_session(session);
    let (handle, mut events) = voice_ws_tokio::spawn(config, credentials);
    let mut timeline = (!args.json).then(Timeline::start);
    let mut udp: Option<UdpJoin> = None;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => {
                handle.close().await;
                return Ok(());
            }
        };
        let Some(event) = event else { return Ok(()) };
        match timeline.as_mut() {
            Some(timeline) => timeline.print(&event),
            None => say!("{}", report::event_json(&event)),
        }
        match &event {
            Event::Ready(ready) if args.ip_discovery => {
                udp = Some(UdpJoin::after_ready(&handle, ready, timeline.as_ref()).await?);
            }
            Event::SessionDescription(sd) => {
                if let Some(join) = &udp {
                    join.after_session_description(sd, timeline.as_ref())
                        .await?;
                }
            }
            _ => {}
        }
        match event {
            Event::Fatal { code, reason } => return Err(format!("fatal close {code}: {reason}")),
            Event::Stopped { code: Some(code) } => {
                return Err(format!("stopped by the server: {code}"));
            }
            Event::Stopped { code: None } => return Ok(()),
            Event::SessionInvalidated { code, reason } => {
                return Err(format!(
                    "session invalidated ({reason}; close {}): get a new session from the main gateway",
                    code.map_or("-".into(), |c| c.to_string())
                ));
            }
            _ => {}
        }
    }
}
