//! Scenario 3: "the first 100 customers get a coupon". The naive version checks
//! the count, then increments it, and hands out coupon 101, 102, ... whenever
//! several customers check before any of them increments.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use racefree::BoundedCounter;

use crate::cli::Options;
use crate::harness::{gap, until_refused, Checked, Runs};
use crate::report::{Kind, Row, Scenario};

/// Coupons on offer each round.
const LIMIT: u64 = 100;

/// What one customer thread did: attempts made, one `()` per coupon received.
type Claimed = (u64, Vec<()>);

/// Over-issued coupons: any difference from exactly `LIMIT` handed out (fewer
/// would be an anomaly too, since every thread tried until refused).
fn check(threads: Vec<Claimed>) -> Checked {
    Checked::tally(threads, |issued| (issued.len() as u64).abs_diff(LIMIT))
}

/// Runs the three implementations of the coupon limit under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let mut p = Runs::new(opts, "first 100 coupons", 3);

    let naive = p.race(
        || AtomicU64::new(0),
        |issued, _| {
            until_refused(|| {
                // THE BAD PATTERN: fewer than 100 so far? (gap) then count one.
                // The increment itself is atomic; the check-then-act is not.
                if issued.load(Relaxed) >= LIMIT {
                    return None;
                }
                gap();
                issued.fetch_add(1, Relaxed);
                Some(())
            })
        },
        |_, t| check(t),
    );
    let mutex = p.race(
        || Mutex::new(0u64),
        |m, _| {
            until_refused(|| {
                let mut issued = m.lock().unwrap();
                if *issued >= LIMIT {
                    return None;
                }
                *issued += 1;
                Some(())
            })
        },
        |_, t| check(t),
    );
    let bounded = p.race(
        || BoundedCounter::new(0, LIMIT),
        |issued, _| until_refused(|| issued.try_add(1).is_ok().then_some(())),
        |_, t| check(t),
    );
    // Timed and checked: claims against a limit no run can reach; every
    // granted claim must be in the final count, and no refusal is allowed.
    let limit = u64::MAX;
    let mutex_timed = p.timed(
        Mutex::new(0u64),
        |m| {
            let mut issued = m.lock().unwrap();
            let ok = *issued < limit;
            *issued += u64::from(ok);
            ok
        },
        |m, granted| m.into_inner().unwrap().abs_diff(granted),
    );
    let bounded_timed = p.timed(
        BoundedCounter::new(0, limit),
        |c| c.try_add(1).is_ok(),
        |c, granted| c.get().abs_diff(granted),
    );
    p.finish();

    Scenario {
        title: "\"the first 100 customers get a coupon\"",
        setup: format!("{threads} customers claim until refused, limit {LIMIT}"),
        anomaly: "over-issued coupons",
        rows: vec![
            Row {
                name: "naive: if n < 100 { n += 1; coupon }",
                kind: Kind::Naive,
                tally: naive,
                timed: None,
            },
            Row {
                name: "Mutex<u64>",
                kind: Kind::Mutex,
                tally: mutex,
                timed: Some(mutex_timed),
            },
            Row {
                name: "racefree::BoundedCounter::try_add(1)",
                kind: Kind::Racefree,
                tally: bounded,
                timed: Some(bounded_timed),
            },
        ],
        rounds,
        if_lucky: "The race is still there: try more --rounds.",
    }
}
