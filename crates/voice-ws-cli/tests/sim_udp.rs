//! `voice-ws sim` and `voice-ws connect --ip-discovery` as two processes
//! over loopback: the client finishes the join (IP discovery, Select
//! Protocol with the address learned, five encrypted silence frames), and
//! the simulator prints what it counted when Ctrl-C (SIGINT) stops it.
//! Unix only: SIGINT goes through `kill`. Every child is killed when the
//! test ends, passed or not.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command};

use common::spawn;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Generous: only a broken build takes this long.
const PATIENCE: Duration = Duration::from_secs(20);

/// A child that is killed when dropped, and its stdout, line by line.
struct Running {
    child: Child,
    lines: Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = spawn(args);
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Lines up to and including the first that contains `needle`.
    fn until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} in:\n{}", seen.join("\n"));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sim_prints_what_a_full_join_sent() {
    let sim = Running::start(&["sim"]);
    let banner = sim.until("press Ctrl-C");
    let url = banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("url:"))
        .map(str::trim)
        .expect("the sim prints its url")
        .to_owned();
    let udp = banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("udp:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the sim prints its udp address")
        .to_owned();

    let client = Running::start(&[
        "connect",
        "--endpoint",
        &url,
        "--server-id",
        "1",
        "--user-id",
        "2",
        "--session-id",
        "s",
        "--allow-insecure",
        "--ip-discovery",
    ]);
    let timeline = client.until("silence frames sent").join("\n");
    assert!(
        timeline.contains("ip discovery at 127.0.0.1:"),
        "{timeline}"
    );
    assert!(
        timeline.contains("select protocol: udp 127.0.0.1:"),
        "{timeline}"
    );
    drop(client);

    // A barrier: the sim reads its one UDP socket in order, and the client's
    // packets were queued there before it printed its line, so once this
    // IP discovery (the docs' request, SSRC 0) is answered they are counted.
    let barrier = UdpSocket::bind("127.0.0.1:0").expect("udp bind");
    barrier.connect(&udp).expect("udp connect");
    barrier.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut request = [0u8; 74];
    request[..4].copy_from_slice(&[0x00, 0x01, 0x00, 0x46]);
    barrier.send(&request).expect("udp send");
    let mut response = [0u8; 74];
    let len = barrier.recv(&mut response).expect("the sim answers");
    assert_eq!((len, &response[..4]), (74, &[0x00, 0x02, 0x00, 0x46][..]));

    let interrupted = Command::new("kill")
        .args(["-INT", &sim.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    let summary = sim.until("decrypted").join("\n");
    assert!(
        summary.contains(
            "udp: 2 ip discovery, 0 keepalives, 0 rtcp, 0 malformed, 0 for an unknown ssrc"
        ),
        "{summary}"
    );
    assert!(
        summary.contains(
            "aead_aes256_gcm_rtpsize, 1 discovery, 5 packets, 5 decrypted, 0 failed, 0 nonce not increasing, 0 before speaking"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("dave v1: 0 protocol frames, 5 silence, 0 invalid"),
        "{summary}"
    );
}
