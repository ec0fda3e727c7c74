//! # racefree
//!
//! Lock-free building blocks that close the *check-then-act* gap.
//!
//! Most race conditions in services are the same bug: a thread **checks** shared
//! state ("is the seat free?", "is the balance at least 80?", "have fewer than 100
//! coupons gone out?", "is this still the head of the stack?") and then **acts** on
//! it, while another thread changes the state in between. Two customers buy the
//! last seat; two increments become one; coupon 101, 102 and 103 are issued; two
//! withdrawals both see enough money; a stack node comes back at the same address
//! and a stale compare-and-swap succeeds (ABA). Every structure in this crate makes
//! the check and the act **one atomic step** — a `fetch_add`, a `fetch_or` on one
//! bit, or a compare-and-swap on a tagged word — so those interleavings cannot
//! happen, and no thread ever waits on a lock that a preempted thread holds.
//!
//! | need | type | needs |
//! | --- | --- | --- |
//! | IDs, totals | [`Counter`] | core (64-bit atomics) |
//! | coupons, balances, admission limits | [`BoundedCounter`] | core (64-bit atomics) |
//! | very hot statistics counters | [`StripedCounter`] | `alloc` |
//! | seats, slots, tickets | [`SeatPool`] / [`ArraySeatPool`] | `alloc` / core |
//! | object free-lists, LIFO work | [`ArrayStack`] / [`TreiberStack`] | core / `alloc` |
//!
//! ```
//! use racefree::BoundedCounter;
//!
//! // "The first 100 customers get a coupon": never 101, however many threads race.
//! let coupons = BoundedCounter::new(0, 100);
//! assert_eq!(coupons.try_add(1), Ok(0));
//! ```
//!
//! ## Features
//! - `std` (default): implies `alloc`; thread-local scan hints and OS yielding.
//! - `alloc`: the heap types [`StripedCounter`], [`SeatPool`] and [`TreiberStack`].
//! - `shm` (implies `std`): `racefree::shm`, a seat pool and counters in a shared
//!   memory-mapped file, for several processes, with crash recovery (Linux first).
//! - `critical-section`: forwarded to `portable-atomic`, for cores without CAS
//!   (thumbv6m); the final binary provides the critical-section implementation.
//!
//! Without default features the crate is `#![no_std]` and builds for
//! `thumbv7em-none-eabihf`, `riscv32imac-unknown-none-elf` and (with
//! `critical-section`) `thumbv6m-none-eabi`. Each type says whether it is lock-free
//! on the target through an `is_lock_free()` function; nothing silently falls back
//! to a lock.
//!
//! The 64-bit counters need native 64-bit atomics, which thumbv7em and riscv32imac
//! do not have: there they are not compiled (use [`ArraySeatPool`] or [`ArrayStack`],
//! which work on any target with pointer-width CAS).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations)]

#[cfg(feature = "alloc")]
extern crate alloc;
// Tests use `std` in every build (the no_std builds too).
#[cfg(any(feature = "std", test))]
extern crate std;

mod sync;
// `crate::const_fn!` for every module.
use sync::const_fn;

pub mod counter;
pub mod seats;
pub mod stack;
// Shared memory: std and 64-bit atomics (owner words). Under loom only its
// recovery protocol is compiled, for its model.
#[cfg(all(feature = "shm", racefree_atomic_64))]
#[cfg_attr(docsrs, doc(cfg(feature = "shm")))]
pub mod shm;

// Each module decides, by target and feature, which of its types exist.
#[cfg(racefree_atomic_64)]
pub use counter::*;
pub use seats::*;
// The stacks' iterators stay at `racefree::stack::{PopIter, IntoIter}`.
pub use stack::ArrayStack;
#[cfg(racefree_double_word_cas)]
pub use stack::TreiberStack;
