//! [`BoundedCounter`]: a counter kept in `0..=max` by compare-and-swap.

use core::fmt;

use crate::sync::{cas_update, AtomicU64, Ordering};

/// A 64-bit counter whose value always stays in `0..=max`.
///
/// [`try_add`](Self::try_add) and [`try_sub`](Self::try_sub) check the bound and
/// change the value in **one** atomic step (a compare-and-swap loop with checked
/// arithmetic). They return `Ok(previous)` when the change was made, or
/// `Err(current)` when it would leave `0..=max`, and then nothing changed. A value
/// outside `0..=max` is never stored, not even for an instant: there is no
/// add-then-roll-back.
///
/// # The coupon: "the first 100 customers get one"
///
/// Checking `issued < 100` and then incrementing lets several threads pass the
/// check together and hand out coupon 101, 102, 103. With `try_add` the check and
/// the increment are one step, so exactly 100 succeed however many threads race:
///
/// ```
/// use racefree::BoundedCounter;
/// use std::thread;
///
/// let coupons = BoundedCounter::new(0, 100);
/// let won: usize = thread::scope(|s| {
///     let hs: Vec<_> = (0..8)
///         .map(|_| s.spawn(|| (0..50).filter(|_| coupons.try_add(1).is_ok()).count()))
///         .collect();
///     hs.into_iter().map(|h| h.join().unwrap()).sum()
/// });
/// assert_eq!(won, 100); // 400 attempts, exactly 100 coupons
/// assert_eq!(coupons.get(), 100);
/// ```
///
/// The `Ok(previous)` value is the coupon's number (`0..100`), unique per winner.
///
/// # The bank balance: "withdraw only if there is enough"
///
/// Two withdrawals of 80 and 50 from a balance of 100 must not both succeed:
///
/// ```
/// use racefree::BoundedCounter;
/// use std::thread;
///
/// let balance = BoundedCounter::new(100, u64::MAX);
/// let (a, b) = thread::scope(|s| {
///     let a = s.spawn(|| balance.try_sub(80));
///     let b = s.spawn(|| balance.try_sub(50));
///     (a.join().unwrap(), b.join().unwrap())
/// });
/// assert!(a.is_ok() != b.is_ok()); // exactly one withdrawal went through
/// assert!(balance.get() == 20 || balance.get() == 50);
/// ```
///
/// # Memory ordering
///
/// A successful `try_add`/`try_sub` is `AcqRel` and `get` is `Acquire`, so the
/// counter also works as a counting semaphore: memory written before a
/// successful `try_add` (handing units back) is visible after a later successful
/// `try_sub` (taking units) that read its value, as with a lock.
pub struct BoundedCounter {
    value: AtomicU64,
    max: u64,
}

static_assertions::assert_impl_all!(BoundedCounter: Send, Sync);

impl BoundedCounter {
    crate::const_fn! {
        /// Creates a counter at `initial` that stays in `0..=max`. `const`, so it
        /// can live in a `static`.
        ///
        /// # Panics
        ///
        /// Panics with "racefree::BoundedCounter::new: initial value is greater
        /// than max" if `initial > max` (at compile time in a `const`/`static`).
        /// [`try_new`](Self::try_new) returns `None` instead.
        ///
        /// # Example
        ///
        /// ```
        /// use racefree::BoundedCounter;
        ///
        /// static ADMITTED: BoundedCounter = BoundedCounter::new(0, 64);
        /// assert_eq!(ADMITTED.try_add(1), Ok(0));
        /// assert_eq!(ADMITTED.max(), 64);
        /// ```
        #[must_use]
        #[track_caller]
        pub const fn new(initial: u64, max: u64) -> Self {
            if initial > max {
                panic!("racefree::BoundedCounter::new: initial value is greater than max");
            }
            Self {
                value: AtomicU64::new(initial),
                max,
            }
        }
    }

    crate::const_fn! {
        /// Creates a counter at `initial` that stays in `0..=max`, or returns `None`
        /// if `initial > max`. The non-panicking [`new`](Self::new).
        ///
        /// # Example
        ///
        /// ```
        /// use racefree::BoundedCounter;
        ///
        /// assert!(BoundedCounter::try_new(5, 10).is_some());
        /// assert!(BoundedCounter::try_new(10, 10).is_some());
        /// assert!(BoundedCounter::try_new(11, 10).is_none());
        /// ```
        #[must_use]
        pub const fn try_new(initial: u64, max: u64) -> Option<Self> {
            if initial > max {
                None
            } else {
                Some(Self::new(initial, max))
            }
        }
    }

    /// Returns the current value, always in `0..=max()`.
    ///
    /// It may be stale by the time you use it: to act on the value, use
    /// [`try_add`](Self::try_add)/[`try_sub`](Self::try_sub), which re-check it
    /// atomically.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::BoundedCounter;
    ///
    /// let c = BoundedCounter::new(3, 10);
    /// assert_eq!(c.get(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub fn get(&self) -> u64 {
        get(&self.value)
    }

    /// The upper bound given at construction.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::BoundedCounter;
    ///
    /// assert_eq!(BoundedCounter::new(0, 100).max(), 100);
    /// ```
    #[inline]
    #[must_use]
    pub const fn max(&self) -> u64 {
        self.max
    }

    /// Adds `n` if the result stays `<= max()`.
    ///
    /// Returns `Ok(previous)` if it did, or `Err(current)` (the value that made the
    /// addition impossible) and changes nothing. `try_add(0)` always succeeds.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::BoundedCounter;
    ///
    /// let seats = BoundedCounter::new(0, 10);
    /// assert_eq!(seats.try_add(8), Ok(0));
    /// assert_eq!(seats.try_add(3), Err(8)); // 11 > 10: refused, nothing changed
    /// assert_eq!(seats.try_add(2), Ok(8));
    /// assert_eq!(seats.get(), 10);
    /// ```
    #[inline]
    pub fn try_add(&self, n: u64) -> Result<u64, u64> {
        try_add(&self.value, self.max, n)
    }

    /// Subtracts `n` if the result stays `>= 0`.
    ///
    /// Returns `Ok(previous)` if it did, or `Err(current)` (the value that made the
    /// subtraction impossible) and changes nothing. `try_sub(0)` always succeeds.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::BoundedCounter;
    ///
    /// let balance = BoundedCounter::new(100, u64::MAX);
    /// assert_eq!(balance.try_sub(80), Ok(100));
    /// assert_eq!(balance.try_sub(50), Err(20)); // not enough: refused
    /// assert_eq!(balance.get(), 20);
    /// ```
    #[inline]
    pub fn try_sub(&self, n: u64) -> Result<u64, u64> {
        try_sub(&self.value, n)
    }

    /// Whether the operations are lock-free on this target (always `true` where
    /// the type exists: it is only compiled where 64-bit atomics are native).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(racefree::BoundedCounter::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        crate::sync::U64_IS_LOCK_FREE
    }

    /// Consumes the counter and returns its value.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::BoundedCounter;
    ///
    /// let c = BoundedCounter::new(1, 5);
    /// c.try_add(2).unwrap();
    /// assert_eq!(c.into_inner(), 3);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> u64 {
        self.value.into_inner()
    }
}

// The bounded counter's logic, written once over a borrowed word:
// `BoundedCounter` owns its word, `shm::SharedBoundedCounter` borrows one inside a
// shared mapping (its `max` lives in the mapping's header). Both call these.

/// [`BoundedCounter::get`] on `value`.
#[inline]
pub(crate) fn get(value: &AtomicU64) -> u64 {
    // Acquire: pairs with the AcqRel CAS of a successful try_add/try_sub (see
    // "Memory ordering" on the type).
    value.load(Ordering::Acquire)
}

/// [`BoundedCounter::try_add`] on `value`, bounded by `max`.
#[inline]
pub(crate) fn try_add(value: &AtomicU64, max: u64, n: u64) -> Result<u64, u64> {
    try_modify(value, |v| v.checked_add(n).filter(|&new| new <= max))
}

/// [`BoundedCounter::try_sub`] on `value`.
#[inline]
pub(crate) fn try_sub(value: &AtomicU64, n: u64) -> Result<u64, u64> {
    try_modify(value, |v| v.checked_sub(n))
}

/// The one compare-and-swap loop: stores `f(current)` if it is `Some`, else
/// reports `current`. `f` only returns values in `0..=max`.
#[inline]
fn try_modify(value: &AtomicU64, f: impl Fn(u64) -> Option<u64>) -> Result<u64, u64> {
    cas_update(
        value,
        // Acquire: pairs with the AcqRel CAS of a successful try_add/try_sub, so
        // an `Err(current)` is as ordered as a `get()`. The CAS re-validates it.
        Ordering::Acquire,
        // AcqRel on success: Release pairs with the Acquire of later
        // try_add/try_sub/get that read the new value; Acquire pairs with the
        // Release of the success that stored `current` (semaphore semantics, see
        // the type).
        Ordering::AcqRel,
        // Acquire on failure: pairs with the same Release; the failure value is
        // the next `current` (no re-read, no stale compare).
        Ordering::Acquire,
        f,
    )
}

impl fmt::Debug for BoundedCounter {
    /// Shows the current value (a snapshot) and the bound.
    ///
    /// ```
    /// let c = racefree::BoundedCounter::new(3, 10);
    /// assert_eq!(format!("{c:?}"), "BoundedCounter { value: 3, max: 10 }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedCounter")
            .field("value", &self.get())
            .field("max", &self.max)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn new_and_accessors() {
        let c = BoundedCounter::new(3, 10);
        assert_eq!(c.get(), 3);
        assert_eq!(c.max(), 10);
        assert!(BoundedCounter::is_lock_free());
        assert_eq!(
            std::format!("{c:?}"),
            "BoundedCounter { value: 3, max: 10 }"
        );
        assert_eq!(c.into_inner(), 3);
    }

    #[test]
    #[should_panic(expected = "racefree::BoundedCounter::new: initial value is greater than max")]
    fn new_rejects_initial_above_max() {
        let _ = BoundedCounter::new(11, 10);
    }

    #[test]
    fn try_new() {
        assert!(BoundedCounter::try_new(11, 10).is_none());
        assert!(BoundedCounter::try_new(u64::MAX, u64::MAX - 1).is_none());
        assert_eq!(BoundedCounter::try_new(10, 10).map(|c| c.get()), Some(10));
        assert_eq!(BoundedCounter::try_new(0, 0).map(|c| c.max()), Some(0));
        assert_eq!(
            BoundedCounter::try_new(u64::MAX, u64::MAX).map(|c| c.get()),
            Some(u64::MAX)
        );
    }

    #[test]
    fn const_in_static() {
        static C: BoundedCounter = BoundedCounter::new(0, 2);
        const _: () = assert!(BoundedCounter::try_new(3, 2).is_none());
        assert_eq!(C.try_add(2), Ok(0));
        assert_eq!(C.try_add(1), Err(2));
    }

    /// Both bounds are inclusive: up to `max` exactly, then back down to 0.
    #[test]
    fn reaches_each_bound_exactly() {
        let c = BoundedCounter::new(0, 10);
        assert_eq!(c.try_add(10), Ok(0));
        assert_eq!(c.try_add(1), Err(10));
        assert_eq!(c.get(), 10);
        assert_eq!(c.try_sub(11), Err(10));
        assert_eq!(c.try_sub(10), Ok(10));
        assert_eq!(c.try_sub(1), Err(0));
        assert_eq!(c.get(), 0);
    }

    #[test]
    fn zero_n_always_succeeds() {
        let c = BoundedCounter::new(0, 0);
        assert_eq!(c.try_add(0), Ok(0));
        assert_eq!(c.try_sub(0), Ok(0));
        let c = BoundedCounter::new(u64::MAX, u64::MAX);
        assert_eq!(c.try_add(0), Ok(u64::MAX));
        assert_eq!(c.try_sub(0), Ok(u64::MAX));
    }

    #[test]
    fn zero_bound_refuses_everything_else() {
        let c = BoundedCounter::new(0, 0);
        assert_eq!(c.try_add(1), Err(0));
        assert_eq!(c.try_sub(1), Err(0));
        assert_eq!(c.try_add(u64::MAX), Err(0));
    }

    #[test]
    fn u64_overflow_is_refused_not_wrapped() {
        let c = BoundedCounter::new(u64::MAX - 1, u64::MAX);
        assert_eq!(c.try_add(2), Err(u64::MAX - 1));
        assert_eq!(c.try_add(u64::MAX), Err(u64::MAX - 1));
        assert_eq!(c.try_add(1), Ok(u64::MAX - 1));
        assert_eq!(c.try_sub(u64::MAX), Ok(u64::MAX));
        assert_eq!(c.get(), 0);
    }

    #[test]
    fn failed_call_changes_nothing() {
        let c = BoundedCounter::new(5, 7);
        for n in [3, 100, u64::MAX] {
            assert_eq!(c.try_add(n), Err(5));
        }
        for n in [6, u64::MAX] {
            assert_eq!(c.try_sub(n), Err(5));
        }
        assert_eq!(c.get(), 5);
    }
}
