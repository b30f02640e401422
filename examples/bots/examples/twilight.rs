//! A twilight bot that joins a voice channel and runs its voice gateway
//! session with voice-ws-tokio.
//!
//! ```text
//! DISCORD_TOKEN=... cargo run --manifest-path examples/bots/Cargo.toml \
//!     --example twilight -- <guild id> <channel id>
//! ```
//!
//! The guild and channel ids may come from `GUILD_ID` and `CHANNEL_ID`
//! instead. The main gateway's shard and the voice connection run in one
//! loop: the two voice dispatches go to [`VoiceJoin`], whose answer
//! connects, hands new credentials to the running connection (the voice
//! server moved) or closes it; an invalidated voice session asks the main
//! gateway to join again (opcode 4).

use std::env;
use std::error::Error;

use twilight_gateway::{
    Event, EventTypeFlags, Intents, MessageSender, Shard, ShardId, StreamExt as _,
};
use twilight_model::gateway::payload::outgoing::UpdateVoiceState;
use twilight_model::id::Id;
use twilight_model::id::marker::{ChannelMarker, GuildMarker};
use voice_ws_proto::join::{JoinAction, VoiceJoin, VoiceServerUpdate, VoiceStateUpdate};
use voice_ws_tokio::{DriverConfig, Events, Handle, Token};

/// The running voice connection, if any.
#[derive(Default)]
struct Voice {
    connection: Option<(Handle, Events)>,
}

impl Voice {
    /// What [`VoiceJoin`] said to do after a dispatch.
    async fn act(&mut self, action: JoinAction) {
        match action {
            JoinAction::Connect(credentials) => match &self.connection {
                // The voice server moved (or the session was renewed).
                Some((handle, _)) => {
                    if let Err(error) = handle.update_credentials(credentials).await {
                        eprintln!("update_credentials: {error}");
                    }
                }
                None => {
                    self.connection =
                        Some(voice_ws_tokio::spawn(DriverConfig::default(), credentials));
                }
            },
            // The voice server went away (a new one follows) or we left
            // the channel.
            JoinAction::Disconnect => {
                if let Some((handle, _)) = self.connection.take() {
                    handle.close().await;
                }
            }
            JoinAction::Wait => {}
            _ => {}
        }
    }

    /// The next voice event; pending while there is no connection.
    async fn next_event(&mut self) -> Option<voice_ws_tokio::Event> {
        match &mut self.connection {
            Some((_, events)) => events.recv().await,
            None => std::future::pending().await,
        }
    }
}

/// Opcode 4, Update Voice State: join `channel` in `guild`.
fn join_voice(sender: &MessageSender, guild: Id<GuildMarker>, channel: Id<ChannelMarker>) {
    if let Err(error) = sender.command(&UpdateVoiceState::new(guild, channel, false, false)) {
        eprintln!("update voice state: {error}");
    }
}

/// Argument `index`, else the environment variable `var`, as an id.
fn id_from<T>(index: usize, var: &str) -> Result<Id<T>, Box<dyn Error>> {
    let text = match env::args().nth(index) {
        Some(text) => text,
        None => env::var(var)
            .map_err(|_| format!("give {var} as argument {index} or in the environment"))?,
    };
    Ok(text.parse()?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let token = env::var("DISCORD_TOKEN").map_err(|_| "set DISCORD_TOKEN")?;
    let guild: Id<GuildMarker> = id_from(1, "GUILD_ID")?;
    let channel: Id<ChannelMarker> = id_from(2, "CHANNEL_ID")?;

    let mut shard = Shard::new(
        ShardId::ONE,
        token,
        Intents::GUILDS | Intents::GUILD_VOICE_STATES,
    );
    let sender = shard.sender();
    let wanted = EventTypeFlags::READY
        | EventTypeFlags::VOICE_STATE_UPDATE
        | EventTypeFlags::VOICE_SERVER_UPDATE;

    let mut join: Option<VoiceJoin> = None;
    let mut voice = Voice::default();

    loop {
        tokio::select! {
            item = shard.next_event(wanted) => {
                let Some(item) = item else { break };
                let event = match item {
                    Ok(event) => event,
                    Err(error) => {
                        eprintln!("main gateway: {error}");
                        continue;
                    }
                };
                let action = match event {
                    Event::Ready(ready) => {
                        // Our user id is known now; a later Ready (a new
                        // main gateway session) keeps the voice state.
                        if join.is_none() {
                            join = Some(VoiceJoin::new(guild.to_string(), ready.user.id.to_string()));
                            join_voice(&sender, guild, channel);
                        }
                        continue;
                    }
                    Event::VoiceStateUpdate(update) => {
                        let Some(join) = join.as_mut() else { continue };
                        let state = update.0;
                        join.handle_voice_state(VoiceStateUpdate::new(
                            state.guild_id.map(|id| id.to_string()),
                            state.channel_id.map(|id| id.to_string()),
                            state.user_id.to_string(),
                            state.session_id,
                        ))
                    }
                    Event::VoiceServerUpdate(update) => {
                        let Some(join) = join.as_mut() else { continue };
                        join.handle_voice_server(VoiceServerUpdate::new(
                            Token::from(update.token),
                            update.guild_id.to_string(),
                            update.endpoint,
                        ))
                    }
                    _ => continue,
                };
                match action {
                    Ok(action) => voice.act(action).await,
                    Err(error) => eprintln!("voice join: {error}"),
                }
            }
            event = voice.next_event() => match event {
                Some(voice_ws_tokio::Event::Ready(ready)) => println!("voice ready: {ready:?}"),
                // The session id and token are spent: join again; the
                // next pair of dispatches brings fresh credentials, which
                // go to `update_credentials` (the connection waits for them).
                Some(voice_ws_tokio::Event::SessionInvalidated { code, reason }) => {
                    eprintln!("voice session invalidated ({code:?}, {reason:?}): joining again");
                    if let Some(join) = join.as_mut() {
                        join.invalidate();
                    }
                    join_voice(&sender, guild, channel);
                }
                Some(voice_ws_tokio::Event::Stopped { code }) => eprintln!("voice stopped: {code:?}"),
                Some(voice_ws_tokio::Event::Fatal { code, .. }) => eprintln!("voice fatal: {code:?}"),
                Some(_) => {}
                // The connection's task ended.
                None => voice.connection = None,
            },
        }
    }
    Ok(())
}
