//! The UDP side of the voice server: the address Ready advertises. It
//! answers IP discovery, echoes keepalives and counts (and decrypts) media;
//! it never sends media.

mod dave_frame;
mod discovery;
mod log;
mod media_sink;
mod rtp;
mod transport_crypto;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tracing::debug;

pub use log::{StreamLog, UdpLog};
pub(crate) use media_sink::MediaSink;

use crate::state::SimState;

/// The largest datagram read; larger ones count as malformed. Opus frames
/// are far smaller (at most 1275 bytes per 20 ms frame).
pub(crate) const MAX_DATAGRAM: usize = 4096;

/// Receives until the future is dropped (with the accept loop).
pub(crate) async fn serve(socket: UdpSocket, state: Arc<SimState>) -> Infallible {
    // One byte more than accepted, to tell a datagram of exactly the
    // maximum from a larger one the kernel truncated.
    let mut buffer = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        let (len, from) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // On Linux an ICMP "port unreachable" for an earlier reply
                // surfaces here; it says nothing about this socket.
                debug!(%error, "udp receive failed");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        if len > MAX_DATAGRAM {
            state.udp.oversized();
            continue;
        }
        let reply = state.udp.receive(&buffer[..len], from);
        if let Some(reply) = reply {
            if let Err(error) = socket.send_to(&reply, from).await {
                debug!(%error, %from, "udp reply failed");
            }
        }
    }
}
