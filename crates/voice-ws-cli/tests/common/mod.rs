//! What the CLI tests share: running the built binary with a bound on
//! its life, and a port where nothing listens.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_voice-ws");

/// Starts the built `voice-ws` with `args`: a token in its environment
/// (never a real one), no `RUST_LOG`, stdin closed, stdout piped for the
/// test, stderr dropped.
pub(crate) fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .env("DISCORD_VOICE_TOKEN", "not-a-real-token")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn voice-ws")
}

/// Runs `args`, letting it exit by itself or killing it after `limit`;
/// returns its stdout.
pub(crate) fn run_for(args: &[&str], limit: Duration) -> String {
    let mut child = spawn(args);
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).expect("read stdout");
        out
    });
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() >= deadline {
            child.kill().expect("kill");
            child.wait().expect("wait");
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}
