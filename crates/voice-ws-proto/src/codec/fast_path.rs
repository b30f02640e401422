//! The fast path of [`decode_text`](super::decode_text): a strict byte
//! scanner for the shapes voice servers actually send.
//!
//! Every message of a session goes through the decoder, so the common
//! shapes are read here in one pass over the bytes, without serde's
//! per-token dispatch: `op` first, then `d` straight into its type, strings
//! borrowed until a field keeps them, ids parsed where they lie.
//!
//! The scanner only ever *accepts* or *steps aside*: anything it does not
//! fully understand (an escape in a string, `d` before `op`, an exponent,
//! a negative number, a duplicate key, a value out of range, an unknown
//! opcode, malformed JSON) returns `None`, and the serde decoder reads the
//! text from the start. So every error, and every rare shape, comes from
//! the one serde decoder, and what the scanner accepts it decodes exactly
//! as that decoder does (checked by the tests below, side by side).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::op;
use super::server_types::{
    ClientDisconnect, ClientsConnect, DaveExecuteTransition, DavePrepareEpoch,
    DavePrepareTransition, HeartbeatAck, Hello, Incoming, Ready, SecretKey, ServerMessage,
    SessionDescription, SpeakingUpdate,
};
use super::snowflake::parse_decimal;

/// `None`: not a shape this scanner reads; the serde decoder takes over.
type Scan<T> = Option<T>;

/// The most ids allocated ahead of reading them (the serde decoder's cap too).
const MAX_LIST_HINT: usize = 1024;

/// Nesting deeper than this in an ignored value is left to serde.
const MAX_DEPTH: u32 = 32;

/// Decodes `text` if it has one of the common shapes, else `None`.
pub(super) fn decode(text: &str) -> Scan<Incoming> {
    let mut s = Scanner { text, at: 0 };
    let incoming = s.envelope()?;
    s.ws();
    (s.at == text.len()).then_some(incoming)
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn eat(&mut self, byte: u8) -> Scan<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Consumes `literal` (`null`, `true`, `false`) if it comes next.
    fn literal(&mut self, literal: &str) -> Scan<()> {
        let end = self.at + literal.len();
        (self.text.as_bytes().get(self.at..end)? == literal.as_bytes()).then(|| self.at = end)
    }

    /// Consumes `null` if it comes next (after whitespace), and says so.
    fn null(&mut self) -> bool {
        self.ws();
        self.peek() == Some(b'n') && self.literal("null").is_some()
    }

    /// A string without escapes or control characters, borrowed.
    fn string(&mut self) -> Scan<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = &self.text.as_bytes()[start..];
        // Escapes need unescaping and control characters are errors: both
        // are serde's.
        let len = special_byte(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.at = start + len + 1;
        self.text.get(start..start + len)
    }

    /// An unsigned integer in JSON's grammar (`0` or no leading zero), no
    /// sign, fraction or exponent: those are serde's.
    fn uint(&mut self) -> Scan<u64> {
        let n = self.integer_part()?;
        (!matches!(self.peek(), Some(b'.' | b'e' | b'E'))).then_some(n)
    }

    /// The digits of a non-negative number up to its fraction or exponent.
    fn integer_part(&mut self) -> Scan<u64> {
        self.ws();
        let start = self.at;
        let (n, len) = digits_at(self.text.as_bytes(), start);
        let leading_zero = len > 1 && self.text.as_bytes()[start] == b'0';
        if len == 0 || leading_zero {
            return None;
        }
        self.at = start + len;
        if len <= 19 {
            Some(n)
        } else {
            parse_decimal(self.text.get(start..self.at)?)
        }
    }

    fn uint_max(&mut self, max: u64) -> Scan<u64> {
        self.uint().filter(|n| *n <= max)
    }

    fn u8(&mut self) -> Scan<u8> {
        self.uint_max(u64::from(u8::MAX)).map(|n| n as u8)
    }

    fn u16(&mut self) -> Scan<u16> {
        self.uint_max(u64::from(u16::MAX)).map(|n| n as u16)
    }

    fn u32(&mut self) -> Scan<u32> {
        self.uint_max(u64::from(u32::MAX)).map(|n| n as u32)
    }

    /// A snowflake: a string of digits, or (leniently) a JSON integer.
    fn snowflake(&mut self) -> Scan<u64> {
        self.ws();
        if self.peek()? != b'"' {
            return self.uint();
        }
        // `"` digits `"`: this runs for every id of a Clients Connect.
        // Anything else in the string (an escape, a sign, nothing) is serde's.
        let start = self.at + 1;
        let (n, len) = digits_at(self.text.as_bytes(), start);
        let end = start + len;
        if len == 0 || self.text.as_bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        if len <= 19 {
            Some(n)
        } else {
            parse_decimal(self.text.get(start..end)?)
        }
    }

    /// Milliseconds as Hello sends them: an integer, or one with a fraction
    /// of zeros (`13750.0`). Other fractions and exponents are serde's,
    /// whose float parsing is then the only one.
    fn whole_millis(&mut self) -> Scan<f64> {
        let ms = self.integer_part()?;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let zeros = self.text.as_bytes()[self.at..]
                .iter()
                .take_while(|b| **b == b'0')
                .count();
            self.at += zeros;
            if zeros == 0 || matches!(self.peek(), Some(b'0'..=b'9' | b'e' | b'E')) {
                return None;
            }
        }
        // Below 2^53 the integer is exact as an f64, as serde_json reads it.
        (ms < 1 << 53).then_some(ms as f64)
    }

    /// Walks an object, calling `field` with each key; `field` reads the
    /// value. No trailing comma, nothing but objects.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Scan<()>) -> Scan<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            field(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Walks an array, calling `element` for each element.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Scan<()>) -> Scan<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            element(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips one JSON value, checking its grammar.
    fn skip(&mut self, depth: u32) -> Scan<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|s, _| s.skip(depth + 1)),
            b'[' => self.array(|s| s.skip(depth + 1)),
            b'n' => self.literal("null"),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            _ => self.skip_number(),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn skip_number(&mut self) -> Scan<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Scan<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// `{"op": .., "d": .., "seq": ..}` with `op` before `d`.
    fn envelope(&mut self) -> Scan<Incoming> {
        let mut op: Option<u8> = None;
        let mut seq: Option<Option<u16>> = None;
        let mut message: Option<ServerMessage> = None;
        self.object(|s, key| {
            match key {
                "op" if op.is_none() => op = Some(s.u8()?),
                // `d` before `op` is serde's (it buffers `d`).
                "d" if message.is_none() => message = Some(s.payload(op?)?),
                "seq" if seq.is_none() => seq = Some(if s.null() { None } else { Some(s.u16()?) }),
                "op" | "d" | "seq" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        // A missing `op` is an error and a missing `d` means null: serde's.
        Some(Incoming {
            seq: seq.flatten(),
            message: message?,
        })
    }

    /// `d`, read straight into the type its opcode names.
    fn payload(&mut self, op: u8) -> Scan<ServerMessage> {
        use ServerMessage as M;
        Some(match op {
            op::READY => M::Ready(self.ready()?),
            op::SESSION_DESCRIPTION => M::SessionDescription(self.session_description()?),
            op::SPEAKING => M::Speaking(self.speaking()?),
            op::HEARTBEAT_ACK => M::HeartbeatAck(self.heartbeat_ack()?),
            op::HELLO => M::Hello(self.hello()?),
            op::CLIENTS_CONNECT => M::ClientsConnect(self.clients_connect()?),
            op::CLIENT_DISCONNECT => M::ClientDisconnect(self.client_disconnect()?),
            op::DAVE_PREPARE_TRANSITION => {
                M::DavePrepareTransition(self.dave_prepare_transition()?)
            }
            op::DAVE_EXECUTE_TRANSITION => {
                M::DaveExecuteTransition(self.dave_execute_transition()?)
            }
            op::DAVE_PREPARE_EPOCH => M::DavePrepareEpoch(self.dave_prepare_epoch()?),
            // Resumed, unknown opcodes (kept as a `Value`): serde's.
            _ => return None,
        })
    }

    fn hello(&mut self) -> Scan<Hello> {
        let mut interval = None;
        let mut v: Option<Option<u8>> = None;
        self.object(|s, key| {
            match key {
                "heartbeat_interval" if interval.is_none() => interval = Some(s.whole_millis()?),
                "v" if v.is_none() => v = Some(if s.null() { None } else { Some(s.u8()?) }),
                "heartbeat_interval" | "v" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        let ms = interval?;
        // Out of range is an error, with serde's message.
        if !(ms > 0.0 && ms <= super::server_types::MAX_INTERVAL_MS) {
            return None;
        }
        Some(Hello {
            heartbeat_interval: Duration::from_micros((ms * 1000.0) as u64),
            v: v.flatten(),
        })
    }

    fn ready(&mut self) -> Scan<Ready> {
        let (mut ssrc, mut ip, mut port, mut modes) = (None, None, None, None);
        self.object(|s, key| {
            match key {
                "ssrc" if ssrc.is_none() => ssrc = Some(s.u32()?),
                "ip" if ip.is_none() => ip = Some(String::from(s.string()?)),
                "port" if port.is_none() => port = Some(s.u16()?),
                "modes" if modes.is_none() => {
                    let mut list = Vec::new();
                    s.array(|s| {
                        list.push(String::from(s.string()?));
                        Some(())
                    })?;
                    modes = Some(list);
                }
                "ssrc" | "ip" | "port" | "modes" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(Ready {
            ssrc: ssrc?,
            ip: ip?,
            port: port?,
            modes: modes.unwrap_or_default(),
        })
    }

    fn session_description(&mut self) -> Scan<SessionDescription> {
        let (mut mode, mut key, mut dave) = (None, None, None);
        self.object(|s, field| {
            match field {
                "mode" if mode.is_none() => mode = Some(String::from(s.string()?)),
                "secret_key" if key.is_none() => {
                    let mut bytes = [0u8; 32];
                    let mut len = 0;
                    s.array(|s| {
                        *bytes.get_mut(len)? = s.u8()?;
                        len += 1;
                        Some(())
                    })?;
                    // Fewer than 32 is an error: serde's.
                    key = (len == bytes.len()).then_some(SecretKey(bytes));
                    key.as_ref()?;
                }
                "dave_protocol_version" if dave.is_none() => dave = Some(s.u16()?),
                "mode" | "secret_key" | "dave_protocol_version" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(SessionDescription {
            mode: mode?,
            secret_key: key?,
            dave_protocol_version: dave.unwrap_or(0),
        })
    }

    fn speaking(&mut self) -> Scan<SpeakingUpdate> {
        let (mut user_id, mut ssrc, mut speaking) = (None, None, None);
        self.object(|s, key| {
            match key {
                "user_id" if user_id.is_none() => {
                    user_id = Some(if s.null() { None } else { Some(s.snowflake()?) })
                }
                "ssrc" if ssrc.is_none() => ssrc = Some(s.u32()?),
                "speaking" if speaking.is_none() => speaking = Some(s.u32()?),
                "user_id" | "ssrc" | "speaking" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(SpeakingUpdate {
            user_id: user_id.flatten(),
            ssrc: ssrc?,
            speaking: speaking?,
        })
    }

    fn heartbeat_ack(&mut self) -> Scan<HeartbeatAck> {
        self.ws();
        if self.peek()? != b'{' {
            // Below v8: the bare nonce.
            return Some(HeartbeatAck {
                nonce: self.uint()?,
            });
        }
        let mut nonce = None;
        self.object(|s, key| {
            match key {
                // A repeated "t": the last one counts, as in serde's visitor.
                "t" => nonce = Some(s.uint()?),
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(HeartbeatAck { nonce: nonce? })
    }

    fn clients_connect(&mut self) -> Scan<ClientsConnect> {
        let mut user_ids = None;
        self.object(|s, key| {
            match key {
                "user_ids" if user_ids.is_none() => {
                    let mut ids = Vec::with_capacity(s.ids_hint());
                    s.array(|s| {
                        ids.push(s.snowflake()?);
                        Some(())
                    })?;
                    user_ids = Some(ids);
                }
                "user_ids" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(ClientsConnect {
            user_ids: user_ids?,
        })
    }

    /// How many ids the rest of the text can hold, so that the list is
    /// allocated once: a snowflake takes at least 20 bytes (17 digits since
    /// 2016, quotes, comma). Only a hint, capped like serde's.
    fn ids_hint(&self) -> usize {
        ((self.text.len() - self.at) / 20).min(MAX_LIST_HINT)
    }

    fn client_disconnect(&mut self) -> Scan<ClientDisconnect> {
        let mut user_id = None;
        self.object(|s, key| {
            match key {
                "user_id" if user_id.is_none() => user_id = Some(s.snowflake()?),
                "user_id" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(ClientDisconnect { user_id: user_id? })
    }

    fn dave_prepare_transition(&mut self) -> Scan<DavePrepareTransition> {
        let (mut transition_id, mut protocol_version) = (None, None);
        self.object(|s, key| {
            match key {
                "transition_id" if transition_id.is_none() => transition_id = Some(s.u16()?),
                "protocol_version" if protocol_version.is_none() => {
                    protocol_version = Some(s.u16()?)
                }
                "transition_id" | "protocol_version" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(DavePrepareTransition {
            transition_id: transition_id?,
            protocol_version: protocol_version?,
        })
    }

    fn dave_execute_transition(&mut self) -> Scan<DaveExecuteTransition> {
        let mut transition_id = None;
        self.object(|s, key| {
            match key {
                "transition_id" if transition_id.is_none() => transition_id = Some(s.u16()?),
                "transition_id" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(DaveExecuteTransition {
            transition_id: transition_id?,
        })
    }

    fn dave_prepare_epoch(&mut self) -> Scan<DavePrepareEpoch> {
        let (mut transition_id, mut epoch, mut protocol_version) = (None, None, None);
        let optional_u16 = |s: &mut Self| Some(if s.null() { None } else { Some(s.u16()?) });
        self.object(|s, key| {
            match key {
                "transition_id" if transition_id.is_none() => {
                    transition_id = Some(optional_u16(s)?)
                }
                "epoch" if epoch.is_none() => epoch = Some(s.uint()?),
                "protocol_version" if protocol_version.is_none() => {
                    protocol_version = Some(optional_u16(s)?)
                }
                "transition_id" | "epoch" | "protocol_version" => return None,
                _ => s.skip(0)?,
            }
            Some(())
        })?;
        Some(DavePrepareEpoch {
            transition_id: transition_id.flatten(),
            epoch: epoch?,
            protocol_version: protocol_version.flatten(),
        })
    }
}

/// The index of the first `"`, `\\` or control character in `bytes`, eight
/// bytes at a time (strings are most of a message's bytes).
fn special_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Flags the bytes of `x` below `n` (n <= 0x80). A flag can be wrong
    // only above a right one, so the lowest flag is exact.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found = below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1F))
        .map(|i| at + i)
}

/// The ASCII digits from `start` on: their value (exact for up to 19 of
/// them, which cannot overflow a u64) and how many there are. Eight at a
/// time while they last, and without a check per digit: a checked multiply
/// per digit keeps the running value in memory, which is what a 13-digit
/// heartbeat nonce spent most of its time on.
fn digits_at(bytes: &[u8], start: usize) -> (u64, usize) {
    let mut at = start;
    let mut n: u64 = 0;
    // Two words at most (16 digits): up to 3 more below stay exact.
    while at - start < 16 {
        let Some(eight) = bytes.get(at..at + 8).and_then(eight_digits) else {
            break;
        };
        n = n.wrapping_mul(100_000_000).wrapping_add(eight);
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        at += 1;
    }
    (n, at - start)
}

/// The value of eight ASCII digits (the first one most significant), or
/// `None` if any byte is not a digit. Three multiplications instead of eight.
fn eight_digits(chunk: &[u8]) -> Option<u64> {
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    const HIGH_NIBBLES: u64 = u64::from_ne_bytes([0xF0; 8]);
    let mut word = [0; 8];
    word.copy_from_slice(chunk);
    let x = u64::from_le_bytes(word);
    // 0x30..=0x39: high nibble 3, and still 3 after adding 6.
    let digits = x & HIGH_NIBBLES == ZEROS
        && x.wrapping_add(u64::from_ne_bytes([6; 8])) & HIGH_NIBBLES == ZEROS;
    if !digits {
        return None;
    }
    // Byte i holds digit i; pairs, then quads, then the eight, without
    // carries between lanes (each step's lanes stay below their width).
    let x = x - ZEROS;
    let x = (x * 10 + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x * 100 + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((x.wrapping_mul(10_000) + (x >> 32)) & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::codec::server::decode_text_serde;
    use alloc::string::String;
    use proptest::prelude::*;

    /// Shapes voice servers send (and harmless variations of them): the
    /// fast path must read every one, exactly as serde does.
    const COMMON: &[&str] = &[
        r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750.0}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":13750}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":41250.000,"v":null}}"#,
        r#" { "op" : 8 , "d" : { "heartbeat_interval" : 5000 , "v" : 4 } } "#,
        "{\"op\":8,\n\t\"d\":{\"heartbeat_interval\":3600000}\r\n}",
        r#"{"op":2,"d":{"ssrc":43021,"ip":"66.22.231.190","port":50007,"modes":["aead_aes256_gcm_rtpsize","xsalsa20_poly1305"],"experiments":["fixed_keyframe_interval"],"heartbeat_interval":41250},"seq":1}"#,
        r#"{"seq":1,"op":2,"d":{"port":50007,"ip":"::1","ssrc":4294967295,"x":{"a":[1,-2.5e+3,true,false,null,{}]}}}"#,
        r#"{"op":2,"d":{"ssrc":1,"ip":"é","port":0,"modes":[]}}"#,
        r#"{"op":4,"d":{"video_codec":"H264","secure_frames_version":0,"secret_key":[211,44,130,7,95,163,18,240,66,201,12,99,180,37,250,3,141,72,219,56,8,177,92,203,31,118,164,229,70,15,186,53],"mode":"aead_aes256_gcm_rtpsize","media_session_id":"7b9fb9f4f10c2b3a8e1e0f5c6d7a8b9c","dave_protocol_version":1,"audio_codec":"opus"},"seq":2}"#,
        r#"{"op":4,"d":{"mode":"m","secret_key":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,255]}}"#,
        r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":43022,"speaking":1},"seq":3}"#,
        r#"{"op":5,"d":{"user_id":null,"ssrc":1,"speaking":5}}"#,
        r#"{"op":5,"d":{"ssrc":1,"speaking":0,"user_id":80351110224678912,"delay":0}}"#,
        r#"{"op":6,"d":{"t":1501184119561}}"#,
        r#"{"op":6,"d":1501184119561}"#,
        r#"{"op":6,"d":{"t":1,"t":2}}"#,
        r#"{"op":6,"d":{"t":0,"seq_ack":-1},"seq":null}"#,
        r#"{"op":11,"d":{"user_ids":["80351110224678912","1","18446744073709551615"]},"seq":4}"#,
        r#"{"op":11,"d":{"user_ids":[]}}"#,
        r#"{"op":11,"d":{"user_ids":[ "12" , 34 ]}}"#,
        r#"{"op":11,"d":{"user_ids":["12345678","123456789","1234567890123456","12345678901234567","9999999999999999999","10000000000000000000"]}}"#,
        r#"{"op":13,"d":{"user_id":"80351110224678912"},"seq":5}"#,
        r#"{"op":21,"d":{"transition_id":7,"protocol_version":1},"seq":6}"#,
        r#"{"op":22,"d":{"transition_id":65535},"seq":7}"#,
        r#"{"op":24,"d":{"protocol_version":1,"epoch":1},"seq":8}"#,
        r#"{"op":24,"d":{"transition_id":null,"epoch":18446744073709551615,"protocol_version":null}}"#,
    ];

    /// Shapes the fast path leaves to serde, whether serde reads them or
    /// reports an error.
    const UNUSUAL: &[&str] = &[
        r#"{"d":{"t":1},"op":6}"#,
        r#"{"op":6,"d":{"t":1},"op":8}"#,
        r#"{"op":6,"d":{"t":1},"seq":1,"seq":2}"#,
        r#"{"op":6,"d":{"t":-1}}"#,
        r#"{"op":6,"d":{"t":1e3}}"#,
        r#"{"op":6,"d":{"t":01}}"#,
        r#"{"op":6,"d":{"t":1.0}}"#,
        r#"{"op":6,"d":{"t":18446744073709551616}}"#,
        r#"{"op":6,"d":{"\u0074":1}}"#,
        r#"{"op":6,"d":{"t":1},}"#,
        r#"{"op":6,"d":{"t":1}} x"#,
        r#"{"op":6,"d":{"t":1}"#,
        r#"{"op":6}"#,
        r#"{"d":null}"#,
        r#"{"op":9,"d":null}"#,
        r#"{"op":99,"d":{"x":1}}"#,
        r#"{"op":256,"d":{}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":41250.5}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":0}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":3600001}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":1.}}"#,
        r#"{"op":8,"d":{"heartbeat_interval":1,"v":256}}"#,
        r#"{"op":2,"d":{"ssrc":1,"ip":"a\"b","port":1}}"#,
        r#"{"op":2,"d":{"ssrc":1,"ip":"a","port":65536}}"#,
        r#"{"op":2,"d":{"ssrc":1,"ip":"a","port":1,"modes":null}}"#,
        r#"{"op":2,"d":{"ssrc":1,"ip":"a","port":1,"ssrc":2}}"#,
        r#"{"op":2,"d":[1,"a",1,[]]}"#,
        r#"{"op":4,"d":{"mode":"m","secret_key":[1,2,3]}}"#,
        r#"{"op":5,"d":{"user_id":"-1","ssrc":1,"speaking":1}}"#,
        r#"{"op":5,"d":{"user_id":"","ssrc":1,"speaking":1}}"#,
        r#"{"op":11,"d":{"user_ids":["1",]}}"#,
        r#"{"op":11,"d":{"user_ids":["184467440737095516150"]}}"#,
        r#"{"op":11,"d":{"user_ids":["18446744073709551616"]}}"#,
        r#"{"op":11,"d":{"user_ids":["12345678a"]}}"#,
        r#"{"op":11,"d":{"user_ids":["1234567812345678+"]}}"#,
        r#"{"op":13,"d":{"user_id":"1\u0032"}}"#,
        r#"{"op":24,"d":{"epoch":1,"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
        "{\"op\":6,\"d\":{\"x\":\"\t\",\"t\":1}}",
    ];

    /// What `decode_text` returns: the fast path's answer when it has one.
    fn agree(text: &str) -> Result<(), TestCaseError> {
        if let Some(fast) = decode(text) {
            prop_assert_eq!(decode_text_serde(text), Ok(fast), "{}", text);
        }
        Ok(())
    }

    #[test]
    fn common_shapes_take_the_fast_path_and_decode_as_serde_does() {
        for text in COMMON {
            let fast = decode(text).unwrap_or_else(|| panic!("not on the fast path: {text}"));
            assert_eq!(decode_text_serde(text), Ok(fast), "{text}");
        }
    }

    #[test]
    fn eight_digits_read_as_a_number() {
        use super::eight_digits;
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"00000000"), Some(0));
        assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
        assert_eq!(eight_digits(b"80351110"), Some(80_351_110));
        for not_digits in [
            b"1234567\"",
            b"/1234567",
            b"1234:678",
            b"123456\x007",
            b"1234567\xB9",
        ] {
            assert_eq!(eight_digits(not_digits), None, "{not_digits:?}");
        }
    }

    #[test]
    fn unusual_shapes_are_left_to_serde() {
        for text in UNUSUAL {
            assert_eq!(decode(text), None, "{text}");
        }
    }

    /// Bytes that make or break JSON, to mutate the common shapes with.
    const ALPHABET: &[u8] = b"{}[],:\"\\ \t\n0123456789-+.eEnultrfa_";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the fast path accepts, serde decodes to the same value:
        /// the common shapes with bytes deleted, inserted or replaced.
        #[test]
        fn fast_path_accepts_only_what_serde_decodes_alike(
            which in 0..COMMON.len(),
            edits in proptest::collection::vec((0..3u8, any::<usize>(), 0..ALPHABET.len()), 1..4),
        ) {
            let mut bytes = COMMON[which].as_bytes().to_vec();
            for (kind, at, byte) in edits {
                let at = at % (bytes.len() + 1);
                let byte = ALPHABET[byte];
                match kind {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => bytes[at] = byte,
                    _ => {}
                }
            }
            // Edits of ASCII bytes may split the one multi-byte character.
            if let Ok(text) = String::from_utf8(bytes) {
                agree(&text)?;
            }
        }
    }
}
