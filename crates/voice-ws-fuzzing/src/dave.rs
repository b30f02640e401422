//! The `dave` target: arbitrary server messages into a DAVE handshake.
//!
//! Ops (one tag byte, then arguments): `R` Ready, `r` Resumed, `e` session
//! end, `D` Session Description (version byte), `C` Clients Connect (count,
//! then u16 ids), `c` Client Disconnect, `P` Prepare Transition (u16 id,
//! version), `X` Execute Transition (u16 id), `E` Prepare Epoch (epoch byte,
//! version byte, 0xFF for none), `B` a binary DAVE frame (op byte, u16
//! length, payload) through the core's decoder, `m` media (encrypt and
//! decrypt the next 16 bytes), `d` drain. Anything else is skipped.
//!
//! What must hold: no panic, and the handshake's queues never exceed their
//! bounds (one overflow report aside), whatever the owner drains.

use bytes::Bytes;
use voice_ws_dave::{DaveConfig, Handshake};
use voice_ws_proto::codec::decode_binary;

const USER: u64 = 158049329150427136;
const CHANNEL: u64 = 127121515262115840;

/// Small bounds, so that a lazy owner overflows them.
const BOUND: usize = 4;

/// Runs one input; panics on a bug.
pub fn dave_handshake(data: &[u8]) {
    let mut config = DaveConfig::default();
    config.max_transmits = BOUND;
    config.max_events = BOUND;
    config.max_pending_transitions = BOUND;
    config.max_roster = BOUND;
    let mut dave = Handshake::new(config, USER, CHANNEL);
    let media = dave.media();
    let mut input = Input(data);
    let mut seq = 0u16;
    while let Some(tag) = input.byte() {
        match tag {
            b'R' => dave.handle_ready(),
            b'r' => dave.handle_resumed(),
            b'e' => dave.handle_session_end(),
            b'D' => dave.handle_session_description(u16::from(input.byte().unwrap_or(1) % 3)),
            b'C' => {
                let n = input.byte().unwrap_or(0) % 8;
                let ids: Vec<u64> = (0..n).filter_map(|_| input.u16().map(u64::from)).collect();
                dave.handle_clients_connect(&ids);
            }
            b'c' => dave.handle_client_disconnect(u64::from(input.u16().unwrap_or(0))),
            b'P' => {
                let id = input.u16().unwrap_or(0);
                dave.handle_prepare_transition(id, u16::from(input.byte().unwrap_or(0) % 3));
            }
            b'X' => dave.handle_execute_transition(input.u16().unwrap_or(0)),
            b'E' => {
                let epoch = u64::from(input.byte().unwrap_or(1));
                let version = input
                    .byte()
                    .filter(|&v| v != 0xFF)
                    .map(|v| u16::from(v % 3));
                dave.handle_prepare_epoch(epoch, version);
            }
            b'B' => {
                let op = input.byte().unwrap_or(27);
                let len = usize::from(input.u16().unwrap_or(0));
                let payload = input.take(len);
                seq = seq.wrapping_add(1);
                let mut frame = Vec::with_capacity(payload.len() + 3);
                frame.extend_from_slice(&seq.to_be_bytes());
                frame.push(op);
                frame.extend_from_slice(payload);
                if let Ok(incoming) = decode_binary(Bytes::from(frame)) {
                    dave.handle_message(&incoming.message);
                }
            }
            b'm' => {
                let frame = input.take(16);
                let _ = media.encrypt_opus(frame);
                let _ = media.decrypt(u64::from(input.u16().unwrap_or(0)), frame);
            }
            b'd' => drain(&mut dave),
            _ => {}
        }
    }
    drain(&mut dave);
}

/// Takes everything out, checking the bounds.
fn drain(dave: &mut Handshake) {
    let mut transmits = 0;
    while dave.poll_transmit().is_some() {
        transmits += 1;
    }
    assert!(transmits <= BOUND, "{transmits} transmits queued");
    let mut events = 0;
    while dave.poll_event().is_some() {
        events += 1;
    }
    assert!(events <= BOUND + 1, "{events} events queued");
    assert!(dave.pending_transitions().count() <= BOUND);
}

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}
