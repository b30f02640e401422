//! What arrived on the sim's UDP socket: IP discovery, keepalives and media,
//! counted per SSRC ([`Sim::udp`](crate::Sim::udp)).

/// Counts of everything that reached the sim's UDP socket since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UdpLog {
    /// IP discovery requests answered (74 bytes, type 0x1, length 70),
    /// whatever their SSRC.
    pub discovery_requests: u64,
    /// 4- and 8-byte keepalives (songbird's and discord.js's), echoed back.
    /// Not in Discord's docs; clients measure a UDP round trip with them.
    pub keepalives: u64,
    /// RTCP packets (version 2, packet type 192..=223): counted, not read.
    pub rtcp: u64,
    /// Datagrams ignored as malformed: a discovery request of the wrong size
    /// or length field, anything else that is not RTP version 2, RTP too
    /// short for its header, extension, tag and nonce, or a datagram larger
    /// than the sim reads (4096 bytes).
    pub malformed: u64,
    /// RTP packets for an SSRC the sim sent no Session Description for
    /// (not the client's SSRC, or sent before Select Protocol was answered).
    pub unknown_ssrc: u64,
    /// One entry per SSRC the sim handed out in Ready, in SSRC order (at most
    /// 4096; later sessions' packets count as `unknown_ssrc`).
    pub streams: Vec<StreamLog>,
}

impl UdpLog {
    /// The stream of this SSRC, if the sim handed it out.
    pub fn stream(&self, ssrc: u32) -> Option<&StreamLog> {
        self.streams.iter().find(|s| s.ssrc == ssrc)
    }

    /// RTP packets that decrypted, over all streams.
    pub fn decrypted(&self) -> u64 {
        self.streams.iter().map(|s| s.decrypted).sum()
    }

    /// RTP packets whose authentication failed, over all streams.
    pub fn failed(&self) -> u64 {
        self.streams.iter().map(|s| s.failed).sum()
    }
}

/// The media of one SSRC (one session).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamLog {
    /// The SSRC from Ready.
    pub ssrc: u32,
    /// The encryption mode from Session Description; `None` until then.
    pub mode: Option<String>,
    /// `dave_protocol_version` from Session Description (0: no E2EE).
    pub dave_protocol_version: u16,
    /// IP discovery requests carrying this SSRC.
    pub discovery_requests: u64,
    /// RTP packets received for this SSRC after Session Description.
    pub packets: u64,
    /// Packets that decrypted with the session's key and mode.
    pub decrypted: u64,
    /// Packets whose tag did not verify (wrong key, wrong nonce layout,
    /// wrong additional data, tampered bytes).
    pub failed: u64,
    /// Packets that arrived before the client's first Speaking (op 5) with a
    /// non-zero mode: Discord's docs require one before any voice data, and
    /// disconnect clients that skip it.
    pub before_speaking: u64,
    /// Decrypted packets whose nonce was not above the previous one: the
    /// docs' nonce is a 32-bit counter, and a repeated AEAD nonce under one
    /// key breaks the encryption.
    pub nonce_not_increasing: u64,
    /// In a DAVE call: decrypted payloads that pass DAVE's protocol frame
    /// check (the 0xFAFA marker, a plausible supplemental size, a ULEB128
    /// nonce, ordered ranges). The E2EE layer itself is never decrypted.
    pub dave_frames: u64,
    /// In a DAVE call: the 3-byte Opus silence frame, which receivers let
    /// through unencrypted.
    pub dave_silence: u64,
    /// In a DAVE call: decrypted payloads that are neither (sent without
    /// E2EE, or with a broken footer).
    pub dave_invalid: u64,
}
