//! Scenario 1: the lost update. Every thread adds 1 to a shared counter; the
//! naive version loads, then stores the value plus one, and loses every
//! increment that lands in between.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use racefree::{Counter, StripedCounter};

use crate::cli::Options;
use crate::harness::{gap, Checked, Runs};
use crate::report::{Kind, Row, Scenario};

/// Increments per thread per round.
const PER_THREAD: u64 = 50;

/// Runs the four implementations of the counter under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let expected = threads as u64 * PER_THREAD;
    let mut p = Runs::new(opts, "lost update", 4);
    // Lost updates: increments made minus the final count (any difference at
    // all is an anomaly, so count it both ways).
    let check = |total: u64| Checked {
        attempts: expected,
        anomalies: expected.abs_diff(total),
    };

    let naive = p.race(
        || AtomicU64::new(0),
        |c, _| {
            for _ in 0..PER_THREAD {
                // THE BAD PATTERN: read, (gap), write back. Each access is
                // atomic, the increment is not.
                let v = c.load(Relaxed);
                gap();
                c.store(v + 1, Relaxed);
            }
        },
        |c, _| check(c.into_inner()),
    );
    let mutex = p.race(
        || Mutex::new(0u64),
        |m, _| {
            for _ in 0..PER_THREAD {
                *m.lock().unwrap() += 1;
            }
        },
        |m, _| check(m.into_inner().unwrap()),
    );
    let counter = p.race(
        || Counter::new(0),
        |c, _| {
            for _ in 0..PER_THREAD {
                c.increment();
            }
        },
        |c, _| check(c.get()),
    );
    let striped = p.race(
        StripedCounter::new,
        |c, _| {
            for _ in 0..PER_THREAD {
                c.increment();
            }
        },
        |c, _| check(c.sum()),
    );
    // Timed and checked: every increment must be in the final count.
    let lost = |total: u64, done: u64| total.abs_diff(done);
    let mutex_timed = p.timed(
        Mutex::new(0u64),
        |m| {
            *m.lock().unwrap() += 1;
            true
        },
        |m, done| lost(m.into_inner().unwrap(), done),
    );
    let counter_timed = p.timed(
        Counter::new(0),
        |c| {
            c.increment();
            true
        },
        |c, done| lost(c.get(), done),
    );
    let striped_timed = p.timed(
        StripedCounter::new(),
        |c| {
            c.increment();
            true
        },
        |c, done| lost(c.sum(), done),
    );
    p.finish();

    Scenario {
        title: "lost update on a shared counter",
        setup: format!("{threads} threads x {PER_THREAD} increments"),
        anomaly: "lost updates",
        rows: vec![
            Row {
                name: "naive: v = load(); store(v + 1)",
                kind: Kind::Naive,
                tally: naive,
                timed: None,
            },
            Row {
                name: "Mutex<u64>: *lock() += 1",
                kind: Kind::Mutex,
                tally: mutex,
                timed: Some(mutex_timed),
            },
            Row {
                name: "racefree::Counter::increment",
                kind: Kind::Racefree,
                tally: counter,
                timed: Some(counter_timed),
            },
            Row {
                name: "racefree::StripedCounter::increment",
                kind: Kind::Racefree,
                tally: striped,
                timed: Some(striped_timed),
            },
        ],
        rounds,
        if_lucky: "The race is still there: try more --rounds.",
    }
}
