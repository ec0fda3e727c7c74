//! Loom models: every interleaving (up to the preemption bound) of small
//! concurrent scenarios, each ending by draining the structure and checking that
//! every item or seat comes back exactly once.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test loom`
//! (`LOOM_MAX_PREEMPTIONS` bounds the search; each model sets a default.)
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs `f` under loom with a default preemption bound (`LOOM_MAX_PREEMPTIONS`
/// overrides it) and prints how many executions were explored, so a model that
/// silently explores almost nothing shows up in the log. Returns the bound used.
fn model(name: &str, default_bound: usize, f: impl Fn() + Sync + Send + 'static) -> Option<usize> {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(default_bound);
    }
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    builder.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        f();
    });
    eprintln!(
        "loom {name}: {} executions (preemption bound {:?})",
        runs.load(Ordering::Relaxed),
        builder.preemption_bound
    );
    builder.preemption_bound
}

mod counters;
mod seats;
mod stacks;
mod venue;
mod wait;
