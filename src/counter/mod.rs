//! Counters whose read-and-change is one atomic step: [`Counter`],
//! [`BoundedCounter`], [`StripedCounter`].
//!
//! | type | use it for | the atomic step |
//! | --- | --- | --- |
//! | [`Counter`] | IDs, totals | one `fetch_add` |
//! | [`BoundedCounter`] | coupons, balances, admission limits | a compare-and-swap loop that checks the bound |
//! | [`StripedCounter`] | very hot statistics | a `fetch_add` on one of several cache-padded cells |
//!
//! They need 64-bit atomics, which thumbv7em and riscv32imac lack: there they are
//! not compiled: they are never emulated with a lock (`portable-atomic`'s
//! `fallback` feature is enabled only on x86_64, where it can only affect the
//! 128-bit head of `TreiberStack`, never a 64-bit atomic).
//! [`StripedCounter`] also needs the `alloc` feature.
//!
//! ```
//! use racefree::{BoundedCounter, Counter};
//!
//! let ids = Counter::new(1);
//! assert_eq!(ids.increment(), 1); // the first ID handed out
//!
//! let coupons = BoundedCounter::new(0, 100);
//! assert_eq!(coupons.try_add(1), Ok(0));
//! ```

#![forbid(unsafe_code)]

// `pub(crate)`: their logic over a borrowed word is also the shared-memory
// counters' (`crate::shm`).
#[cfg(racefree_atomic_64)]
pub(crate) mod bounded;
#[cfg(racefree_atomic_64)]
#[allow(clippy::module_inception)]
pub(crate) mod counter;
#[cfg(all(feature = "serde", racefree_atomic_64))]
mod serialize;
#[cfg(all(feature = "alloc", racefree_atomic_64))]
mod striped;

#[cfg(racefree_atomic_64)]
pub use bounded::BoundedCounter;
#[cfg(racefree_atomic_64)]
pub use counter::Counter;
#[cfg(all(feature = "alloc", racefree_atomic_64))]
pub use striped::StripedCounter;
