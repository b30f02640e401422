//! Reconnect backoff: the first retry is immediate, later ones wait a
//! jittered, exponentially growing, capped delay drawn from the seeded PRNG,
//! and the session waits exactly the delay it announced.

#![allow(clippy::unwrap_used)]

mod session_harness;

use core::time::Duration;
use session_harness::*;
use voice_ws_proto::{Event, Instant, Invalidation, Phase, SessionConfig};

fn backoff_config(seed: u64, base_ms: u64, cap_ms: u64, max_attempts: u32) -> SessionConfig {
    let mut c = config();
    c.rng_seed = seed;
    c.backoff_base = ms(base_ms);
    c.backoff_cap = ms(cap_ms);
    c.max_reconnect_attempts = max_attempts;
    c
}

/// Every connect fails at once (the driver reports `handle_close(None)`).
/// Returns the announced delays, checking that each is the actual wait:
/// no connect request before it ends, one exactly when it does.
fn delays(config: SessionConfig) -> Vec<Duration> {
    let max = config.max_reconnect_attempts;
    let mut d = SessionPair::with_config(config);
    d.start();
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    let mut out = Vec::new();
    loop {
        d.server_close(None);
        let events = d.drain_events();
        let exhausted = Event::SessionInvalidated {
            code: None,
            reason: Invalidation::AttemptsExhausted { attempts: max },
        };
        if events == vec![exhausted] {
            break;
        }
        let r = reconnects(&events);
        assert_eq!(r.len(), 1, "{events:?}");
        let (attempt, delay, resume) = r[0];
        assert_eq!(attempt as usize, out.len() + 1, "attempts count up by one");
        assert!(!resume, "never identified: the retry identifies");
        let due = d.now + delay;
        if delay.is_zero() {
            assert_eq!(d.session.phase(), Phase::Connecting);
        } else {
            assert_eq!(d.session.phase(), Phase::WaitingToReconnect);
            assert_eq!(d.session.poll_timeout(), Some(due));
            d.advance_to_instant(Instant::from_nanos(due.as_nanos() - 1));
            assert_eq!(d.poll_connect(), None, "attempt {attempt}: too early");
            d.advance_to_instant(due);
        }
        assert_eq!(
            d.poll_connect().as_deref(),
            Some(URL),
            "attempt {attempt} at {:?}",
            d.now
        );
        out.push(delay);
        assert!(out.len() <= max as usize);
    }
    assert_eq!(out.len(), max as usize, "exactly the cap, then invalidated");
    out
}

fn ceiling(attempt: u32, base: Duration, cap: Duration) -> Duration {
    if attempt <= 1 {
        return Duration::ZERO;
    }
    let mut c = base;
    for _ in 2..attempt {
        c = c.saturating_mul(2);
    }
    c.min(cap)
}

#[test]
fn the_first_reconnect_is_immediate() {
    for seed in [0, 1, 42, u64::MAX] {
        let got = delays(backoff_config(seed, 1_000, 30_000, 3));
        assert_eq!(got[0], Duration::ZERO, "seed {seed}");
    }
    // Also after a drop of an active session.
    let mut d = SessionPair::with_config(backoff_config(9, 1_000, 30_000, 8));
    d.handshake();
    d.advance_to(5_000);
    d.server_close(Some(1006));
    assert_eq!(
        d.drain_events(),
        vec![
            server_closed(Some(1006)),
            Event::Reconnecting {
                attempt: 1,
                delay: Duration::ZERO,
                resume: true
            }
        ]
    );
    assert_eq!(
        d.poll_connect().as_deref(),
        Some(URL),
        "in the same instant"
    );
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    let a = delays(backoff_config(42, 1_000, 30_000, 10));
    let b = delays(backoff_config(42, 1_000, 30_000, 10));
    assert_eq!(a, b);
    assert!(
        a[1..].iter().any(|d| !d.is_zero()),
        "later attempts wait: {a:?}"
    );
}

#[test]
fn another_seed_gives_other_delays() {
    let a = delays(backoff_config(42, 1_000, 30_000, 10));
    let b = delays(backoff_config(43, 1_000, 30_000, 10));
    assert_eq!(a[0], b[0], "attempt 1 is immediate for every seed");
    assert_ne!(a, b);
    for (n, (x, y)) in a.iter().zip(&b).enumerate().skip(1) {
        assert_ne!(x, y, "attempt {} drew the same delay", n + 1);
    }
}

#[test]
fn each_delay_is_within_the_exponential_ceiling_and_the_cap() {
    for (base, cap) in [(1_000, 30_000), (1_000, 2_500), (250, 60_000)] {
        for seed in 0..16 {
            let got = delays(backoff_config(seed, base, cap, 10));
            for (i, delay) in got.iter().enumerate() {
                let attempt = u32::try_from(i).unwrap() + 1;
                let max = ceiling(attempt, ms(base), ms(cap));
                assert!(
                    *delay <= max,
                    "seed {seed} base {base} cap {cap}: attempt {attempt} waited {delay:?} > {max:?}"
                );
            }
        }
    }
}

#[test]
fn jitter_spreads_over_the_whole_range() {
    // Full jitter: over 64 seeds, attempt n lands all over [0, ceiling].
    let runs: Vec<Vec<Duration>> = (0..64)
        .map(|seed| delays(backoff_config(seed, 1_000, 30_000, 7)))
        .collect();
    for attempt in 2..=7u32 {
        let max = ceiling(attempt, ms(1_000), ms(30_000));
        let drawn: Vec<Duration> = runs.iter().map(|r| r[attempt as usize - 1]).collect();
        let lowest = drawn.iter().min().unwrap();
        let highest = drawn.iter().max().unwrap();
        assert!(*lowest < max / 4, "attempt {attempt}: lowest {lowest:?}");
        assert!(
            *highest > max * 3 / 4,
            "attempt {attempt}: highest {highest:?}"
        );
    }
}

#[test]
fn without_jitter_every_delay_is_its_ceiling_whatever_the_seed() {
    // 0, then base doubling from the second attempt, capped: 1 s, 2 s, 4 s,
    // 5 s (cap), 5 s. Written out, not computed by the helper under test.
    let expected = [0, 1_000, 2_000, 4_000, 5_000, 5_000].map(ms);
    for seed in [0, 7, u64::MAX] {
        let mut config = backoff_config(seed, 1_000, 5_000, 6);
        config.backoff_jitter = false;
        assert_eq!(delays(config), expected, "seed {seed}");
    }
    assert!(
        SessionConfig::default().backoff_jitter,
        "jitter is the default"
    );
}

#[test]
fn a_zero_cap_reconnects_at_once_every_time() {
    let got = delays(backoff_config(5, 1_000, 0, 4));
    assert_eq!(got, vec![Duration::ZERO; 4]);
}

#[test]
fn new_credentials_during_backoff_leave_no_stale_deadline() {
    let mut d = SessionPair::with_config(backoff_config(3, 1_000, 30_000, 8));
    d.handshake();
    d.server_close(Some(1006));
    d.drain_events();
    d.accept();
    d.drain_transmits();
    d.server_close(Some(1006)); // dropped again before Resumed: attempt 2 waits
    let r = reconnects(&d.drain_events());
    assert_eq!(r.len(), 1);
    let (attempt, delay, _) = r[0];
    assert_eq!(attempt, 2);
    assert!(!delay.is_zero(), "seed 3 makes attempt 2 wait");
    let stale = d.now + delay;
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);

    // The main gateway hands over new credentials meanwhile.
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_text(HELLO);
    d.server_text(READY);
    d.drain_events();
    assert_eq!(d.session.phase(), Phase::Active);

    // The old backoff deadline passes; a driver wakes up for it.
    d.now = stale;
    d.session.handle_timeout(d.now);
    let next = d.session.poll_timeout();
    assert!(
        next.is_none_or(|t| t > d.now),
        "poll_timeout {next:?} is not after {:?}: the driver would spin",
        d.now
    );
    assert_eq!(d.poll_connect(), None, "no reconnect of an active session");
}

#[test]
fn waiting_out_the_backoff_can_be_cut_short_by_close() {
    let mut d = SessionPair::with_config(backoff_config(3, 1_000, 30_000, 8));
    d.start();
    d.poll_connect();
    d.server_close(None);
    d.poll_connect();
    d.server_close(None);
    let r = reconnects(&d.drain_events());
    assert!(!r[1].1.is_zero());
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);
    d.session.close(d.now);
    assert_eq!(d.drain_events(), vec![Event::Stopped { code: None }]);
    assert_eq!(d.session.poll_timeout(), None);
    d.advance(3_600_000);
    assert_eq!(d.poll_connect(), None);
    assert!(d.drain_transmits().is_empty());
}
