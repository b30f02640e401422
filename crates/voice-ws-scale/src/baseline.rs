//! The baseline: a bare tokio-tungstenite voice client, written as such a
//! client usually is, doing the same work as ours against the same sim.
//!
//! One task per connection; every text frame parsed by serde_json into a
//! generic [`Value`]; a `tokio::time::interval` for heartbeats; messages
//! built with `json!`. It is tuned the way a careful author would tune it
//! for many connections: 4 KiB read and write buffers (tungstenite's
//! default is 128 KiB each, zero-filled), and TCP_NODELAY, as ours.
//!
//! The work, per connection: Identify; Hello gives the interval; a
//! heartbeat every interval with the nonce and `seq_ack` (the last `seq`
//! seen, -1 before any); an ACK counts, with its round-trip time worked
//! out from the nonce it echoes. Its nonce is milliseconds on the
//! process's clock, read just before the write, like ours.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Interval;
use tokio_tungstenite::connect_async_with_config;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::executor::Executor;
use crate::tally::Tally;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The baseline's connections.
pub(crate) struct Baseline {
    url: Arc<str>,
    tally: Arc<Tally>,
    /// The clock nonces are read on.
    epoch: Instant,
}

impl Baseline {
    pub(crate) fn new(url: &str, tally: Arc<Tally>) -> Self {
        Self {
            url: url.into(),
            tally,
            epoch: Instant::now(),
        }
    }

    /// Starts connection `i`.
    pub(crate) fn open(&mut self, executor: &Executor, i: usize) {
        let (url, tally, epoch) = (self.url.clone(), self.tally.clone(), self.epoch);
        executor.spawn(async move {
            if let Err(error) = connection(&url, i, &tally, epoch).await {
                tally.trouble(format!("baseline: {error}"));
            }
        });
    }
}

/// One connection, until it fails.
async fn connection(url: &str, i: usize, tally: &Tally, epoch: Instant) -> Result<(), Error> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (mut ws, _response) = connect_async_with_config(url, Some(config), true).await?;
    tally.up();

    let identify = json!({
        "op": 0,
        "d": {
            "server_id": "41771983423143937",
            "user_id": "104694319306248192",
            "session_id": format!("scale-baseline-{i}"),
            "token": "scale-token",
            "max_dave_protocol_version": 0,
        }
    });
    ws.send(Message::text(identify.to_string())).await?;

    let mut heartbeat: Option<Interval> = None;
    let mut seq_ack: i64 = -1;
    loop {
        tokio::select! {
            message = ws.next() => {
                let Some(message) = message else {
                    return Err("the server closed the socket".into());
                };
                match message? {
                    Message::Text(text) => {
                        let payload: Value = serde_json::from_str(&text)?;
                        if let Some(seq) = payload["seq"].as_i64() {
                            seq_ack = seq;
                        }
                        match payload["op"].as_u64() {
                            Some(8) => {
                                let ms = payload["d"]["heartbeat_interval"]
                                    .as_f64()
                                    .ok_or("Hello without heartbeat_interval")?;
                                let period = Duration::from_secs_f64(ms / 1e3);
                                heartbeat = Some(tokio::time::interval(period));
                            }
                            Some(2) => tally.ready(),
                            Some(6) => {
                                let nonce = payload["d"]["t"].as_u64().ok_or("ACK without t")?;
                                let rtt = now_ms(epoch).saturating_sub(nonce);
                                // What a client shows or logs; kept from the optimiser.
                                std::hint::black_box(rtt);
                                tally.acked();
                            }
                            _ => {}
                        }
                    }
                    // DAVE binary frames: [seq u16 BE][op][payload].
                    Message::Binary(bytes) if bytes.len() >= 3 => {
                        seq_ack = i64::from(u16::from_be_bytes([bytes[0], bytes[1]]));
                    }
                    Message::Close(_) => return Err("the server sent a close frame".into()),
                    _ => {}
                }
            }
            () = tick(&mut heartbeat) => {
                let beat = json!({"op": 3, "d": {"t": now_ms(epoch), "seq_ack": seq_ack}});
                ws.send(Message::text(beat.to_string())).await?;
            }
        }
    }
}

/// The next heartbeat; never, before Hello.
async fn tick(heartbeat: &mut Option<Interval>) {
    match heartbeat {
        Some(interval) => drop(interval.tick().await),
        None => std::future::pending().await,
    }
}

fn now_ms(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}
