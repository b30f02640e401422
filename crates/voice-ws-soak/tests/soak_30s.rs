//! The chaos soak, short: 100 connections for 30 s with a fixed seed, the
//! simulator in its own process. Passes only with no message lost or
//! duplicated either way, no unplanned session end, every bot settled, and
//! a harness heap that does not keep growing; and only if the faults really
//! happened (resumes, zombies, resets, 4006, wraps).

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn figure(report: &str, label: &str) -> u64 {
    let line = report
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{report}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// Every number on the line that starts with `label`.
fn numbers(report: &str, label: &str) -> Vec<u64> {
    let line = report
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in\n{report}"));
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

#[test]
fn a_30_second_100_connection_soak_passes() {
    let dir = std::env::temp_dir().join(format!("voice-ws-soak-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_voice-ws-soak"))
        .args([
            "soak",
            "--connections",
            "100",
            "--duration",
            "30s",
            "--seed",
            "1",
        ])
        .arg("--plans")
        .arg(dir.join("plans.txt"))
        .arg("--chart")
        .arg(dir.join("timeline.svg"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "soak failed:\n{report}");
    assert!(report.contains("\nPASS\n"), "{report}");
    assert!(figure(&report, "resumes") > 50, "{report}");
    assert!(figure(&report, "zombies declared") > 20, "{report}");
    assert!(figure(&report, "seq wraps") > 5, "{report}");
    assert!(report.contains("close 4006"), "{report}");
    assert!(report.contains("lost: Reset"), "{report}");
    // Every push is accounted for: delivered, or gone with a planned end.
    let pushes = numbers(&report, "pushed messages");
    let [pushed, delivered, duplicated, lost, gone] = pushes[..] else {
        panic!("five figures in the pushed messages line of\n{report}");
    };
    assert_eq!((duplicated, lost), (0, 0), "{report}");
    assert_eq!(delivered + gone, pushed, "{report}");
    let svg = std::fs::read_to_string(dir.join("timeline.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Resumes per second"));
    let _ = std::fs::remove_dir_all(&dir);
}
