//! A serenity bot that joins a voice channel and runs its voice gateway
//! session with voice-ws-tokio.
//!
//! ```text
//! DISCORD_TOKEN=... cargo run --manifest-path examples/bots/Cargo.toml \
//!     --example serenity -- <guild id> <channel id>
//! ```
//!
//! The guild and channel ids may come from `GUILD_ID` and `CHANNEL_ID`
//! instead. serenity's [`EventHandler`] receives the two voice dispatches
//! and feeds them to [`VoiceJoin`], whose answer connects, hands new
//! credentials to the running connection (the voice server moved) or closes
//! it. A task per connection reads its events; an invalidated voice session
//! asks the main gateway to join again (opcode 4).
//!
//! serenity 0.12 has no typed command for opcode 4 (Update Voice State):
//! it goes out as a raw gateway message through the [`ShardMessenger`].

use std::env;
use std::error::Error;
use std::sync::Arc;

use serenity::all::{
    ChannelId, Context, EventHandler, GatewayIntents, GuildId, Ready, ShardMessenger,
    VoiceServerUpdateEvent, VoiceState,
};
use serenity::{Client, async_trait};
use tokio::sync::Mutex;
use tungstenite::Message;
use voice_ws_proto::join::{JoinAction, JoinError, VoiceJoin, VoiceServerUpdate, VoiceStateUpdate};
use voice_ws_tokio::{DriverConfig, Events, Handle, Token};

/// What the handler keeps between events.
#[derive(Default)]
struct Voice {
    /// Created at Ready, when our user id is known.
    join: Option<VoiceJoin>,
    /// The running voice connection.
    handle: Option<Handle>,
}

struct Bot {
    guild: GuildId,
    channel: ChannelId,
    voice: Arc<Mutex<Voice>>,
}

impl Bot {
    /// Opcode 4, Update Voice State: join the channel.
    fn join_voice(&self, shard: &ShardMessenger) {
        join_voice(shard, self.guild, self.channel);
    }

    /// What [`VoiceJoin`] said to do after a dispatch.
    async fn act(
        &self,
        shard: &ShardMessenger,
        voice: &mut Voice,
        action: Result<JoinAction, JoinError>,
    ) {
        let action = match action {
            Ok(action) => action,
            Err(error) => return eprintln!("voice join: {error}"),
        };
        match action {
            JoinAction::Connect(credentials) => match &voice.handle {
                // The voice server moved (or the session was renewed).
                Some(handle) => {
                    if let Err(error) = handle.update_credentials(credentials).await {
                        eprintln!("update_credentials: {error}");
                    }
                }
                None => {
                    let (handle, events) =
                        voice_ws_tokio::spawn(DriverConfig::default(), credentials);
                    voice.handle = Some(handle);
                    tokio::spawn(watch(
                        events,
                        Arc::clone(&self.voice),
                        shard.clone(),
                        self.guild,
                        self.channel,
                    ));
                }
            },
            // The voice server went away (a new one follows) or we left
            // the channel.
            JoinAction::Disconnect => {
                if let Some(handle) = voice.handle.take() {
                    handle.close().await;
                }
            }
            JoinAction::Wait => {}
            _ => {}
        }
    }
}

/// Opcode 4, Update Voice State, as a raw gateway message.
fn join_voice(shard: &ShardMessenger, guild: GuildId, channel: ChannelId) {
    let payload = format!(
        r#"{{"op":4,"d":{{"guild_id":"{guild}","channel_id":"{channel}","self_mute":false,"self_deaf":false}}}}"#
    );
    shard.websocket_message(Message::Text(payload));
}

/// Reads one connection's events until its task ends.
async fn watch(
    mut events: Events,
    voice: Arc<Mutex<Voice>>,
    shard: ShardMessenger,
    guild: GuildId,
    channel: ChannelId,
) {
    while let Some(event) = events.recv().await {
        match event {
            voice_ws_tokio::Event::Ready(ready) => println!("voice ready: {ready:?}"),
            // The session id and token are spent: join again; the next
            // pair of dispatches brings fresh credentials, which go to
            // `update_credentials` (the connection waits for them).
            voice_ws_tokio::Event::SessionInvalidated { code, reason } => {
                eprintln!("voice session invalidated ({code:?}, {reason:?}): joining again");
                if let Some(join) = voice.lock().await.join.as_mut() {
                    join.invalidate();
                }
                join_voice(&shard, guild, channel);
            }
            voice_ws_tokio::Event::Stopped { code } => eprintln!("voice stopped: {code:?}"),
            voice_ws_tokio::Event::Fatal { code, reason } => {
                eprintln!("voice fatal: {code:?}: {reason}");
            }
            _ => {}
        }
    }
}

#[async_trait]
impl EventHandler for Bot {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let mut voice = self.voice.lock().await;
        // A later Ready (a new main gateway session) keeps the voice state.
        if voice.join.is_none() {
            voice.join = Some(VoiceJoin::new(
                self.guild.to_string(),
                ready.user.id.to_string(),
            ));
            self.join_voice(&ctx.shard);
        }
    }

    async fn voice_state_update(&self, ctx: Context, _old: Option<VoiceState>, new: VoiceState) {
        let mut voice = self.voice.lock().await;
        let Some(join) = voice.join.as_mut() else {
            return;
        };
        let action = join.handle_voice_state(VoiceStateUpdate::new(
            new.guild_id.map(|id| id.to_string()),
            new.channel_id.map(|id| id.to_string()),
            new.user_id.to_string(),
            new.session_id,
        ));
        self.act(&ctx.shard, &mut voice, action).await;
    }

    async fn voice_server_update(&self, ctx: Context, event: VoiceServerUpdateEvent) {
        let mut voice = self.voice.lock().await;
        let Some(join) = voice.join.as_mut() else {
            return;
        };
        let Some(guild_id) = event.guild_id else {
            return;
        };
        let action = join.handle_voice_server(VoiceServerUpdate::new(
            Token::from(event.token),
            guild_id.to_string(),
            event.endpoint,
        ));
        self.act(&ctx.shard, &mut voice, action).await;
    }
}

/// Argument `index`, else the environment variable `var`, as an id.
fn id_from(index: usize, var: &str) -> Result<u64, Box<dyn Error>> {
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
    let bot = Bot {
        guild: GuildId::new(id_from(1, "GUILD_ID")?),
        channel: ChannelId::new(id_from(2, "CHANNEL_ID")?),
        voice: Arc::default(),
    };
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_VOICE_STATES;
    let mut client = Client::builder(token, intents).event_handler(bot).await?;
    client.start().await?;
    Ok(())
}
