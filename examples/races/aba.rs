//! Scenario 5: ABA on a stack. Threads churn pop/push on a tiny stack of the
//! indices `0..CAP`. An untagged stack's pop reads `head = A` and `A.next = B`,
//! then CASes `head` from A to B; if meanwhile A and B were popped and A pushed
//! back, the stale CAS still succeeds and installs B, which someone else holds:
//! indices are duplicated or lost. A tag in the head makes that CAS fail.
//!
//! The broken stack is `tests/support/untagged_stack.rs` (shared with the tests
//! and the loom model); its `pop_with` runs our `gap()` between the pop's read
//! and its CAS, which is where a preemption has to land for ABA to happen.

use std::sync::Mutex;

use racefree::ArrayStack;

use crate::cli::Options;
use crate::harness::{gap, race, throughput, Checked, Progress};
use crate::report::{Kind, Row, Scenario};
use crate::untagged_stack::{TaggedStack, UntaggedStack};

/// Stack capacity, and the items 0..CAP that circulate through it.
const CAP: usize = 4;
/// Pop/push pairs per thread per round.
const CHURN: u64 = 100;

/// What one thread did: attempts made, and items it still held at the end
/// (a push refused because a corrupted stack looked full).
type Churned = (u64, Vec<usize>);

/// One thread's churn on any stack: pop an item, `hold` it a moment, push it
/// back.
fn churn(
    pop: impl Fn() -> Option<usize>,
    hold: impl Fn(),
    push: impl Fn(usize) -> Result<(), usize>,
) -> Churned {
    let (mut tried, mut held) = (0, Vec::new());
    for _ in 0..CHURN {
        tried += 1;
        if let Some(v) = pop() {
            hold();
            tried += 1;
            if let Err(v) = push(v) {
                held.push(v);
            }
        }
    }
    (tried, held)
}

/// Lost or duplicated items: every item 0..CAP must come back exactly once
/// from the drained stack plus whatever threads still hold; each item that
/// does not counts once. Draining stops after CAP + 1 pops, in case corruption
/// made a cycle.
fn check(threads: Vec<Churned>, mut pop: impl FnMut() -> Option<usize>) -> Checked {
    let mut seen = [0u64; CAP];
    let mut extra = 0;
    let mut attempts = 0;
    let mut count = |v: usize| match seen.get_mut(v) {
        Some(n) => *n += 1,
        None => extra += 1,
    };
    for (tried, held) in threads {
        attempts += tried;
        held.into_iter().for_each(&mut count);
    }
    for _ in 0..=CAP {
        match pop() {
            Some(v) => count(v),
            None => break,
        }
    }
    let anomalies = seen.iter().filter(|&&n| n != 1).count() as u64 + extra;
    Checked {
        attempts,
        anomalies,
    }
}

/// Runs the three stacks under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let mut p = Progress::new("ABA", rounds * 4);

    // Both index stacks get the same widened gaps, inside pop() (between its
    // read and its CAS) and while an item is held; only the tag differs.
    let untagged = race(
        rounds,
        threads,
        &mut p,
        UntaggedStack::<CAP>::full,
        |s, _| {
            let push = |v| {
                s.push(v);
                Ok(())
            };
            churn(|| s.pop_with(gap), gap, push)
        },
        |s, t| check(t, || s.pop()),
    );
    let tagged_index = race(
        rounds,
        threads,
        &mut p,
        TaggedStack::<CAP>::full,
        |s, _| {
            let push = |v| {
                s.push(v);
                Ok(())
            };
            churn(|| s.pop_with(gap), gap, push)
        },
        |s, t| check(t, || s.pop()),
    );
    let mutex = race(
        rounds,
        threads,
        &mut p,
        || Mutex::new((0..CAP).collect::<Vec<_>>()),
        |m, _| {
            let push = |v| {
                let mut s = m.lock().unwrap();
                if s.len() < CAP {
                    s.push(v);
                    Ok(())
                } else {
                    Err(v)
                }
            };
            churn(|| m.lock().unwrap().pop(), || {}, push)
        },
        |m, t| {
            let mut items = m.into_inner().unwrap();
            check(t, || items.pop())
        },
    );
    let tagged = race(
        rounds,
        threads,
        &mut p,
        filled_array_stack,
        |s, _| churn(|| s.pop(), || {}, |v| s.push(v)),
        |s, t| check(t, || s.pop()),
    );
    // Timed: the same pop-then-push churn, on one long-lived stack.
    let time = opts.timed;
    let full: Vec<usize> = (0..CAP).collect();
    let mutex_mops = throughput(threads, time, Mutex::new(full), |m| {
        let v = m.lock().unwrap().pop();
        if let Some(v) = v {
            m.lock().unwrap().push(v);
        }
    });
    let tagged_mops = throughput(threads, time, filled_array_stack(), |s| {
        if let Some(v) = s.pop() {
            let _ = s.push(v);
        }
    });
    p.finish();

    Scenario {
        title: "ABA on an untagged stack",
        setup: format!("{threads} threads x {CHURN} pop/push on a {CAP}-slot stack"),
        anomaly: "lost/duplicated items",
        rows: vec![
            Row {
                name: "naive: untagged index stack, gaps in pop",
                kind: Kind::Naive,
                tally: untagged,
                mops: None,
            },
            Row {
                name: "the same index stack + a tag, same gaps",
                kind: Kind::Racefree,
                tally: tagged_index,
                mops: None,
            },
            Row {
                name: "Mutex<Vec<usize>>",
                kind: Kind::Mutex,
                tally: mutex,
                mops: Some(mutex_mops),
            },
            Row {
                name: "racefree::ArrayStack (tagged head)",
                kind: Kind::Racefree,
                tally: tagged,
                mops: Some(tagged_mops),
            },
        ],
        rounds,
        if_lucky: "ABA needs a thread to stall inside pop() between reading \
                   head.next and its CAS while others pop twice and push once;\n   \
                   the loom model untagged_index_stack_aba_pattern_corrupts \
                   (tests/loom/stacks.rs) finds it every time.",
    }
}

/// An `ArrayStack` holding the items `0..CAP`.
fn filled_array_stack() -> ArrayStack<usize, CAP> {
    let s = ArrayStack::new();
    (0..CAP).for_each(|v| s.push(v).expect("fresh stack has room"));
    s
}
