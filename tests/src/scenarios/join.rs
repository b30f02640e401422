//! From the main gateway's voice dispatches to a running connection, and on
//! to a moved voice server (`voice_ws_proto::join`).

use voice_ws_proto::join::{JoinAction, VoiceJoin, VoiceServerUpdate, VoiceStateUpdate};

use crate::{
    Driver, DriverHandle, SERVER_ID, USER_ID, WAIT, collect_until, fast_config,
    first_received_json, is_ready, sim_config, start_sim,
};

/// The `d` of a VOICE_STATE_UPDATE for our user, as the gateway sends it.
fn voice_state(session_id: &str) -> VoiceStateUpdate {
    serde_json::from_str(&format!(
        r#"{{"guild_id":"{SERVER_ID}","channel_id":"157733188964188161","user_id":"{USER_ID}","session_id":"{session_id}","deaf":false,"mute":false,"self_deaf":false,"self_mute":false,"self_video":false,"suppress":false,"request_to_speak_timestamp":null}}"#
    ))
    .expect("a voice state object")
}

/// The `d` of a VOICE_SERVER_UPDATE; `endpoint` is a local gateway's URL
/// here, where Discord would send a bare host.
fn voice_server(token: &str, endpoint: &str) -> VoiceServerUpdate {
    serde_json::from_str(&format!(
        r#"{{"token":"{token}","guild_id":"{SERVER_ID}","endpoint":"{endpoint}"}}"#
    ))
    .expect("a voice server update")
}

/// A bot's wiring: VOICE_SERVER_UPDATE, then VOICE_STATE_UPDATE, yield
/// credentials; the connection reaches Ready with them. The voice server
/// moves: a null endpoint says disconnect, a new VOICE_SERVER_UPDATE yields
/// credentials for the second gateway, handed to `update_credentials`; the
/// same handle identifies there with the new token and reaches Ready.
pub async fn credentials_from_gateway_dispatches(driver: &impl Driver) {
    let first = start_sim(sim_config(Vec::new())).await;
    let moved = start_sim(sim_config(Vec::new())).await;
    let mut join = VoiceJoin::new(SERVER_ID, USER_ID).with_insecure_loopback(true);

    let waiting = join.handle_voice_server(voice_server("token-1", &first.url()));
    assert_eq!(waiting, Ok(JoinAction::Wait));
    let Ok(JoinAction::Connect(credentials)) = join.handle_voice_state(voice_state("session-1"))
    else {
        panic!("both dispatches are in");
    };
    let (handle, mut events) = driver.connect(fast_config(), credentials);
    collect_until(&mut events, is_ready, WAIT).await;

    let allocating: VoiceServerUpdate = serde_json::from_str(&format!(
        r#"{{"token":"token-1","guild_id":"{SERVER_ID}","endpoint":null}}"#
    ))
    .expect("a voice server update with a null endpoint");
    assert_eq!(
        join.handle_voice_server(allocating),
        Ok(JoinAction::Disconnect)
    );
    let Ok(JoinAction::Connect(fresh)) =
        join.handle_voice_server(voice_server("token-2", &moved.url()))
    else {
        panic!("a new voice server means new credentials");
    };
    handle
        .update_credentials(fresh)
        .await
        .expect("a running connection takes new credentials");
    collect_until(&mut events, is_ready, WAIT).await;

    let identify = first_received_json(&moved.connections()[0]);
    assert_eq!(identify["op"], 0);
    assert_eq!(identify["d"]["session_id"], "session-1");
    assert_eq!(identify["d"]["token"], "token-2");
    assert_eq!(first.connections().len(), 1);
}
