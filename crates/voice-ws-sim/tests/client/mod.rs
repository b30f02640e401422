//! A deliberately dumb client on raw tokio-tungstenite: it sends the literal
//! JSON of `docs/protocol.md` and hands back exactly what arrived.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{WebSocketStream, client_async};
use voice_ws_sim::Sim;

/// Generous: only a broken sim takes this long.
const PATIENCE: Duration = Duration::from_secs(5);

pub(crate) const IDENTIFY: &str = r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"my_session_id","token":"my_token","max_dave_protocol_version":1}}"#;
pub(crate) const SELECT_PROTOCOL: &str = r#"{"op":1,"d":{"protocol":"udp","data":{"address":"127.0.0.1","port":1337,"mode":"aead_xchacha20_poly1305_rtpsize"}}}"#;

pub(crate) fn resume(seq_ack: i64) -> String {
    format!(
        r#"{{"op":7,"d":{{"server_id":"41771983423143937","session_id":"my_session_id","token":"my_token","seq_ack":{seq_ack}}}}}"#
    )
}

pub(crate) fn heartbeat(nonce: u64, seq_ack: i64) -> String {
    format!(r#"{{"op":3,"d":{{"t":{nonce},"seq_ack":{seq_ack}}}}}"#)
}

pub(crate) struct Client {
    ws: WebSocketStream<TcpStream>,
}

impl Client {
    pub(crate) async fn connect(sim: &Sim) -> Self {
        let tcp = TcpStream::connect(sim.addr()).await.expect("tcp connect");
        let (ws, _) = client_async(sim.url(), tcp).await.expect("ws handshake");
        Self { ws }
    }

    /// Connects and consumes Hello.
    pub(crate) async fn hello(sim: &Sim) -> Self {
        let mut client = Self::connect(sim).await;
        let hello = client.recv_json().await;
        assert_eq!(hello["op"], 8, "{hello}");
        client
    }

    /// Connects, consumes Hello, identifies and returns Ready.
    pub(crate) async fn ready(sim: &Sim) -> (Self, Value) {
        let mut client = Self::hello(sim).await;
        client.send(IDENTIFY).await;
        let ready = client.recv_json().await;
        assert_eq!(ready["op"], 2, "{ready}");
        (client, ready)
    }

    pub(crate) async fn send(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_owned()))
            .await
            .expect("send text");
    }

    pub(crate) async fn send_binary(&mut self, bytes: &[u8]) {
        self.ws
            .send(Message::binary(bytes.to_vec()))
            .await
            .expect("send binary");
    }

    pub(crate) async fn close(&mut self, code: u16) {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: "".into(),
        };
        self.ws.close(Some(frame)).await.expect("send close");
    }

    /// Next data or close frame; `None` when the stream ended, `Some(Err)` on errors.
    pub(crate) async fn next(&mut self) -> Option<Result<Message, Error>> {
        loop {
            let next = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("sim did not answer in time");
            match next {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    }

    pub(crate) async fn recv(&mut self) -> Message {
        self.next()
            .await
            .expect("stream ended")
            .expect("read error")
    }

    pub(crate) async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Message::Text(text) => text.as_str().to_owned(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    pub(crate) async fn recv_json(&mut self) -> Value {
        serde_json::from_str(&self.recv_text().await).expect("server sent JSON")
    }

    pub(crate) async fn recv_binary(&mut self) -> Vec<u8> {
        match self.recv().await {
            Message::Binary(bytes) => bytes.to_vec(),
            other => panic!("expected binary, got {other:?}"),
        }
    }

    /// The server's close code; panics on anything else first.
    pub(crate) async fn recv_close(&mut self) -> Option<u16> {
        match self.recv().await {
            Message::Close(frame) => frame.map(|f| u16::from(f.code)),
            other => panic!("expected close, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for a while (the socket stays open).
    pub(crate) async fn expect_silence(&mut self, window: Duration) {
        if let Ok(next) = tokio::time::timeout(window, self.ws.next()).await {
            panic!("expected silence, got {next:?}");
        }
    }
}

/// Seq of a replayable message, JSON or binary.
pub(crate) fn seq_of(msg: &Message) -> u16 {
    match msg {
        Message::Text(text) => {
            let value: Value = serde_json::from_str(text.as_str()).expect("JSON");
            let seq = value["seq"].as_u64().expect("has seq");
            u16::try_from(seq).expect("u16 seq")
        }
        Message::Binary(bytes) => u16::from_be_bytes([bytes[0], bytes[1]]),
        other => panic!("no seq in {other:?}"),
    }
}
