//! The admission counter: how many seats are not yet promised to any claimer.
//!
//! Every claim takes its units here first, and only then sets bits; a release
//! clears its bits first, and only then gives its units back. So at every instant
//! the number of set bits is at most `capacity - admission`, and a claimer that
//! holds `k` units is guaranteed that `k` clear bits exist for it: no claim ever
//! rolls back bits, and a group claim is all-or-nothing at this one CAS.
//!
//! The word's top bit is [`WAITING`]: set while callers are queued to wait for
//! seats (only with the `wait` feature; otherwise it is never set). The count
//! lives in the other bits (a capacity never reaches the top bit: a bitmap of
//! `2^(usize::BITS - 1)` seats cannot be allocated or laid out). Keeping the flag
//! in the same word as the count is what makes waiting free of lost wakeups
//! without a fence: a release learns whether anyone waits from the very
//! `fetch_add` that gives its units back, and a waiter's check of the count and
//! a release's return of units are ordered by this one word's modification order.

use crate::sync::{cas_update, AtomicUsize, Ordering};

/// Set while callers are queued waiting for seats (see the module docs).
pub(crate) const WAITING: usize = !(usize::MAX >> 1);
/// The count's bits.
pub(crate) const COUNT: usize = usize::MAX >> 1;

/// Takes `n` units if at least `n` are left, never letting the count go below
/// zero (a CAS loop, never `fetch_sub`-then-roll-back, which would show other
/// threads a count that is not real). Returns whether the units were taken.
/// Ignores (and keeps) the [`WAITING`] flag.
#[inline]
pub(crate) fn take(admission: &AtomicUsize, n: usize) -> bool {
    take_if::<false>(admission, n)
}

/// Like [`take`], but fails while the [`WAITING`] flag is set: the fast path of
/// a waiting call, which must not overtake queued waiters. The same one load
/// and one CAS as `take`.
#[cfg(feature = "wait")]
#[inline]
pub(crate) fn take_unless_waiting(admission: &AtomicUsize, n: usize) -> bool {
    take_if::<true>(admission, n)
}

/// Takes `n` units while the count is at least `n` (and, if `FAIR`, while the
/// [`WAITING`] flag is clear).
#[inline(always)]
fn take_if<const FAIR: bool>(admission: &AtomicUsize, n: usize) -> bool {
    cas_update(
        admission,
        // Relaxed: only a first guess; the CAS re-checks it.
        Ordering::Relaxed,
        // Acquire on success: pairs with the Release `fetch_add` in `give_back`, so
        // the bits the giver cleared before giving its units back are visible to
        // this claimer's scan.
        Ordering::Acquire,
        // Relaxed on failure: nothing was taken.
        Ordering::Relaxed,
        |current| {
            let refused = if FAIR {
                // A set flag makes the word negative as an `isize`, so one signed
                // compare refuses both "someone waits" and "too few" (`n` is at
                // most the capacity, below the flag bit).
                (current as isize) < (n as isize)
            } else {
                current & COUNT < n
            };
            // The count is at least `n`, so the subtraction keeps the flag bit.
            (!refused).then(|| current - n)
        },
    )
    .is_ok()
}

/// Gives `n` units back. Call it only after clearing the bits they stood for.
/// Returns whether the [`WAITING`] flag was set at that instant (then the
/// caller wakes the head of the pool's wait queue).
#[inline]
pub(crate) fn give_back(admission: &AtomicUsize, n: usize, capacity: usize) -> bool {
    // Release: pairs with the Acquire CAS in `take`; it publishes the
    // `fetch_and` that cleared the bits before this call.
    let before = admission.fetch_add(n, Ordering::Release);
    debug_assert!(
        (before & COUNT) + n <= capacity,
        "racefree: seat pool admission count exceeded its capacity (a seat was released twice)"
    );
    before & WAITING != 0
}

/// The count of unpromised seats, without the flag.
#[inline]
pub(crate) fn count(admission: &AtomicUsize) -> usize {
    // Relaxed: a snapshot of a count; no data is read on the strength of it.
    admission.load(Ordering::Relaxed) & COUNT
}

/// Sets the [`WAITING`] flag (the wait queue became non-empty; under its lock).
#[cfg(feature = "wait")]
#[inline]
pub(crate) fn set_waiting(admission: &AtomicUsize) {
    // Relaxed: an RMW, so it continues the release sequence of every
    // `give_back` before it (a later Acquire CAS in `take` still pairs with
    // them); the wake protocol needs only this word's modification order and
    // the queue's lock, both of which it has.
    admission.fetch_or(WAITING, Ordering::Relaxed);
}

/// Clears the [`WAITING`] flag (the wait queue became empty; under its lock).
#[cfg(feature = "wait")]
#[inline]
pub(crate) fn clear_waiting(admission: &AtomicUsize) {
    // Relaxed: as in `set_waiting`, an RMW that keeps release sequences intact.
    admission.fetch_and(COUNT, Ordering::Relaxed);
}
