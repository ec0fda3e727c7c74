//! Loom models: every interleaving (up to the preemption bound) of small
//! concurrent scenarios, each ending by draining the structure and checking that
//! every item or seat comes back exactly once.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test loom`
//! (`LOOM_MAX_PREEMPTIONS` bounds the search; each model sets a default.)
#![cfg(loom)]

#[path = "loom/counters.rs"]
mod counters;
#[path = "loom/seats.rs"]
mod seats;
#[path = "loom/stacks.rs"]
mod stacks;
