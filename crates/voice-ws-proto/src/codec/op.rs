//! The voice gateway's opcodes, once (docs/protocol.md, "Messages" and
//! "Binary framing"). Every encoder, decoder and name lookup reads them here.

/// 0 Identify (client, JSON).
pub const IDENTIFY: u8 = 0;
/// 1 Select Protocol (client, JSON).
pub const SELECT_PROTOCOL: u8 = 1;
/// 2 Ready (server, JSON).
pub const READY: u8 = 2;
/// 3 Heartbeat (client, JSON).
pub const HEARTBEAT: u8 = 3;
/// 4 Session Description (server, JSON).
pub const SESSION_DESCRIPTION: u8 = 4;
/// 5 Speaking (both, JSON).
pub const SPEAKING: u8 = 5;
/// 6 Heartbeat ACK (server, JSON).
pub const HEARTBEAT_ACK: u8 = 6;
/// 7 Resume (client, JSON).
pub const RESUME: u8 = 7;
/// 8 Hello (server, JSON).
pub const HELLO: u8 = 8;
/// 9 Resumed (server, JSON).
pub const RESUMED: u8 = 9;
/// 11 Clients Connect (server, JSON).
pub const CLIENTS_CONNECT: u8 = 11;
/// 13 Client Disconnect (server, JSON).
pub const CLIENT_DISCONNECT: u8 = 13;
/// 21 DAVE Prepare Transition (server, JSON).
pub const DAVE_PREPARE_TRANSITION: u8 = 21;
/// 22 DAVE Execute Transition (server, JSON).
pub const DAVE_EXECUTE_TRANSITION: u8 = 22;
/// 23 DAVE Transition Ready (client, JSON).
pub const DAVE_TRANSITION_READY: u8 = 23;
/// 24 DAVE Prepare Epoch (server, JSON).
pub const DAVE_PREPARE_EPOCH: u8 = 24;
/// 25 DAVE MLS External Sender Package (server, binary).
pub const DAVE_MLS_EXTERNAL_SENDER: u8 = 25;
/// 26 DAVE MLS Key Package (client, binary).
pub const DAVE_MLS_KEY_PACKAGE: u8 = 26;
/// 27 DAVE MLS Proposals (server, binary).
pub const DAVE_MLS_PROPOSALS: u8 = 27;
/// 28 DAVE MLS Commit Welcome (client, binary).
pub const DAVE_MLS_COMMIT_WELCOME: u8 = 28;
/// 29 DAVE MLS Announce Commit Transition (server, binary).
pub const DAVE_MLS_ANNOUNCE_COMMIT_TRANSITION: u8 = 29;
/// 30 DAVE MLS Welcome (server, binary).
pub const DAVE_MLS_WELCOME: u8 = 30;
/// 31 DAVE MLS Invalid Commit Welcome (client, JSON).
pub const DAVE_MLS_INVALID_COMMIT_WELCOME: u8 = 31;

/// The opcode's name as Discord's docs give it, for logs and timelines;
/// `None` for an opcode the docs do not list.
pub const fn name(op: u8) -> Option<&'static str> {
    Some(match op {
        IDENTIFY => "identify",
        SELECT_PROTOCOL => "select protocol",
        READY => "ready",
        HEARTBEAT => "heartbeat",
        SESSION_DESCRIPTION => "session description",
        SPEAKING => "speaking",
        HEARTBEAT_ACK => "heartbeat ack",
        RESUME => "resume",
        HELLO => "hello",
        RESUMED => "resumed",
        CLIENTS_CONNECT => "clients connect",
        CLIENT_DISCONNECT => "client disconnect",
        DAVE_PREPARE_TRANSITION => "dave prepare transition",
        DAVE_EXECUTE_TRANSITION => "dave execute transition",
        DAVE_TRANSITION_READY => "dave transition ready",
        DAVE_PREPARE_EPOCH => "dave prepare epoch",
        DAVE_MLS_EXTERNAL_SENDER => "dave mls external sender",
        DAVE_MLS_KEY_PACKAGE => "dave mls key package",
        DAVE_MLS_PROPOSALS => "dave mls proposals",
        DAVE_MLS_COMMIT_WELCOME => "dave mls commit welcome",
        DAVE_MLS_ANNOUNCE_COMMIT_TRANSITION => "dave mls announce commit transition",
        DAVE_MLS_WELCOME => "dave mls welcome",
        DAVE_MLS_INVALID_COMMIT_WELCOME => "dave mls invalid commit welcome",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_opcodes_have_names_and_undocumented_ones_do_not() {
        for op in [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        ] {
            assert!(name(op).is_some(), "op {op}");
        }
        for op in [10, 12, 14, 15, 16, 17, 18, 20, 32, 255] {
            assert_eq!(name(op), None, "op {op}");
        }
    }
}
