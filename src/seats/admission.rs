//! The admission counter: how many seats are not yet promised to any claimer.
//!
//! Every claim takes its units here first, and only then sets bits; a release
//! clears its bits first, and only then gives its units back. So at every instant
//! the number of set bits is at most `capacity - admission`, and a claimer that
//! holds `k` units is guaranteed that `k` clear bits exist for it: no claim ever
//! rolls back bits, and a group claim is all-or-nothing at this one CAS.

use crate::sync::{cas_update, AtomicUsize, Ordering};

/// Takes `n` units if at least `n` are left, never letting the count go below
/// zero (a CAS loop, never `fetch_sub`-then-roll-back, which would show other
/// threads a count that is not real). Returns whether the units were taken.
#[inline]
pub(crate) fn take(admission: &AtomicUsize, n: usize) -> bool {
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
        |current| current.checked_sub(n),
    )
    .is_ok()
}

/// Gives `n` units back. Call it only after clearing the bits they stood for.
#[inline]
pub(crate) fn give_back(admission: &AtomicUsize, n: usize, capacity: usize) {
    // Release: pairs with the Acquire CAS in `take`; it publishes the
    // `fetch_and` that cleared the bits before this call.
    let before = admission.fetch_add(n, Ordering::Release);
    debug_assert!(
        before + n <= capacity,
        "racefree: seat pool admission count exceeded its capacity (a seat was released twice)"
    );
}
