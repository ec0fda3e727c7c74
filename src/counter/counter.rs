//! [`Counter`]: a 64-bit counter whose increment is one `fetch_add`.

use core::fmt;

use crate::sync::{AtomicU64, Backoff, Ordering};

/// A 64-bit counter: an ID generator or a running total.
///
/// [`increment`](Self::increment) and [`add`](Self::add) are one atomic
/// `fetch_add` (a single `lock xadd` on x86_64, `ldadd` on aarch64 with LSE) and
/// return the **previous** value, so concurrent callers always get distinct
/// values: the load-then-store race that loses increments ("two increments
/// become one") cannot happen. Conditional changes go through
/// [`update`](Self::update), a compare-and-swap loop.
///
/// # Memory ordering
///
/// Every operation is `Relaxed`: all read-modify-writes of one atomic word are
/// totally ordered (its *modification order*), which is all that exact totals and
/// unique IDs need. A `Counter` does **not** publish other memory: seeing
/// `get() == 10` does not mean you see the writes that the ten incrementing threads
/// made before incrementing. Join the threads, or use a channel or lock, for that.
///
/// # Example
///
/// ```
/// use racefree::Counter;
/// use std::thread;
///
/// static NEXT_ID: Counter = Counter::new(1);
///
/// let ids: Vec<u64> = thread::scope(|s| {
///     let hs: Vec<_> = (0..4).map(|_| s.spawn(|| NEXT_ID.increment())).collect();
///     hs.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// let mut sorted = ids.clone();
/// sorted.sort_unstable();
/// assert_eq!(sorted, [1, 2, 3, 4]); // every ID handed out exactly once
/// assert_eq!(NEXT_ID.get(), 5);
/// ```
pub struct Counter {
    value: AtomicU64,
}

static_assertions::assert_impl_all!(Counter: Send, Sync);

impl Counter {
    crate::const_fn! {
        /// Creates a counter holding `value`. `const`, so it can live in a `static`.
        ///
        /// # Example
        ///
        /// ```
        /// use racefree::Counter;
        ///
        /// static REQUESTS: Counter = Counter::new(0);
        /// assert_eq!(REQUESTS.get(), 0);
        /// ```
        #[must_use]
        pub const fn new(value: u64) -> Self {
            Self {
                value: AtomicU64::new(value),
            }
        }
    }

    /// Returns the current value.
    ///
    /// It may be stale by the time you use it: never decide with `get()` and then
    /// act (that is the check-then-act race); use [`update`](Self::update) or a
    /// [`BoundedCounter`](crate::BoundedCounter).
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let c = Counter::new(7);
    /// c.increment();
    /// assert_eq!(c.get(), 8);
    /// ```
    #[inline]
    #[must_use]
    pub fn get(&self) -> u64 {
        // Relaxed: pairs with no store. The value is the counter's own state, not a
        // flag that publishes other memory (see "Memory ordering" on the type); a
        // Relaxed load still sees the latest value in modification order that this
        // thread is allowed to see, and anything ordered by thread join or a lock.
        self.value.load(Ordering::Relaxed)
    }

    /// Adds one and returns the **previous** value (ID-generator semantics).
    ///
    /// # Panics
    ///
    /// If the counter would pass `u64::MAX`; see [`add`](Self::add). At one
    /// increment per nanosecond that takes about 584 years.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let ids = Counter::new(100);
    /// assert_eq!(ids.increment(), 100);
    /// assert_eq!(ids.increment(), 101);
    /// assert_eq!(ids.get(), 102);
    /// ```
    #[inline]
    #[track_caller]
    pub fn increment(&self) -> u64 {
        self.add(1)
    }

    /// Adds `n` and returns the **previous** value: one `fetch_add`, never a loop.
    ///
    /// `add(0)` returns the current value and changes nothing.
    ///
    /// # Panics
    ///
    /// Panics with "racefree::Counter::add overflowed u64::MAX ..." if the counter
    /// would pass `u64::MAX`. The addition has already happened in hardware when it
    /// is detected, so it is undone with a `fetch_sub(n)` before panicking: the
    /// counter is left as if the failed call never ran. A concurrent call that runs
    /// inside that short window may however have observed, and returned, a wrapped
    /// (small) value. If values near `u64::MAX` are reachable in your program, use
    /// `update(|v| v.checked_add(n))`, which never changes the counter on overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let bytes = Counter::new(0);
    /// assert_eq!(bytes.add(1500), 0);
    /// assert_eq!(bytes.add(500), 1500);
    /// assert_eq!(bytes.get(), 2000);
    ///
    /// // Exact overflow handling: Err(current), nothing changed.
    /// let near = Counter::new(u64::MAX - 1);
    /// assert_eq!(near.update(|v| v.checked_add(5)), Err(u64::MAX - 1));
    /// ```
    #[inline]
    #[track_caller]
    pub fn add(&self, n: u64) -> u64 {
        // Relaxed: pairs with no store; uniqueness of the returned values comes from
        // the single total modification order of this word (see the type's docs).
        let previous = self.value.fetch_add(n, Ordering::Relaxed);
        if previous.checked_add(n).is_none() {
            // Relaxed: undoes the fetch_add just above; modular arithmetic makes the
            // undo exact whatever other adds landed in between.
            self.value.fetch_sub(n, Ordering::Relaxed);
            overflow_panic(previous, n);
        }
        previous
    }

    /// Applies `f` atomically: a compare-and-swap loop, like the standard
    /// `fetch_update`.
    ///
    /// `f` gets the current value and returns `Some(new)` to store `new`, or `None`
    /// to leave the counter alone. Returns `Ok(previous)` when `new` was stored, or
    /// `Err(current)` when `f` returned `None` for `current`. `f` may be called
    /// several times when other threads change the counter concurrently, so it
    /// should have no side effects beyond computing the new value.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let high_water = Counter::new(10);
    /// // Raise to 25 only if that is higher: a `fetch_max`.
    /// assert_eq!(high_water.update(|v| (25 > v).then_some(25)), Ok(10));
    /// assert_eq!(high_water.update(|v| (20 > v).then_some(20)), Err(25));
    /// assert_eq!(high_water.get(), 25);
    /// ```
    #[inline]
    pub fn update<F>(&self, mut f: F) -> Result<u64, u64>
    where
        F: FnMut(u64) -> Option<u64>,
    {
        let backoff = Backoff::new();
        // Relaxed: pairs with no store; the CAS below re-validates this value.
        let mut current = self.value.load(Ordering::Relaxed);
        loop {
            let new = match f(current) {
                Some(new) => new,
                None => return Err(current),
            };
            // Relaxed (success and failure): pairs with no store; the counter
            // publishes no other memory. The failure value is reused as the next
            // `current`, so no extra load is needed.
            match self.value.compare_exchange_weak(
                current,
                new,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(previous) => return Ok(previous),
                Err(actual) => {
                    current = actual;
                    backoff.spin();
                }
            }
        }
    }

    /// Whether the operations are lock-free on this target (always `true` where
    /// the type exists: it is only compiled where 64-bit atomics are native).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(racefree::Counter::is_lock_free());
    /// ```
    #[must_use]
    pub fn is_lock_free() -> bool {
        crate::sync::u64_is_lock_free()
    }

    /// Consumes the counter and returns its value.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let c = Counter::new(3);
    /// c.add(4);
    /// assert_eq!(c.into_inner(), 7);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> u64 {
        self.value.into_inner()
    }
}

/// The overflow panic, out of line so the fast path stays one `fetch_add` and a
/// never-taken branch.
#[cold]
#[inline(never)]
#[track_caller]
fn overflow_panic(previous: u64, n: u64) -> ! {
    panic!(
        "racefree::Counter::add overflowed u64::MAX (previous value {previous}, adding {n}); \
         the addition was undone. Use Counter::update(|v| v.checked_add(n)) to handle overflow"
    )
}

impl Default for Counter {
    /// A counter at zero.
    ///
    /// ```
    /// assert_eq!(racefree::Counter::default().get(), 0);
    /// ```
    fn default() -> Self {
        Self::new(0)
    }
}

impl From<u64> for Counter {
    /// A counter holding `value`.
    ///
    /// ```
    /// let c = racefree::Counter::from(9);
    /// assert_eq!(c.get(), 9);
    /// ```
    fn from(value: u64) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Counter {
    /// Shows the current value (a snapshot).
    ///
    /// ```
    /// let c = racefree::Counter::new(5);
    /// assert_eq!(format!("{c:?}"), "Counter(5)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Counter").field(&self.get()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn starts_at_value_and_counts() {
        let c = Counter::new(5);
        assert_eq!(c.get(), 5);
        assert_eq!(c.increment(), 5);
        assert_eq!(c.add(10), 6);
        assert_eq!(c.get(), 16);
        assert_eq!(c.into_inner(), 16);
    }

    #[test]
    fn add_zero_changes_nothing() {
        let c = Counter::new(u64::MAX);
        assert_eq!(c.add(0), u64::MAX);
        assert_eq!(c.get(), u64::MAX);
    }

    #[test]
    fn reaches_max_exactly() {
        let c = Counter::new(u64::MAX - 3);
        assert_eq!(c.add(3), u64::MAX - 3);
        assert_eq!(c.get(), u64::MAX);
        let c = Counter::new(0);
        assert_eq!(c.add(u64::MAX), 0);
        assert_eq!(c.get(), u64::MAX);
    }

    #[test]
    #[should_panic(expected = "racefree::Counter::add overflowed u64::MAX")]
    fn increment_past_max_panics() {
        let c = Counter::new(u64::MAX);
        c.increment();
    }

    #[test]
    #[should_panic(
        expected = "racefree::Counter::add overflowed u64::MAX (previous value 18446744073709551614, adding 5)"
    )]
    fn add_past_max_panics_with_values() {
        Counter::new(u64::MAX - 1).add(5);
    }

    #[test]
    fn overflow_is_undone() {
        let c = Counter::new(u64::MAX - 1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.add(2)));
        assert!(r.is_err());
        assert_eq!(c.get(), u64::MAX - 1);
        // The counter still works afterwards.
        assert_eq!(c.increment(), u64::MAX - 1);
        assert_eq!(c.get(), u64::MAX);
    }

    #[test]
    fn update_ok_and_err() {
        let c = Counter::new(u64::MAX - 1);
        assert_eq!(c.update(|v| v.checked_add(1)), Ok(u64::MAX - 1));
        assert_eq!(c.update(|v| v.checked_add(1)), Err(u64::MAX));
        assert_eq!(c.get(), u64::MAX);
        assert_eq!(c.update(|_| Some(0)), Ok(u64::MAX));
        assert_eq!(c.get(), 0);
        // Storing the same value is a success.
        assert_eq!(c.update(Some), Ok(0));
    }

    #[test]
    fn update_passes_current_value() {
        let c = Counter::new(21);
        let mut seen = 0;
        let r = c.update(|v| {
            seen = v;
            Some(v * 2)
        });
        assert_eq!(r, Ok(21));
        assert_eq!(seen, 21);
        assert_eq!(c.get(), 42);
    }

    #[test]
    fn traits() {
        assert_eq!(Counter::default().get(), 0);
        assert_eq!(Counter::from(42).get(), 42);
        assert_eq!(std::format!("{:?}", Counter::new(3)), "Counter(3)");
        assert!(Counter::is_lock_free());
    }

    #[test]
    fn usable_in_static() {
        static C: Counter = Counter::new(0);
        assert_eq!(C.increment(), 0);
        assert_eq!(C.get(), 1);
    }
}
