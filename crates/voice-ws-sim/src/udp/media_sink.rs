//! The voice server's side of UDP: answers IP discovery, echoes keepalives,
//! and counts (and transport-decrypts) the media each session sends.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::dave_frame::{self, DaveFrame};
use super::discovery;
use super::log::{StreamLog, UdpLog};
use super::rtp;
use super::transport_crypto::{Cipher, Mode};

/// SSRCs tracked at most; sessions beyond this are not tracked (their media
/// counts as unknown), so a run with thousands of sessions stays bounded.
pub(crate) const MAX_STREAMS: usize = 4096;

/// Every UDP count and each session's cipher, behind one mutex (never held
/// across an await).
#[derive(Default)]
pub(crate) struct MediaSink {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    log: UdpLog,
    streams: BTreeMap<u32, Stream>,
}

struct Stream {
    log: StreamLog,
    cipher: Option<Cipher>,
    last_nonce: Option<u32>,
    speaking: bool,
}

impl MediaSink {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ready handed out `ssrc`.
    pub(crate) fn expect(&self, ssrc: u32) {
        let mut inner = self.lock();
        if inner.streams.len() < MAX_STREAMS || inner.streams.contains_key(&ssrc) {
            inner.streams.entry(ssrc).or_insert_with(|| Stream {
                log: StreamLog {
                    ssrc,
                    ..StreamLog::default()
                },
                cipher: None,
                last_nonce: None,
                speaking: false,
            });
        }
    }

    /// Session Description gave `ssrc` this mode and key.
    pub(crate) fn describe(&self, ssrc: u32, mode: &str, key: &[u8; 32], dave: u16) {
        let mut inner = self.lock();
        if let Some(stream) = inner.streams.get_mut(&ssrc) {
            stream.cipher = Mode::from_name(mode).map(|mode| Cipher::new(mode, key));
            stream.log.mode = Some(mode.to_owned());
            stream.log.dave_protocol_version = dave;
            // A new key starts a new nonce sequence.
            stream.last_nonce = None;
        }
    }

    /// The session sent Speaking with a non-zero mode: media may follow.
    pub(crate) fn speaking(&self, ssrc: u32) {
        if let Some(stream) = self.lock().streams.get_mut(&ssrc) {
            stream.speaking = true;
        }
    }

    /// Handles one datagram from `from`; returns the reply to send, if any.
    pub(crate) fn receive(&self, packet: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        if matches!(packet.len(), 4 | 8) {
            inner.log.keepalives += 1;
            return Some(packet.to_vec());
        }
        if discovery::is_request(packet) {
            let Some(ssrc) = discovery::parse_request(packet) else {
                inner.log.malformed += 1;
                return None;
            };
            inner.log.discovery_requests += 1;
            if let Some(stream) = inner.streams.get_mut(&ssrc) {
                stream.log.discovery_requests += 1;
            }
            return Some(discovery::response(ssrc, from).to_vec());
        }
        if rtp::is_rtcp(packet) {
            inner.log.rtcp += 1;
            return None;
        }
        let Some(sealed) = rtp::split(packet) else {
            inner.log.malformed += 1;
            return None;
        };
        let stream = inner
            .streams
            .get_mut(&sealed.ssrc)
            .and_then(|s| s.cipher.is_some().then_some(s));
        match stream {
            Some(stream) => stream.on_rtp(&sealed),
            None => inner.log.unknown_ssrc += 1,
        }
        None
    }

    pub(crate) fn snapshot(&self) -> UdpLog {
        let inner = self.lock();
        let mut log = inner.log.clone();
        log.streams = inner.streams.values().map(|s| s.log.clone()).collect();
        log
    }

    /// Too large to read: counted with the malformed.
    pub(crate) fn oversized(&self) {
        self.lock().log.malformed += 1;
    }
}

impl Stream {
    fn on_rtp(&mut self, sealed: &rtp::Sealed<'_>) {
        self.log.packets += 1;
        if !self.speaking {
            self.log.before_speaking += 1;
        }
        let Some(plaintext) = self.cipher.as_ref().and_then(|c| c.open(sealed)) else {
            self.log.failed += 1;
            return;
        };
        self.log.decrypted += 1;
        let nonce = u32::from_be_bytes(sealed.nonce);
        // Serial order, so that the counter may wrap at 2^32.
        if self
            .last_nonce
            .is_some_and(|last| nonce.wrapping_sub(last).wrapping_sub(1) >= 1 << 31)
        {
            self.log.nonce_not_increasing += 1;
        }
        self.last_nonce = Some(nonce);
        if self.log.dave_protocol_version == 0 {
            return;
        }
        let verdict = rtp::media_payload(sealed, &plaintext).map(dave_frame::check);
        match verdict {
            Some(DaveFrame::Protocol) => self.log.dave_frames += 1,
            Some(DaveFrame::Silence) => self.log.dave_silence += 1,
            Some(DaveFrame::Invalid) | None => self.log.dave_invalid += 1,
        }
    }
}
