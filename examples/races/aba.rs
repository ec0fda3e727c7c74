//! Scenario 5: ABA on a stack. Threads churn pop/push on a tiny stack of the
//! indices `0..CAP`. An untagged stack's pop reads `head = A` and `A.next = B`,
//! then CASes `head` from A to B; if meanwhile A and B were popped and A pushed
//! back, the stale CAS still succeeds and installs B, which someone else holds:
//! indices are duplicated or lost. A tag in the head makes that CAS fail.
//!
//! The broken stack is `racefree_conformance::untagged_stack` (shared with the tests
//! and the loom model); its `pop_with` runs our `gap()` between the pop's read
//! and its CAS, which is where a preemption has to land for ABA to happen.

use std::sync::Mutex;

use racefree::ArrayStack;

use crate::cli::Options;
use crate::harness::{gap, Checked, Marks, Runs, Tally};
use crate::report::{Kind, Row, Scenario};
use racefree_conformance::untagged_stack::{drain_at_most, IndexStack};

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
fn check(threads: Vec<Churned>, pop: impl FnMut() -> Option<usize>) -> Checked {
    Checked::tally(threads, |held| {
        let mut seen = [0u64; CAP];
        let mut extra = 0;
        let mut count = |v: usize| match seen.get_mut(v) {
            Some(n) => *n += 1,
            None => extra += 1,
        };
        held.into_iter().for_each(&mut count);
        drain_at_most(CAP, pop).into_iter().for_each(count);
        seen.iter().filter(|&&n| n != 1).count() as u64 + extra
    })
}

/// Runs the three stacks under the same threads.
pub fn run(opts: &Options) -> Scenario {
    let (rounds, threads) = (opts.rounds, opts.threads);
    let mut p = Runs::new(opts, "ABA", 4);

    // Both index stacks get the same widened gaps, inside pop() (between its
    // read and its CAS) and while an item is held; only the tag differs.
    let untagged = index_stack_race::<false>(&mut p);
    let tagged_index = index_stack_race::<true>(&mut p);
    let mutex = p.race(
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
    let tagged = p.race(
        filled_array_stack,
        |s, _| churn(|| s.pop(), || {}, |v| s.push(v)),
        |s, t| check(t, || s.pop()),
    );
    // Timed and checked: the same pop-then-push churn (no gaps) on one
    // long-lived stack, marking each item while it is held; an item popped
    // twice at once, or missing at the end, is an anomaly.
    let mutex_timed = {
        let marks = Marks::<CAP>::new();
        let op = |m: &Mutex<Vec<usize>>| {
            let popped = m.lock().unwrap().pop();
            popped.is_some_and(|v| {
                marks.hold(v);
                m.lock().unwrap().push(v);
                true
            })
        };
        let verify = |m: Mutex<Vec<usize>>, _| {
            let mut items = m.into_inner().unwrap();
            marks.anomalies() + check(Vec::new(), || items.pop()).anomalies
        };
        p.timed(Mutex::new((0..CAP).collect()), op, verify)
    };
    let tagged_timed = {
        let marks = Marks::<CAP>::new();
        let op = |s: &ArrayStack<usize, CAP>| {
            s.pop().is_some_and(|v| {
                marks.hold(v);
                // A full stack is a documented transient while another pop
                // has not yet returned its slot: retry, but not forever.
                let mut item = v;
                for _ in 0..1_000_000 {
                    match s.push(item) {
                        Ok(()) => return true,
                        Err(back) => item = back,
                    }
                    std::thread::yield_now();
                }
                marks.anomaly();
                false
            })
        };
        let verify = |s: ArrayStack<usize, CAP>, _| {
            marks.anomalies() + check(Vec::new(), || s.pop()).anomalies
        };
        p.timed(filled_array_stack(), op, verify)
    };
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
                timed: None,
            },
            Row {
                name: "the same index stack + a tag, same gaps",
                kind: Kind::Racefree,
                tally: tagged_index,
                timed: None,
            },
            Row {
                name: "Mutex<Vec<usize>>",
                kind: Kind::Mutex,
                tally: mutex,
                timed: Some(mutex_timed),
            },
            Row {
                name: "racefree::ArrayStack (tagged head)",
                kind: Kind::Racefree,
                tally: tagged,
                timed: Some(tagged_timed),
            },
        ],
        rounds,
        if_lucky: "ABA needs a thread to stall inside pop() between reading \
                   head.next and its CAS while others pop twice and push once;\n   \
                   the loom model untagged_index_stack_aba_pattern_corrupts \
                   (tests/loom/stacks.rs) finds it every time.",
    }
}

/// The index stack, untagged or tagged, under the same widened gaps: inside
/// `pop` (between its read and its CAS) and while an item is held.
fn index_stack_race<const TAGGED: bool>(p: &mut Runs) -> Tally {
    p.race(
        IndexStack::<CAP, TAGGED>::full,
        |s, _| {
            let push = |v| {
                s.push(v);
                Ok(())
            };
            churn(|| s.pop_with(gap), gap, push)
        },
        |s, t| check(t, || s.pop()),
    )
}

/// An `ArrayStack` holding the items `0..CAP`.
fn filled_array_stack() -> ArrayStack<usize, CAP> {
    let s = ArrayStack::new();
    (0..CAP).for_each(|v| s.push(v).expect("fresh stack has room"));
    s
}
