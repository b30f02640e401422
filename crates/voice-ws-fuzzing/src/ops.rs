//! The op-sequence language of the `transport` and `session` targets.
//!
//! The byte format is simple enough to write seeds by hand:
//!
//! ```text
//! [header: 5 bytes] [op] [op] ...
//! op = tag byte, then its arguments (integers little-endian, as
//!      `arbitrary` reads them; missing bytes read as zero)
//! ```
//!
//! Tags are ASCII letters (see [`TAGS`]); any other byte stands for
//! `TAGS[byte % TAGS.len()]`, so every input is a valid program.

use arbitrary::{Arbitrary, Result, Unstructured};

/// Longest program run per input: enough for several sockets' worth of
/// handshakes, short enough to keep executions fast.
pub(crate) const MAX_OPS: usize = 1024;

/// Every op tag. Order matters only for non-letter bytes.
pub(crate) const TAGS: &[u8] = b"OCtTHRrDAaSJXBbZPhicFUE";

/// Close codes worth hitting on purpose: every code of docs/protocol.md plus a
/// few transport-level ones.
const CODES: [u16; 24] = [
    1000, 1001, 1002, 1005, 1006, 1009, 1011, 4000, 4001, 4002, 4003, 4004, 4005, 4006, 4009, 4011,
    4012, 4014, 4015, 4016, 4017, 4020, 4021, 4022,
];

/// The configuration bytes in front of the program.
///
/// All zeros gives the defaults (an eager owner, a driver that keeps the
/// contract), so hand-written seeds can start with five zero bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Header {
    /// bit 0 lazy owner (events only taken by `E`), bit 1 loose driver
    /// (opens and closes whenever told), bit 2 first heartbeat immediately,
    /// bit 3 any frame is alive, bits 4-5 max message size, bits 6-7 close
    /// timeout.
    pub(crate) flags: u8,
    /// bits 0-2 max outbound frames, bits 3-5 max pending events, bits 6-7
    /// heartbeat tolerance - 1.
    pub(crate) bounds: u8,
    /// Session only: bits 0-1 connect, 2-3 hello, 4-5 handshake timeout,
    /// bits 6-7 backoff.
    pub(crate) timeouts: u8,
    /// Session only: bits 0-3 max reconnect attempts (0: default), bits 4-6
    /// max pending sends, bit 7 DAVE.
    pub(crate) session: u8,
    /// Session only: the backoff PRNG seed; its bits 4-5 also pick
    /// `resume_stable_after` and bits 6-7 `resume_loop_limit`.
    pub(crate) seed: u8,
}

impl Header {
    /// The owner takes events only when told to (`E`), not after every input.
    pub(crate) fn lazy_owner(self) -> bool {
        self.flags & 1 != 0
    }

    /// The driver calls `handle_open`/`handle_close` whenever the program
    /// says, even against the driver contract. Contract-dependent checks
    /// are off then; the core must still not panic.
    pub(crate) fn loose_driver(self) -> bool {
        self.flags & 2 != 0
    }

    /// A small table index from `bits` of `byte` starting at `shift`.
    fn pick<T: Copy>(byte: u8, shift: u32, table: &[T]) -> T {
        let mask = (table.len() - 1) as u8;
        table[usize::from((byte >> shift) & mask)]
    }

    /// The transport settings the header selects.
    pub(crate) fn transport_config(self) -> voice_ws_proto::TransportConfig {
        use core::time::Duration;
        use voice_ws_proto::transport::FirstHeartbeat;
        const BOUNDS: [usize; 8] = [256, 1, 2, 3, 4, 8, 16, 64];
        let mut c = voice_ws_proto::TransportConfig::default();
        c.first_heartbeat = if self.flags & 4 != 0 {
            FirstHeartbeat::Immediately
        } else {
            FirstHeartbeat::AfterInterval
        };
        c.any_frame_is_alive = self.flags & 8 != 0;
        // 200: Ready and Session Description fit, a long DAVE frame does not.
        c.max_message_size = Self::pick(self.flags, 4, &[1 << 20, 64, 200, 4096]);
        c.close_timeout = Self::pick(
            self.flags,
            6,
            &[
                Duration::from_secs(5),
                Duration::ZERO,
                Duration::from_millis(1),
                Duration::from_millis(250),
            ],
        );
        c.max_outbound_frames = Self::pick(self.bounds, 0, &BOUNDS);
        c.max_pending_events = Self::pick(self.bounds, 3, &BOUNDS);
        c.heartbeat_tolerance = u32::from(self.bounds >> 6) + 1;
        c
    }

    /// The session settings the header selects.
    pub(crate) fn session_config(self) -> voice_ws_proto::SessionConfig {
        use core::time::Duration;
        const TIMEOUTS: [Duration; 4] = [
            Duration::from_secs(10),
            Duration::ZERO,
            Duration::from_millis(1),
            Duration::from_millis(300),
        ];
        // (base, cap): the default, none, tiny, and a cap below the base.
        const BACKOFF: [(Duration, Duration); 4] = [
            (Duration::from_secs(1), Duration::from_secs(30)),
            (Duration::ZERO, Duration::ZERO),
            (Duration::from_millis(1), Duration::from_millis(5)),
            (Duration::from_millis(100), Duration::from_millis(50)),
        ];
        let mut c = voice_ws_proto::SessionConfig::default();
        c.transport = self.transport_config();
        c.connect_timeout = Self::pick(self.timeouts, 0, &TIMEOUTS);
        c.hello_timeout = Self::pick(self.timeouts, 2, &TIMEOUTS);
        c.handshake_timeout = Self::pick(self.timeouts, 4, &TIMEOUTS);
        (c.backoff_base, c.backoff_cap) = Self::pick(self.timeouts, 6, &BACKOFF);
        c.max_reconnect_attempts = match self.session & 0x0f {
            0 => 8,
            n => u32::from(n) - 1,
        };
        c.max_pending_sends = Self::pick(self.session, 4, &[256, 1, 2, 3, 4, 8, 16, 64]);
        c.rng_seed = u64::from(self.seed);
        c.resume_stable_after = Self::pick(self.seed, 4, &TIMEOUTS);
        // 0 keeps the default (3), so hand-written seeds resume as usual.
        c.resume_loop_limit = Self::pick(self.seed, 6, &[3, 1, 2, 5]);
        c
    }

    /// Highest DAVE version the credentials announce.
    pub(crate) fn dave(self) -> u16 {
        u16::from(self.session >> 7)
    }
}

/// Which sequence number a server message carries.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SeqChoice {
    /// No `"seq"` (JSON only; binary frames always carry one).
    None,
    /// One past the last fresh seq the server sent (a new message).
    Next,
    /// A deliberate repeat: an earlier message of the server session sent
    /// again exactly, cycling through its replay buffer. (The replay after
    /// a Resume is the server's own doing, see `server.rs`.)
    Replay,
    /// This many below the last fresh seq (0: the same seq again), with
    /// new content: a stale message.
    Back(u8),
    /// Exactly this seq: new when after the last fresh one in serial
    /// order, stale otherwise.
    Exact(u16),
}

/// A text frame from the server.
#[derive(Clone, Debug)]
pub(crate) enum ServerText {
    /// Op 8; `style` picks integer, float, fractional, or `"d"` before `"op"`.
    Hello {
        /// Rendering variant.
        style: u8,
        /// The interval in ms (0 is rendered, and must be refused).
        interval_ms: u16,
    },
    /// Op 2.
    Ready(SeqChoice),
    /// Op 9.
    Resumed(SeqChoice),
    /// Op 4.
    SessionDescription(SeqChoice),
    /// Op 6 echoing the nonce of the last heartbeat the client sent.
    AckLast,
    /// Op 6 with an earlier nonce: below 16, the nth-latest heartbeat the
    /// client sent (0: the latest, on any socket); otherwise guessed from
    /// the clock, `now_ms - (n - 16)`.
    AckGuess(u8),
    /// Op 5 from another user.
    Speaking {
        /// Its sequence number.
        seq: SeqChoice,
        /// Speaking flags.
        speaking: u8,
    },
    /// Ops 11, 13, 21, 22, 24 and undocumented ones.
    Other {
        /// Which message.
        kind: u8,
        /// Its sequence number.
        seq: SeqChoice,
        /// A number to put in it.
        value: u16,
    },
    /// Anything at all.
    Arbitrary(String),
}

/// A binary frame from the server.
#[derive(Clone, Debug)]
pub(crate) enum ServerBinary {
    /// `[seq u16 BE][op][payload]` with a DAVE opcode (mostly).
    Dave {
        /// Its sequence number (`None` is rendered as seq 0).
        seq: SeqChoice,
        /// The opcode byte.
        op: u8,
        /// What follows the header.
        payload: Vec<u8>,
    },
    /// Any bytes.
    Raw(Vec<u8>),
}

/// Something the application asks to send.
#[derive(Clone, Debug)]
pub(crate) enum AppSend {
    /// Op 5.
    Speaking {
        /// Flags.
        speaking: u8,
        /// Our SSRC.
        ssrc: u32,
    },
    /// Op 1.
    SelectProtocol {
        /// UDP port.
        port: u16,
        /// Index into a few mode names.
        mode: u8,
    },
    /// Op 23.
    TransitionReady(u16),
    /// Op 31.
    InvalidCommitWelcome(u16),
    /// Op 26 (binary).
    KeyPackage(Vec<u8>),
    /// Op 28 (binary).
    CommitWelcome(Vec<u8>),
    /// Raw text.
    Text(String),
    /// Raw binary.
    Binary(Vec<u8>),
    /// Op 0 (the session refuses it; a bare transport sends it).
    Identify,
    /// Op 7 (as Identify).
    Resume,
    /// Op 3 (as Identify).
    Heartbeat {
        /// Any nonce.
        nonce: u32,
    },
}

/// One step of a program.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// `O`: the socket opened.
    Open,
    /// A server text frame.
    Text(ServerText),
    /// A server binary frame.
    Binary(ServerBinary),
    /// `C`: the socket ended (`None`: no close frame).
    Close(Option<u16>),
    /// `t` (u16 ms) / `T` (u32 ms): time passes; deadlines on the way fire.
    Advance(u32),
    /// `P`: the application sends.
    Send(AppSend),
    /// `h`: heartbeat now.
    HeartbeatNow,
    /// `i`: next heartbeat in this many ms.
    HeartbeatIn(u16),
    /// `c`: we close gracefully with this code.
    CloseGracefully(u16),
    /// `Z`: the WebSocket layer refused a message of this size.
    Oversized(u32),
    /// `F`: force close with this code.
    ForceClose(u16),
    /// `U`: fresh credentials (a new token).
    UpdateCredentials,
    /// `E`: the owner takes up to this many events (0: all).
    TakeEvents(u8),
}

/// Reads a header and a program. Never fails: short input ends the program.
pub(crate) fn parse(data: &[u8]) -> (Header, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let [flags, bounds, timeouts, session, seed] = <[u8; 5]>::arbitrary(&mut u).unwrap_or_default();
    let header = Header {
        flags,
        bounds,
        timeouts,
        session,
        seed,
    };
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    (header, ops)
}

fn byte(u: &mut Unstructured<'_>) -> Result<u8> {
    u8::arbitrary(u)
}

/// A length byte, then up to that many bytes (fewer at the end of input).
fn blob(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = usize::from(byte(u)?).min(u.len());
    Ok(u.bytes(len)?.to_vec())
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(String::from_utf8_lossy(&blob(u)?).into_owned())
}

fn code(u: &mut Unstructured<'_>) -> Result<Option<u16>> {
    Ok(match byte(u)? {
        0 => None,
        s @ 1..=0x7f => Some(CODES[usize::from(s - 1) % CODES.len()]),
        _ => Some(u16::arbitrary(u)?),
    })
}

impl<'a> Arbitrary<'a> for SeqChoice {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match byte(u)? {
            0 => SeqChoice::None,
            1 => SeqChoice::Next,
            2 => SeqChoice::Replay,
            s @ 3..=0xbf => SeqChoice::Back(s - 3),
            _ => SeqChoice::Exact(u16::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for AppSend {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match byte(u)? % 11 {
            0 => AppSend::Speaking {
                speaking: byte(u)?,
                ssrc: u32::arbitrary(u)?,
            },
            1 => AppSend::SelectProtocol {
                port: u16::arbitrary(u)?,
                mode: byte(u)?,
            },
            2 => AppSend::TransitionReady(u16::arbitrary(u)?),
            3 => AppSend::InvalidCommitWelcome(u16::arbitrary(u)?),
            4 => AppSend::KeyPackage(blob(u)?),
            5 => AppSend::CommitWelcome(blob(u)?),
            6 => AppSend::Text(text(u)?),
            7 => AppSend::Binary(blob(u)?),
            8 => AppSend::Identify,
            9 => AppSend::Resume,
            _ => AppSend::Heartbeat {
                nonce: u32::arbitrary(u)?,
            },
        })
    }
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let tag = byte(u)?;
        let tag = if TAGS.contains(&tag) {
            tag
        } else {
            TAGS[usize::from(tag) % TAGS.len()]
        };
        Ok(match tag {
            b'O' => Op::Open,
            b'C' => Op::Close(code(u)?),
            b't' => Op::Advance(u32::from(u16::arbitrary(u)?)),
            b'T' => Op::Advance(u32::arbitrary(u)?),
            b'H' => Op::Text(ServerText::Hello {
                style: byte(u)?,
                interval_ms: u16::arbitrary(u)?,
            }),
            b'R' => Op::Text(ServerText::Ready(SeqChoice::arbitrary(u)?)),
            b'r' => Op::Text(ServerText::Resumed(SeqChoice::arbitrary(u)?)),
            b'D' => Op::Text(ServerText::SessionDescription(SeqChoice::arbitrary(u)?)),
            b'A' => Op::Text(ServerText::AckLast),
            b'a' => Op::Text(ServerText::AckGuess(byte(u)?)),
            b'S' => Op::Text(ServerText::Speaking {
                seq: SeqChoice::arbitrary(u)?,
                speaking: byte(u)?,
            }),
            b'J' => Op::Text(ServerText::Other {
                kind: byte(u)?,
                seq: SeqChoice::arbitrary(u)?,
                value: u16::arbitrary(u)?,
            }),
            b'X' => Op::Text(ServerText::Arbitrary(text(u)?)),
            b'B' => Op::Binary(ServerBinary::Dave {
                seq: SeqChoice::arbitrary(u)?,
                op: byte(u)?,
                payload: blob(u)?,
            }),
            b'b' => Op::Binary(ServerBinary::Raw(blob(u)?)),
            b'Z' => Op::Oversized(u32::arbitrary(u)?),
            b'P' => Op::Send(AppSend::arbitrary(u)?),
            b'h' => Op::HeartbeatNow,
            b'i' => Op::HeartbeatIn(u16::arbitrary(u)?),
            b'c' => Op::CloseGracefully(code(u)?.unwrap_or(1000)),
            b'F' => Op::ForceClose(code(u)?.unwrap_or(1000)),
            b'U' => Op::UpdateCredentials,
            _ => Op::TakeEvents(byte(u)?),
        })
    }
}
