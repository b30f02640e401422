//! Sessions saved by one sim process and loaded by the next, so that a
//! restarted voice server can still resume its sessions (a reconnect storm
//! where resumes succeed). Only what a Resume needs is kept: credentials,
//! seq counter and replay buffer; rate-limit history and connection logs
//! start afresh.
//!
//! The text format is line based, one `session` line followed by its
//! replay entries; strings and frames are hex, so nothing needs escaping:
//!
//! ```text
//! session <id hex> <token hex> <ssrc> <generation> <dave> <start_seq> <next_seq> <last_evicted or ->
//! t <seq> <text frame hex>
//! b <seq> <binary frame hex>
//! ```

use std::fmt::Write as _;

use tokio_tungstenite::tungstenite::Message;

use crate::session::GatewaySession;

/// Resumable sessions of a [`Sim`](crate::Sim), from
/// [`Sim::save_sessions`](crate::Sim::save_sessions); a new sim starts with
/// them through [`SimConfig::with_sessions`](crate::SimConfig::with_sessions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedSessions {
    pub(crate) sessions: Vec<SavedSession>,
}

/// One session as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SavedSession {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) ssrc: u32,
    pub(crate) generation: u64,
    pub(crate) dave_protocol_version: u16,
    pub(crate) start_seq: u16,
    pub(crate) next_seq: u16,
    pub(crate) last_evicted: Option<u16>,
    pub(crate) replay: Vec<(u16, SavedFrame)>,
}

/// A replayable frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SavedFrame {
    Text(String),
    Binary(Vec<u8>),
}

/// Why saved sessions could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSessionsError {
    /// 1-based line number.
    pub line: usize,
}

impl std::fmt::Display for ParseSessionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "saved sessions: line {} is malformed", self.line)
    }
}

impl std::error::Error for ParseSessionsError {}

impl SavedSessions {
    /// How many sessions were saved.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session was saved.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The text form (see the module docs), for a state file.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sessions {
            let evicted = s.last_evicted.map_or("-".to_owned(), |e| e.to_string());
            let _ = writeln!(
                out,
                "session {} {} {} {} {} {} {} {evicted}",
                hex(s.id.as_bytes()),
                hex(s.token.as_bytes()),
                s.ssrc,
                s.generation,
                s.dave_protocol_version,
                s.start_seq,
                s.next_seq,
            );
            for (seq, frame) in &s.replay {
                let (kind, bytes) = match frame {
                    SavedFrame::Text(t) => ('t', t.as_bytes()),
                    SavedFrame::Binary(b) => ('b', b.as_slice()),
                };
                let _ = writeln!(out, "{kind} {seq} {}", hex(bytes));
            }
        }
        out
    }

    /// Reads the text form back.
    ///
    /// # Errors
    /// The first line that is not in the format.
    pub fn from_text(text: &str) -> Result<Self, ParseSessionsError> {
        let mut sessions: Vec<SavedSession> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = ParseSessionsError { line: i + 1 };
            let fields: Vec<&str> = line.split(' ').collect();
            match fields.as_slice() {
                [] | [""] => {}
                [
                    "session",
                    id,
                    token,
                    ssrc,
                    generation,
                    dave,
                    start,
                    next,
                    evicted,
                ] => {
                    let text = |h: &str| unhex(h).and_then(|b| String::from_utf8(b).ok());
                    let evicted = match *evicted {
                        "-" => None,
                        e => Some(e.parse().map_err(|_| bad.clone())?),
                    };
                    sessions.push(SavedSession {
                        id: text(id).ok_or(bad.clone())?,
                        token: text(token).ok_or(bad.clone())?,
                        ssrc: ssrc.parse().map_err(|_| bad.clone())?,
                        generation: generation.parse().map_err(|_| bad.clone())?,
                        dave_protocol_version: dave.parse().map_err(|_| bad.clone())?,
                        start_seq: start.parse().map_err(|_| bad.clone())?,
                        next_seq: next.parse().map_err(|_| bad.clone())?,
                        last_evicted: evicted,
                        replay: Vec::new(),
                    });
                }
                [kind @ ("t" | "b"), seq, bytes] => {
                    let seq: u16 = seq.parse().map_err(|_| bad.clone())?;
                    let bytes = unhex(bytes).ok_or(bad.clone())?;
                    let frame = if *kind == "t" {
                        SavedFrame::Text(String::from_utf8(bytes).map_err(|_| bad.clone())?)
                    } else {
                        SavedFrame::Binary(bytes)
                    };
                    sessions.last_mut().ok_or(bad)?.replay.push((seq, frame));
                }
                _ => return Err(bad),
            }
        }
        Ok(Self { sessions })
    }
}

impl SavedSession {
    pub(crate) fn of(id: &str, session: &GatewaySession) -> Option<Self> {
        // A session whose Ready never went out cannot be resumed anyway.
        if !session.ready {
            return None;
        }
        let replay = session
            .replay
            .entries
            .iter()
            .filter_map(|(seq, msg)| {
                let frame = match msg {
                    Message::Text(t) => SavedFrame::Text(t.as_str().to_owned()),
                    Message::Binary(b) => SavedFrame::Binary(b.to_vec()),
                    _ => return None,
                };
                Some((*seq, frame))
            })
            .collect();
        Some(Self {
            id: id.to_owned(),
            token: session.token.clone(),
            ssrc: session.ssrc,
            generation: session.generation,
            dave_protocol_version: session.dave_protocol_version,
            start_seq: session.start_seq,
            next_seq: session.next_seq,
            last_evicted: session.replay.last_evicted,
            replay,
        })
    }

    /// The session as a fresh process holds it: resumable, no live connection.
    pub(crate) fn restore(&self, replay_capacity: usize) -> GatewaySession {
        let mut session = GatewaySession::new(
            self.token.clone(),
            self.ssrc,
            self.generation,
            self.dave_protocol_version,
            self.start_seq,
            replay_capacity,
        );
        session.ready = true;
        for (seq, frame) in &self.replay {
            let msg = match frame {
                SavedFrame::Text(t) => Message::text(t.clone()),
                SavedFrame::Binary(b) => Message::binary(b.clone()),
            };
            session.replay.keep(*seq, msg);
        }
        // After the entries: keeping them must not overwrite what was evicted.
        session.replay.last_evicted = self.last_evicted.or(session.replay.last_evicted);
        session.next_seq = self.next_seq;
        session
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    if out.is_empty() {
        // An empty field would collapse two separators into one.
        out.push('-');
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text == "-" {
        return Some(Vec::new());
    }
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_literal_state_file() {
        // id "s1", token "tk", two replayable messages at 65535 and 0.
        let text = "session 7331 746b 1364262913 1 1 65535 1 -\n\
                    t 65535 7b7d\n\
                    b 0 00000519\n";
        let saved = SavedSessions::from_text(text).expect("well formed");
        assert_eq!(saved.len(), 1);
        let s = &saved.sessions[0];
        assert_eq!((s.id.as_str(), s.token.as_str()), ("s1", "tk"));
        assert_eq!((s.start_seq, s.next_seq, s.last_evicted), (65535, 1, None));
        assert_eq!(
            s.replay,
            vec![
                (65535, SavedFrame::Text("{}".into())),
                (0, SavedFrame::Binary(vec![0, 0, 5, 0x19])),
            ]
        );
        assert_eq!(saved.to_text(), text);
        let session = s.restore(16);
        assert!(session.ready);
        assert_eq!(session.replay_after(65535).map(|m| m.len()), Some(1));
        assert_eq!(session.replay_after(-1).map(|m| m.len()), Some(2));
    }

    #[test]
    fn refuses_malformed_lines() {
        for (text, line) in [
            ("session zz 74 1 1 1 0 0 -\n", 1),
            ("t 1 7b7d\n", 1),
            ("session 73 74 1 1 1 0 0 -\nx 1 2\n", 2),
            ("session 73 74 1 1 1 0 0 -\nt 1 7b7\n", 2),
        ] {
            assert_eq!(
                SavedSessions::from_text(text),
                Err(ParseSessionsError { line })
            );
        }
    }
}
