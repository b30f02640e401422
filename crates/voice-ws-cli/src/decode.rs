//! `voice-ws decode`: one frame from stdin, decoded.

use crate::output::say;
use std::io::Read;

use bytes::Bytes;
use voice_ws_proto::codec;

use crate::args::DecodeArgs;

/// Reads stdin, decodes it as a text or binary frame, prints the message.
pub(crate) fn run(args: &DecodeArgs) -> Result<(), String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err("stdin is empty: pipe one frame in".into());
    }
    // Without --binary, JSON (starting with '{') is text and all-hex is
    // binary; on the wire the frame type decides, here the user does.
    let binary = args.binary || (!trimmed.starts_with('{') && is_hex(trimmed));
    let decoded = if binary {
        let bytes = parse_hex(trimmed)?;
        codec::decode_binary(Bytes::from(bytes))
    } else {
        codec::decode_text(trimmed)
    };
    match decoded {
        Ok(incoming) => {
            let seq = incoming.seq.map_or("none".to_string(), |s| s.to_string());
            say!("op {} seq {seq}", incoming.message.op());
            say!("{:#?}", incoming.message);
            Ok(())
        }
        Err(e) => Err(format!("cannot decode: {e}")),
    }
}

fn is_hex(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_hexdigit() || c.is_ascii_whitespace())
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err("hex input has an odd number of digits".into());
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("invalid hex digits {:?}", String::from_utf8_lossy(pair)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_parses_with_spaces() {
        assert_eq!(parse_hex("7B 00 19 ff"), Ok(vec![0x7B, 0x00, 0x19, 0xFF]));
        assert!(parse_hex("7B0").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
