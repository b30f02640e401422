//! `voice-ws connect --help` and the README's "Events and what to do" table
//! list the same events: a person reading either learns every event the
//! CLI can print.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::run_for;

/// The README's table: the backticked name in the first column of each row
/// after the header (`stopped` 4014 and `stopped` 4021 are one name).
fn readme_events() -> BTreeSet<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let table = readme
        .split("| event (`--json` name) |")
        .nth(1)
        .expect("the README's events table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cell = row.trim_start_matches('|').split('|').next().unwrap();
            cell.split('`').nth(1).unwrap().to_owned()
        })
        .collect()
}

/// `connect --help`'s list: the first word of each line indented by two
/// spaces under "Events", up to the blank line that ends it.
fn help_events() -> BTreeSet<String> {
    let help = run_for(&["connect", "--help"], Duration::from_secs(10));
    let list = help.split("Events (").nth(1).expect("the events list");
    list.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_readme_and_connect_help_list_the_same_events() {
    let readme = readme_events();
    let help = help_events();
    assert!(readme.len() >= 15, "{readme:?}");
    assert_eq!(readme, help);
}

/// Every `"event"` name `--json` can print (read from the printer's source,
/// `src/report.rs`) is explained in `connect --help`, but the catch-all for
/// events added to the library after this CLI was written.
#[test]
fn every_json_event_name_is_explained() {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/report.rs")).unwrap();
    let printed: BTreeSet<String> = source
        .split("\"event\": \"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .filter(|name| name != "other")
        .collect();
    assert!(printed.len() >= 15, "{printed:?}");
    let help = help_events();
    let missing: Vec<&String> = printed.difference(&help).collect();
    assert!(missing.is_empty(), "not in connect --help: {missing:?}");
}
