//! Pairing the main gateway's VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE
//! into credentials. The payloads are the `d` of each dispatch as Discord's
//! gateway docs show them (a voice state object; the voice server update
//! example), written out literally.

#![allow(clippy::unwrap_used)]

use voice_ws_proto::join::{JoinAction, JoinError, VoiceJoin, VoiceServerUpdate, VoiceStateUpdate};

const GUILD: &str = "41771983423143937";
const ME: &str = "104694319306248192";

fn state(json: &str) -> VoiceStateUpdate {
    serde_json::from_str(json).unwrap()
}

fn server(json: &str) -> VoiceServerUpdate {
    serde_json::from_str(json).unwrap()
}

/// Our voice state in the guild, as the gateway docs' voice state object.
fn my_state(session_id: &str) -> VoiceStateUpdate {
    state(&format!(
        r#"{{"guild_id":"41771983423143937","channel_id":"157733188964188161","user_id":"104694319306248192","member":{{"user":{{"id":"104694319306248192","username":"me"}},"roles":[]}},"session_id":"{session_id}","deaf":false,"mute":false,"self_deaf":false,"self_mute":true,"self_video":false,"suppress":false,"request_to_speak_timestamp":null}}"#
    ))
}

/// The gateway docs' VOICE_SERVER_UPDATE example.
const SERVER: &str = r#"{"token":"my_token","guild_id":"41771983423143937","endpoint":"sweetwater-12345.discord.media:2048"}"#;

fn connect(action: Result<JoinAction, JoinError>) -> voice_ws_proto::Credentials {
    match action {
        Ok(JoinAction::Connect(credentials)) => credentials,
        other => panic!("expected credentials, got {other:?}"),
    }
}

#[test]
fn state_then_server() {
    let mut join = VoiceJoin::new(GUILD, ME);
    assert_eq!(
        join.handle_voice_state(my_state("abc")),
        Ok(JoinAction::Wait)
    );
    let c = connect(join.handle_voice_server(server(SERVER)));
    assert_eq!(c.server_id, GUILD);
    assert_eq!(c.channel_id, "157733188964188161");
    assert_eq!(c.user_id, ME);
    assert_eq!(c.session_id, "abc");
    assert_eq!(c.token.expose(), "my_token");
    assert_eq!(
        c.endpoint.url(),
        "wss://sweetwater-12345.discord.media:2048/?v=8"
    );
    assert_eq!(c.max_dave_protocol_version, 1);
}

#[test]
fn server_then_state() {
    let mut join = VoiceJoin::new(GUILD, ME);
    assert_eq!(
        join.handle_voice_server(server(SERVER)),
        Ok(JoinAction::Wait)
    );
    let c = connect(join.handle_voice_state(my_state("abc")));
    assert_eq!(c.session_id, "abc");
    assert_eq!(c.token.expose(), "my_token");
}

#[test]
fn a_null_endpoint_waits_for_the_real_one() {
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    let allocating =
        server(r#"{"token":"my_token","guild_id":"41771983423143937","endpoint":null}"#);
    assert_eq!(join.handle_voice_server(allocating), Ok(JoinAction::Wait));
    let c = connect(join.handle_voice_server(server(SERVER)));
    assert_eq!(c.endpoint.host(), "sweetwater-12345.discord.media");
}

#[test]
fn the_voice_server_moves_while_connected() {
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    let first = connect(join.handle_voice_server(server(SERVER)));
    // The server goes away first (null endpoint): disconnect and wait.
    let gone = server(r#"{"token":"my_token","guild_id":"41771983423143937","endpoint":null}"#);
    assert_eq!(join.handle_voice_server(gone), Ok(JoinAction::Disconnect));
    // Then a new one: same session, new token and endpoint.
    let moved = server(
        r#"{"token":"new_token","guild_id":"41771983423143937","endpoint":"c-ams07-a1b2.discord.media:80"}"#,
    );
    let second = connect(join.handle_voice_server(moved));
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(second.token.expose(), "new_token");
    assert_eq!(
        second.endpoint.url(),
        "wss://c-ams07-a1b2.discord.media/?v=8",
        ":80 means 443"
    );
    // A moved server without the null in between: new credentials too.
    let again = server(
        r#"{"token":"third_token","guild_id":"41771983423143937","endpoint":"c-fra01.discord.media"}"#,
    );
    assert_eq!(
        connect(join.handle_voice_server(again)).token.expose(),
        "third_token"
    );
}

#[test]
fn a_repeated_dispatch_is_not_news() {
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    connect(join.handle_voice_server(server(SERVER)));
    assert_eq!(
        join.handle_voice_server(server(SERVER)),
        Ok(JoinAction::Wait)
    );
    assert_eq!(
        join.handle_voice_state(my_state("abc")),
        Ok(JoinAction::Wait)
    );
    // A new session id (the main gateway re-joined) is news.
    assert_eq!(
        connect(join.handle_voice_state(my_state("def"))).session_id,
        "def"
    );
}

#[test]
fn moving_to_another_channel_is_news() {
    // Same session id, another channel: DAVE's group is the channel, so
    // the application needs the new credentials.
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    connect(join.handle_voice_server(server(SERVER)));
    let moved = state(
        r#"{"guild_id":"41771983423143937","channel_id":"127121515262115840","user_id":"104694319306248192","session_id":"abc","deaf":false,"mute":false}"#,
    );
    assert_eq!(
        connect(join.handle_voice_state(moved)).channel_id,
        "127121515262115840"
    );
}

#[test]
fn other_users_and_other_guilds_are_not_ours() {
    let mut join = VoiceJoin::new(GUILD, ME);
    let someone_else = state(
        r#"{"guild_id":"41771983423143937","channel_id":"157733188964188161","user_id":"80351110224678912","session_id":"theirs"}"#,
    );
    assert_eq!(join.handle_voice_state(someone_else), Ok(JoinAction::Wait));
    let other_guild = state(
        r#"{"guild_id":"290926798626357999","channel_id":"1","user_id":"104694319306248192","session_id":"elsewhere"}"#,
    );
    assert_eq!(join.handle_voice_state(other_guild), Ok(JoinAction::Wait));
    let wrong_server =
        server(r#"{"token":"t","guild_id":"290926798626357999","endpoint":"x.discord.media"}"#);
    assert_eq!(
        join.handle_voice_server(wrong_server),
        Err(JoinError::OtherGuild {
            expected: GUILD.into(),
            got: "290926798626357999".into()
        })
    );
    // None of that reached the credentials.
    assert_eq!(
        join.handle_voice_server(server(SERVER)),
        Ok(JoinAction::Wait)
    );
    assert_eq!(
        connect(join.handle_voice_state(my_state("abc"))).session_id,
        "abc"
    );
}

#[test]
fn leaving_the_channel_disconnects() {
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    connect(join.handle_voice_server(server(SERVER)));
    let left = state(
        r#"{"guild_id":"41771983423143937","channel_id":null,"user_id":"104694319306248192","session_id":"abc"}"#,
    );
    assert_eq!(join.handle_voice_state(left), Ok(JoinAction::Disconnect));
    assert_eq!(join.credentials(), None);
}

#[test]
fn after_invalidation_both_halves_are_needed_again() {
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    connect(join.handle_voice_server(server(SERVER)));
    join.invalidate();
    // Only a new state: the old token is spent.
    assert_eq!(
        join.handle_voice_state(my_state("def")),
        Ok(JoinAction::Wait)
    );
    let fresh = server(
        r#"{"token":"fresh_token","guild_id":"41771983423143937","endpoint":"sweetwater-12345.discord.media:2048"}"#,
    );
    let c = connect(join.handle_voice_server(fresh));
    assert_eq!(
        (c.session_id.as_str(), c.token.expose()),
        ("def", "fresh_token")
    );
}

#[test]
fn an_unusable_endpoint_is_an_error_and_ws_needs_permission() {
    let mut join = VoiceJoin::new(GUILD, ME);
    let plain =
        server(r#"{"token":"t","guild_id":"41771983423143937","endpoint":"ws://127.0.0.1:9000"}"#);
    assert!(matches!(
        join.handle_voice_server(plain.clone()),
        Err(JoinError::Endpoint(_))
    ));
    let mut local = VoiceJoin::new(GUILD, ME).with_insecure_loopback(true);
    local.handle_voice_state(my_state("abc")).unwrap();
    assert_eq!(
        connect(local.handle_voice_server(plain)).endpoint.url(),
        "ws://127.0.0.1:9000/?v=8"
    );
}

#[test]
fn the_token_stays_out_of_debug() {
    let update = server(SERVER);
    assert!(!format!("{update:?}").contains("my_token"));
    let mut join = VoiceJoin::new(GUILD, ME);
    join.handle_voice_state(my_state("abc")).unwrap();
    join.handle_voice_server(update).unwrap();
    assert!(!format!("{join:?}").contains("my_token"));
}
