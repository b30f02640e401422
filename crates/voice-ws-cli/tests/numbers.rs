//! Runs the built `voice-ws` binary and checks what a person reads: every
//! number in `--json` is an integer, the timeline has no float noise, and
//! `connect --help` says what to do about the events that need action.
//! Only 127.0.0.1 is used; every child is killed after a bounded time.

use std::time::Duration;

mod common;

use common::{closed_port, run_for};

fn connect_args(port: u16, json: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "connect",
        "--endpoint",
        &format!("ws://127.0.0.1:{port}"),
        "--server-id",
        "1",
        "--user-id",
        "2",
        "--session-id",
        "3",
        "--allow-insecure",
    ]
    .map(String::from)
    .to_vec();
    if json {
        args.push("--json".into());
    }
    args
}

/// A decimal number with four or more digits after the point: float noise.
fn float_noise(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    for (i, _) in text.match_indices('.') {
        let before = i > 0 && b[i - 1].is_ascii_digit();
        let after = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if before && after >= 4 {
            return Some(&text[i.saturating_sub(8)..(i + 1 + after).min(text.len())]);
        }
    }
    None
}

/// Every number anywhere in `value` is an integer.
fn assert_integers(value: &serde_json::Value, line: &str) {
    match value {
        serde_json::Value::Number(n) => {
            assert!(n.is_u64() || n.is_i64(), "non-integer {n} in {line}");
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| assert_integers(v, line)),
        serde_json::Value::Object(map) => map.values().for_each(|v| assert_integers(v, line)),
        _ => {}
    }
}

/// Parses the JSON event lines (the demo adds a plain-text summary after
/// them); returns how many there were and the event names.
fn check_json(out: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in out.lines().filter(|l| l.starts_with('{')) {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert_integers(&value, line);
        names.push(value["event"].as_str().expect("event name").to_owned());
    }
    assert_eq!(float_noise(out), None, "float noise in:\n{out}");
    names
}

#[test]
fn connect_to_a_closed_port_prints_whole_milliseconds() {
    let port = closed_port();
    let args = connect_args(port, true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_for(&args, Duration::from_millis(2500));
    let names = check_json(&out);
    assert!(
        names.iter().filter(|n| *n == "reconnecting").count() >= 2,
        "expected reconnect attempts with a delay, got:\n{out}"
    );
    assert!(out.contains("\"delay_ms\":"), "{out}");

    let args = connect_args(port, false);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_for(&args, Duration::from_millis(2500));
    assert_eq!(float_noise(&out), None, "float noise in:\n{out}");
    let attempts: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("reconnecting: attempt"))
        .collect();
    assert!(attempts.len() >= 2, "{out}");
    for line in attempts {
        // "reconnecting: attempt N in <whole> ms, identify", or from a
        // second on "in <s.d> s" (one decimal).
        let delay = line
            .split(" in ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap_or_else(|| panic!("no delay in {line:?}"));
        let readable = match delay.split_once(' ') {
            Some((n, "ms")) => n.parse::<u64>().is_ok_and(|n| n < 1000),
            Some((n, "s")) => n
                .split_once('.')
                .is_some_and(|(s, d)| s.parse::<u64>().is_ok() && d.len() == 1),
            _ => false,
        };
        assert!(readable, "delay {delay:?} is not whole ms or s.d: {line}");
        // The time column: seconds with exactly three decimals.
        let time = line.split_whitespace().next().expect("time");
        let (secs, frac) = time.trim_end_matches('s').split_once('.').expect("1.234s");
        assert!(
            secs.parse::<u64>().is_ok() && frac.len() == 3,
            "time {time:?}"
        );
    }
}

#[test]
fn demo_json_numbers_are_integers() {
    let out = run_for(&["demo", "--json"], Duration::from_secs(60));
    assert!(out.contains("demo passed"), "{out}");
    let names = check_json(&out);
    for name in ["hello", "heartbeat_ack", "reconnecting", "stopped"] {
        assert!(
            names.iter().any(|n| n == name),
            "no {name} event in:\n{out}"
        );
    }
    let ack = out
        .lines()
        .find(|l| l.contains("\"heartbeat_ack\""))
        .expect("an ack");
    assert!(
        ack.contains("\"rtt_ms\":") && ack.contains("\"rtt_us\":"),
        "{ack}"
    );
}

#[test]
fn demo_timeline_has_no_float_noise() {
    let out = run_for(&["demo"], Duration::from_secs(60));
    assert!(out.contains("demo passed"), "{out}");
    assert_eq!(float_noise(&out), None, "float noise in:\n{out}");
    // RTT: milliseconds with exactly one decimal.
    let ack = out
        .lines()
        .find(|l| l.contains("heartbeat ack, rtt "))
        .expect("an ack");
    let rtt = ack
        .split("rtt ")
        .nth(1)
        .and_then(|r| r.strip_suffix(" ms"))
        .expect("rtt");
    let (whole, tenths) = rtt.split_once('.').expect("one decimal");
    assert!(
        whole.parse::<u64>().is_ok() && tenths.len() == 1,
        "rtt {rtt:?}"
    );
}

#[test]
fn connect_help_says_what_to_do() {
    let out = run_for(&["connect", "--help"], Duration::from_secs(10));
    for needle in [
        "session_invalidated",
        "ask the main gateway again: new session id and token",
        "fatal 4017",
        "max_dave_protocol_version",
        "fatal 4004",
        "wrong token or ids",
        "stopped 4014",
        "rejoin through the main gateway",
        "stopped 4021",
        "rate limited",
        "zombified",
        "resumes by itself",
        "reconnecting",
        "nothing to do",
        "unsent",
        "rtt_us",
    ] {
        assert!(
            out.contains(needle),
            "connect --help lacks {needle:?}:\n{out}"
        );
    }
    // One line per event, each starting with its --json name.
    for event in [
        "connected",
        "hello",
        "ready",
        "session_description",
        "resumed",
        "message",
        "heartbeat_ack",
        "zombified",
        "disconnected",
        "connect_failed",
        "reconnecting",
        "session_invalidated",
        "stopped",
        "fatal",
        "unsent",
        "invalid_frame",
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{event} "))),
            "connect --help has no line for {event}"
        );
    }
}
