//! The linearizability checker.
//!
//! A history is *linearizable* when its operations can be put in one sequential
//! order that (a) respects real-time precedence — if A responded before B was
//! invoked, A comes first — and (b) is a legal run of the sequential specification,
//! each operation returning exactly what it returned in the history.
//!
//! The search is Wing & Gong's: repeatedly pick a *minimal* operation (one whose
//! real-time predecessors are all placed already), apply it to the sequential model,
//! and backtrack when the model rejects the recorded result. As in Lowe's
//! "Testing for linearizability" and Horn & Kroening's "Faster linearizability
//! checking via P-compositionality", every visited configuration — the bitmask of
//! placed operations plus the model state reached — is memoised: two different
//! orders of the same set of operations that lead to the same state have the same
//! future, so the second is cut off. This turns the factorial search into one
//! bounded by (subsets reachable) × (distinct states), tiny for the histories here
//! (at most 64 operations; the tests use 12–32).

use crate::history::History;
use std::collections::HashSet;
use std::fmt::{self, Debug};
use std::hash::Hash;

/// A sequential specification: a state machine whose transitions are labelled by an
/// operation *and its result*.
///
/// `step` returns the next state when `op` may return `ret` in state `self`, and
/// `None` when it may not. Nondeterministic specifications (e.g. "reserve returns
/// *some* free seat") are deterministic once the result is given, which is what
/// makes this shape sufficient.
pub trait SequentialModel: Clone + Eq + Hash {
    /// An operation with its arguments.
    type Op: Debug;
    /// What an operation returns.
    type Ret: Debug;
    /// The state after `op` returned `ret`, or `None` if that result is illegal here.
    fn step(&self, op: &Self::Op, ret: &Self::Ret) -> Option<Self>;
}

/// A witness: indices into `history.events` in linearization order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linearization {
    /// The legal sequential order found.
    pub order: Vec<usize>,
    /// Distinct (placed-set, state) configurations visited.
    pub configurations: usize,
}

/// Why a history is not linearizable, with enough context to read it.
pub struct NotLinearizable {
    /// The history as a timeline.
    pub timeline: String,
    /// The longest legal prefix found, as event indices.
    pub longest_prefix: Vec<usize>,
    /// The operations that could come next after that prefix, each illegal there.
    pub stuck_on: Vec<String>,
    /// Distinct configurations visited before giving up.
    pub configurations: usize,
}

impl Debug for NotLinearizable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "history is NOT linearizable")?;
        write!(f, "{}", self.timeline)?;
        writeln!(f, "longest legal prefix: {:?}", self.longest_prefix)?;
        writeln!(f, "no candidate fits after it: {:?}", self.stuck_on)?;
        write!(f, "({} configurations searched)", self.configurations)
    }
}

/// The most operations one history may hold (one bit each in the placed-set).
pub const MAX_OPS: usize = 64;

/// Searches for a linearization of `history` starting from `init`.
///
/// # Panics
/// If the history has more than [`MAX_OPS`] operations.
pub fn check<M: SequentialModel>(
    init: &M,
    history: &History<M::Op, M::Ret>,
) -> Result<Linearization, NotLinearizable>
where
    M::Op: Debug,
    M::Ret: Debug,
{
    let n = history.len();
    assert!(
        n <= MAX_OPS,
        "history of {n} operations exceeds the checker's bound of {MAX_OPS}"
    );
    let events = &history.events;
    // preds[i]: every operation that responded before i was invoked.
    let preds: Vec<u64> = events
        .iter()
        .map(|e| {
            events
                .iter()
                .enumerate()
                .filter(|(_, p)| p.precedes(e))
                .fold(0u64, |m, (j, _)| m | 1 << j)
        })
        .collect();
    // Try candidates in invocation order: the likely linearization comes first.
    let mut by_invoke: Vec<usize> = (0..n).collect();
    by_invoke.sort_by_key(|&i| events[i].invoke);

    let mut search = Search {
        history,
        preds: &preds,
        by_invoke: &by_invoke,
        full: if n == MAX_OPS {
            u64::MAX
        } else {
            (1u64 << n) - 1
        },
        seen: HashSet::new(),
        path: Vec::with_capacity(n),
        best: Vec::new(),
    };
    if search.dfs(0, init.clone()) {
        return Ok(Linearization {
            order: search.path,
            configurations: search.seen.len(),
        });
    }
    let placed = search.best.iter().fold(0u64, |m, &i| m | 1 << i);
    let stuck_on = by_invoke
        .iter()
        .filter(|&&i| placed & (1 << i) == 0 && preds[i] & !placed == 0)
        .map(|&i| format!("#{i} {:?} -> {:?}", events[i].op, events[i].ret))
        .collect();
    Err(NotLinearizable {
        timeline: history.render(),
        longest_prefix: search.best,
        stuck_on,
        configurations: search.seen.len(),
    })
}

struct Search<'h, M: SequentialModel> {
    history: &'h History<M::Op, M::Ret>,
    preds: &'h [u64],
    by_invoke: &'h [usize],
    full: u64,
    seen: HashSet<(u64, M)>,
    path: Vec<usize>,
    best: Vec<usize>,
}

impl<M: SequentialModel> Search<'_, M> {
    /// Depth-first search from `placed`/`state`; on success `self.path` is a witness.
    /// Recursion depth is at most `MAX_OPS`.
    fn dfs(&mut self, placed: u64, state: M) -> bool {
        if placed == self.full {
            return true;
        }
        if !self.seen.insert((placed, state.clone())) {
            return false; // memo: this configuration's future was already explored
        }
        for &i in self.by_invoke {
            let bit = 1u64 << i;
            // Minimal: not placed yet, and all its real-time predecessors are.
            if placed & bit != 0 || self.preds[i] & !placed != 0 {
                continue;
            }
            let e = &self.history.events[i];
            if let Some(next) = state.step(&e.op, &e.ret) {
                self.path.push(i);
                if self.path.len() > self.best.len() {
                    self.best = self.path.clone();
                }
                if self.dfs(placed | bit, next) {
                    return true;
                }
                self.path.pop();
            }
        }
        false
    }
}

/// Reference oracle for testing the checker itself: tries every order that respects
/// real-time precedence, without memoisation. Exponential; use on ≤ 8 operations.
pub fn brute_force<M: SequentialModel>(init: &M, history: &History<M::Op, M::Ret>) -> bool {
    fn go<M: SequentialModel>(h: &History<M::Op, M::Ret>, placed: &mut Vec<bool>, s: &M) -> bool {
        if placed.iter().all(|&p| p) {
            return true;
        }
        for i in 0..h.len() {
            let ready = !placed[i]
                && (0..h.len()).all(|j| placed[j] || !h.events[j].precedes(&h.events[i]));
            if !ready {
                continue;
            }
            if let Some(next) = s.step(&h.events[i].op, &h.events[i].ret) {
                placed[i] = true;
                if go(h, placed, &next) {
                    return true;
                }
                placed[i] = false;
            }
        }
        false
    }
    assert!(history.len() <= 8, "brute force is for tiny histories");
    go(history, &mut vec![false; history.len()], init)
}
