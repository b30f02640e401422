//! The fuzzer's voice server: renders server messages as literal JSON and
//! binary, keeping just enough state (last seq, replay cursor, last nonce)
//! for them to look like a real server's.

use crate::ops::{SeqChoice, ServerBinary, ServerText};
use crate::wire::{scrub, scrub_bytes};

/// What the server side of the harness remembers between messages.
#[derive(Debug, Default)]
pub(crate) struct Server {
    /// The last sequence number put on a message.
    last_seq: u16,
    /// The next seq a replay after Resume carries.
    replay_from: u16,
    /// The nonce of the last heartbeat the client transmitted.
    pub(crate) last_nonce: Option<u64>,
}

impl Server {
    /// The client sent Resume with this `seq_ack` (-1: none): a server
    /// replays from the message after it.
    pub(crate) fn resumed_from(&mut self, seq_ack: i64) {
        self.replay_from = u16::try_from(seq_ack + 1).unwrap_or(0);
    }

    fn seq(&mut self, choice: SeqChoice) -> Option<u16> {
        let seq = match choice {
            SeqChoice::None => return None,
            SeqChoice::Next => self.last_seq.wrapping_add(1),
            SeqChoice::Replay => {
                let seq = self.replay_from;
                self.replay_from = seq.wrapping_add(1);
                seq
            }
            SeqChoice::Back(n) => self.last_seq.wrapping_sub(u16::from(n)),
            SeqChoice::Exact(seq) => seq,
        };
        self.last_seq = seq;
        Some(seq)
    }

    /// `,"seq":N` (Discord puts it after `"d"`), or nothing.
    fn seq_field(&mut self, choice: SeqChoice) -> String {
        match self.seq(choice) {
            Some(seq) => format!(r#","seq":{seq}"#),
            None => String::new(),
        }
    }

    /// A text frame as a server would send it. `now_ms` is the harness clock.
    pub(crate) fn text(&mut self, text: &ServerText, now_ms: u64) -> String {
        match text {
            ServerText::Hello { style, interval_ms } => match style % 4 {
                0 => format!(r#"{{"op":8,"d":{{"heartbeat_interval":{interval_ms},"v":8}}}}"#),
                1 => format!(r#"{{"op":8,"d":{{"v":8,"heartbeat_interval":{interval_ms}.0}}}}"#),
                2 => format!(r#"{{"op":8,"d":{{"heartbeat_interval":{interval_ms}.5}}}}"#),
                _ => format!(r#"{{"d":{{"heartbeat_interval":{interval_ms}}},"op":8}}"#),
            },
            ServerText::Ready(seq) => {
                let seq = self.seq_field(*seq);
                format!(
                    r#"{{"op":2,"d":{{"ssrc":1,"ip":"127.0.0.1","port":1234,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":1}}{seq}}}"#
                )
            }
            ServerText::Resumed(seq) => {
                let seq = self.seq_field(*seq);
                format!(r#"{{"op":9,"d":null{seq}}}"#)
            }
            ServerText::SessionDescription(seq) => {
                let seq = self.seq_field(*seq);
                format!(
                    r#"{{"op":4,"d":{{"mode":"aead_aes256_gcm_rtpsize","secret_key":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32],"dave_protocol_version":0}}{seq}}}"#
                )
            }
            ServerText::AckLast => {
                let nonce = self.last_nonce.unwrap_or(0);
                format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
            }
            ServerText::AckGuess(back) => {
                let nonce = now_ms.saturating_sub(u64::from(*back));
                format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
            }
            ServerText::Speaking { seq, speaking } => {
                let seq = self.seq_field(*seq);
                format!(
                    r#"{{"op":5,"d":{{"user_id":"1234","ssrc":77,"speaking":{speaking}}}{seq}}}"#
                )
            }
            ServerText::Other { kind, seq, value } => {
                let seq = self.seq_field(*seq);
                let (op, d) = match kind % 8 {
                    0 => (11, format!(r#"{{"user_ids":["{value}","2"]}}"#)),
                    1 => (13, format!(r#"{{"user_id":"{value}"}}"#)),
                    2 => (
                        21,
                        format!(r#"{{"transition_id":{value},"protocol_version":1}}"#),
                    ),
                    3 => (22, format!(r#"{{"transition_id":{value}}}"#)),
                    4 => (24, format!(r#"{{"epoch":{value},"protocol_version":1}}"#)),
                    5 => (18, format!(r#"{{"any":{value}}}"#)),
                    6 => (15, format!(r#"{{"any":{value},"business":"x"}}"#)),
                    _ => (*kind, format!("{value}")),
                };
                format!(r#"{{"op":{op},"d":{d}{seq}}}"#)
            }
            ServerText::Arbitrary(s) => scrub(s.clone()),
        }
    }

    /// A binary frame as a server would send it.
    pub(crate) fn binary(&mut self, binary: &ServerBinary) -> Vec<u8> {
        match binary {
            ServerBinary::Dave { seq, op, payload } => {
                let seq = self.seq(*seq).unwrap_or(0);
                // Mostly DAVE opcodes; the rest of the byte range too.
                let op = match op % 8 {
                    0 | 4 => 25,
                    1 | 5 => 27,
                    2 => 29,
                    3 => 30,
                    _ => *op,
                };
                let mut frame = Vec::with_capacity(3 + payload.len());
                frame.extend_from_slice(&seq.to_be_bytes());
                frame.push(op);
                frame.extend_from_slice(&scrub_bytes(payload.clone()));
                frame
            }
            ServerBinary::Raw(bytes) => scrub_bytes(bytes.clone()),
        }
    }
}
