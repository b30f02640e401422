//! The demo's media: the five Opus silence frames Discord's docs ask a
//! client to send before it pauses, as RTP in an rtpsize mode. Silence is
//! also the one frame a DAVE receiver lets through without end-to-end
//! encryption, so it is valid media in a DAVE call too.
//!
//! Packet: the 12-byte RTP header (0x80, 0x78, sequence, timestamp, SSRC;
//! the additional data), the sealed frame, the 16-byte tag, and the 32-bit
//! nonce counter, which starts the cipher's nonce (padded with zeros to 12
//! bytes for AES-256-GCM, 24 for XChaCha20-Poly1305).

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use tokio::net::UdpSocket;

/// Opus silence.
const SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];
/// Frames of silence before a pause (Discord's docs: five).
pub(crate) const SILENCE_FRAMES: u16 = 5;
/// 20 ms at 48 kHz.
const SAMPLES_PER_FRAME: u32 = 960;

/// Sends the silence frames on the discovered socket; `Err` for a mode
/// this demo does not speak or a failed send.
pub(crate) async fn send_silence(
    socket: &UdpSocket,
    ssrc: u32,
    mode: &str,
    key: &[u8; 32],
) -> Result<(), String> {
    for n in 0..SILENCE_FRAMES {
        let packet = seal(mode, key, ssrc, n)?;
        socket
            .send(&packet)
            .await
            .map_err(|e| format!("udp send: {e}"))?;
    }
    Ok(())
}

fn seal(mode: &str, key: &[u8; 32], ssrc: u32, n: u16) -> Result<Vec<u8>, String> {
    let mut packet = vec![0x80, 0x78];
    packet.extend(n.to_be_bytes());
    packet.extend((u32::from(n) * SAMPLES_PER_FRAME).to_be_bytes());
    packet.extend(ssrc.to_be_bytes());
    let counter = u32::from(n).to_be_bytes();
    let mut frame = SILENCE.to_vec();
    let tag = match mode {
        "aead_aes256_gcm_rtpsize" => {
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&counter);
            Aes256Gcm::new(key.into())
                .encrypt_inout_detached(&nonce.into(), &packet, frame.as_mut_slice().into())
                .map(|tag| tag.to_vec())
        }
        "aead_xchacha20_poly1305_rtpsize" => {
            let mut nonce = [0u8; 24];
            nonce[..4].copy_from_slice(&counter);
            XChaCha20Poly1305::new(key.into())
                .encrypt_inout_detached(&nonce.into(), &packet, frame.as_mut_slice().into())
                .map(|tag| tag.to_vec())
        }
        other => return Err(format!("the demo sends no media in mode {other}")),
    }
    .map_err(|_| "encryption failed".to_owned())?;
    packet.extend(frame);
    packet.extend(tag);
    packet.extend(counter);
    Ok(packet)
}
