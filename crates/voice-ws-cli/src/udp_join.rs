//! The application's half of joining, around the gateway's: after Ready,
//! IP discovery on Ready's address and Select Protocol with the address it
//! learned; after Session Description, five silence frames of media. Shared
//! by `demo` and `connect --ip-discovery`.

use std::net::{IpAddr, SocketAddr};

use serde_json::json;
use voice_ws_proto::ClientMessage;
use voice_ws_proto::codec::{Ready, SelectProtocol, SessionDescription, Speaking};
use voice_ws_tokio::Handle;

use crate::ip_discovery::{self, Discovered};
use crate::media;
use crate::output::say;
use crate::timeline::Timeline;

/// The discovered socket and our SSRC: where media leaves from.
#[derive(Debug)]
pub(crate) struct UdpJoin {
    pub(crate) found: Discovered,
    pub(crate) ssrc: u32,
}

impl UdpJoin {
    /// IP discovery at Ready's `ip:port`, Speaking (microphone), then Select
    /// Protocol (udp, the address learned, the first mode Ready offers:
    /// Discord lists its preferred mode first). Discord's docs require a
    /// Speaking before any voice data; sent before Select Protocol, it is
    /// handled before Session Description, so before the first packet.
    pub(crate) async fn after_ready(
        handle: &Handle,
        ready: &Ready,
        timeline: Option<&Timeline>,
    ) -> Result<Self, String> {
        let ip = ready
            .ip
            .parse::<IpAddr>()
            .map_err(|e| format!("Ready's ip {:?}: {e}", ready.ip))?;
        let server = SocketAddr::new(ip, ready.port);
        let found = ip_discovery::discover(server, ready.ssrc)
            .await
            .map_err(|e| format!("IP discovery at {server} failed: {e}"))?;
        let (address, port) = (found.address.clone(), found.port);
        note(
            timeline,
            format!("ip discovery at {server}: we are {address}:{port}"),
            json!({"event": "ip_discovery", "server": server.to_string(),
                "address": address, "port": port}),
        );
        let mode = ready.modes.first().cloned().unwrap_or_default();
        note(
            timeline,
            format!("select protocol: udp {address}:{port} {mode}"),
            json!({"event": "select_protocol", "address": address, "port": port, "mode": mode}),
        );
        let speaking = ClientMessage::Speaking(Speaking::new(1, ready.ssrc));
        let select = ClientMessage::SelectProtocol(SelectProtocol::new(address, port, mode));
        for message in [speaking, select] {
            handle
                .send(message)
                .await
                .map_err(|e| format!("send failed: {e}"))?;
        }
        Ok(Self {
            found,
            ssrc: ready.ssrc,
        })
    }

    /// Sends the five silence frames in the mode and key just described.
    pub(crate) async fn after_session_description(
        &self,
        description: &SessionDescription,
        timeline: Option<&Timeline>,
    ) -> Result<(), String> {
        let (mode, key) = (&description.mode, &description.secret_key.0);
        media::send_silence(&self.found.socket, self.ssrc, mode, key).await?;
        note(
            timeline,
            format!(
                "media: {} silence frames sent, {mode}",
                media::SILENCE_FRAMES
            ),
            json!({"event": "media_sent", "frames": media::SILENCE_FRAMES}),
        );
        Ok(())
    }
}

/// A line for something the application did itself: in the timeline, or
/// as one JSON object.
fn note(timeline: Option<&Timeline>, text: String, json: serde_json::Value) {
    match timeline {
        Some(timeline) => timeline.note(&text),
        None => say!("{json}"),
    }
}
