//! [`Counter`]: a 64-bit counter whose increment is one `fetch_add`.

use core::fmt;

use crate::sync::{cas_update, AtomicU64, Ordering};

/// A 64-bit counter: an ID generator or a running total.
///
/// [`increment`](Self::increment) and [`add`](Self::add) are one atomic
/// `fetch_add` (a single `lock xadd` on x86_64, `ldadd` on aarch64 with LSE) and
/// return the **previous** value, so concurrent callers always get distinct
/// values: the load-then-store race that loses increments ("two increments
/// become one") cannot happen. Conditional changes go through
/// [`update`](Self::update), a compare-and-swap loop.
///
/// # Usable range: `0..=Counter::MAX`
///
/// The counter holds values up to [`Counter::MAX`] (`2^63 - 1`; at one increment
/// per nanosecond that is 292 years away). An [`add`](Self::add) that would pass
/// it hands out nothing and leaves the counter **exhausted**: every later add fails
/// too, so no interleaving ever returns a value twice. The half of the `u64` range
/// above `MAX` is a guard band, as `Arc` keeps one below its reference-count limit:
/// `add` is one `fetch_add` that cannot be undone atomically, so a call that
/// overshoots leaves the word in the guard band, pulls it back to the band's middle
/// (one `fetch_min`), and the word never wraps back to small values. Wrapping would
/// need more than `2^30` threads to overshoot at once, each adding the maximum of
/// one `fetch_add` (`2^32`; larger amounts take a compare-and-swap loop that never
/// overshoots). [`update`](Self::update) never stores a value above `MAX`, and is
/// how an exhausted counter is reset.
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
    /// The largest value the counter holds: `2^63 - 1`. Values above it are the
    /// guard band of an exhausted counter (see "Usable range" on the type).
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let c = Counter::new(Counter::MAX - 1);
    /// assert_eq!(c.increment(), Counter::MAX - 1);
    /// assert_eq!(c.checked_add(1), None); // would pass MAX: exhausted
    /// assert_eq!(c.checked_add(1), None); // and stays so
    /// ```
    pub const MAX: u64 = (1 << 63) - 1;

    /// Where an overshooting add pulls an exhausted counter back to: the middle of
    /// the guard band, `2^62` above `MAX` and `2^62` below the wrap point.
    pub(crate) const EXHAUSTED: u64 = Self::MAX + (1 << 62);

    /// The largest amount added with one `fetch_add`; larger ones take the
    /// compare-and-swap loop, which never overshoots. With the guard band above
    /// `EXHAUSTED` this bounds how far in-flight overshoots can push the word.
    pub(crate) const FETCH_ADD_LIMIT: u64 = 1 << 32;

    crate::const_fn! {
        /// Creates a counter holding `value`. `const`, so it can live in a `static`.
        ///
        /// # Panics
        ///
        /// If `value` is above [`Counter::MAX`] (in a `static`, a compile-time
        /// error).
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
        #[track_caller]
        pub const fn new(value: u64) -> Self {
            assert!(
                value <= Self::MAX,
                "racefree::Counter::new: value above Counter::MAX (2^63 - 1)"
            );
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
        get(&self.value)
    }

    /// Adds one and returns the **previous** value (ID-generator semantics).
    ///
    /// # Panics
    ///
    /// If the counter would pass [`Counter::MAX`]; see [`add`](Self::add). At one
    /// increment per nanosecond that takes 292 years.
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
    /// Panics with "racefree::Counter::add: the counter would pass Counter::MAX ..."
    /// if the counter would pass [`Counter::MAX`]. The counter is then exhausted:
    /// nothing is handed out, and every later add panics too, until
    /// [`update`](Self::update) stores a new value (see "Usable range" on the type).
    /// [`checked_add`](Self::checked_add) returns `None` instead of panicking.
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
    /// ```
    #[inline]
    #[track_caller]
    pub fn add(&self, n: u64) -> u64 {
        add(&self.value, n, "Counter")
    }

    /// Adds `n` and returns the **previous** value, or `None` if the counter would
    /// pass [`Counter::MAX`]: the [`add`](Self::add) that never panics.
    ///
    /// A `None` hands nothing out and may leave the counter exhausted (every later
    /// add fails too, until [`update`](Self::update) stores a new value). Amounts
    /// up to `2^32` are one `fetch_add`; larger ones a compare-and-swap loop. To
    /// add only while staying in range and never exhaust, use
    /// `update(|v| v.checked_add(n))`.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::Counter;
    ///
    /// let ids = Counter::new(Counter::MAX - 2);
    /// assert_eq!(ids.checked_add(2), Some(Counter::MAX - 2));
    /// assert_eq!(ids.checked_add(1), None);
    /// assert_eq!(ids.checked_add(0), None); // exhausted
    ///
    /// // An exhausted counter is reset through `update`.
    /// assert!(ids.update(|_| Some(0)).is_ok());
    /// assert_eq!(ids.checked_add(1), Some(0));
    /// ```
    #[inline]
    #[must_use = "a None means nothing was handed out"]
    pub fn checked_add(&self, n: u64) -> Option<u64> {
        checked_add(&self.value, n)
    }

    /// Applies `f` atomically: a compare-and-swap loop, like the standard
    /// `fetch_update`.
    ///
    /// `f` gets the current value and returns `Some(new)` to store `new`, or `None`
    /// to leave the counter alone. Returns `Ok(previous)` when `new` was stored, or
    /// `Err(current)` when `f` returned `None` for `current`, or a value above
    /// [`Counter::MAX`], which is never stored. `f` may be called
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
    pub fn update<F>(&self, f: F) -> Result<u64, u64>
    where
        F: FnMut(u64) -> Option<u64>,
    {
        update(&self.value, f)
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
    pub const fn is_lock_free() -> bool {
        crate::sync::U64_IS_LOCK_FREE
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

// The counter's logic, written once over a borrowed word: `Counter` owns its
// word, `shm::SharedCounter` borrows one inside a shared mapping. Both call these.

/// [`Counter::get`] on `value`.
#[inline]
pub(crate) fn get(value: &AtomicU64) -> u64 {
    // Relaxed: pairs with no store. The value is the counter's own state, not a
    // flag that publishes other memory (see "Memory ordering" on the type); a
    // Relaxed load still sees the latest value in modification order that this
    // thread is allowed to see, and anything ordered by thread join or a lock.
    value.load(Ordering::Relaxed)
}

/// [`Counter::add`] on `value`; `ty` names the public type in the panic.
#[inline]
#[track_caller]
pub(crate) fn add(value: &AtomicU64, n: u64, ty: &str) -> u64 {
    match checked_add(value, n) {
        Some(previous) => previous,
        None => exhausted_panic(ty, n),
    }
}

/// [`Counter::checked_add`] on `value`.
#[inline]
pub(crate) fn checked_add(value: &AtomicU64, n: u64) -> Option<u64> {
    if n > Counter::FETCH_ADD_LIMIT {
        return update(value, |v| v.checked_add(n)).ok();
    }
    // Relaxed: pairs with no store; uniqueness of the returned values comes from
    // the single total modification order of this word (see the type's docs).
    let previous = value.fetch_add(n, Ordering::Relaxed);
    // `previous + n <= MAX` without overflow: `n <= FETCH_ADD_LIMIT < MAX`.
    if previous <= Counter::MAX - n {
        Some(previous)
    } else {
        pull_back_into_guard_band(value);
        None
    }
}

/// After an add overshot `MAX`: moves the word back to the middle of the guard
/// band if it is above it, so that overshooting adds can never carry it round
/// to small values. A value the counter was reset to (`update`) is below
/// `EXHAUSTED`, so the `fetch_min` leaves it alone.
#[cold]
#[inline(never)]
fn pull_back_into_guard_band(value: &AtomicU64) {
    // Relaxed: like every operation here, ordered only by this word's
    // modification order; it publishes nothing.
    value.fetch_min(Counter::EXHAUSTED, Ordering::Relaxed);
}

/// [`Counter::update`] on `value`.
#[inline]
pub(crate) fn update(value: &AtomicU64, mut f: impl FnMut(u64) -> Option<u64>) -> Result<u64, u64> {
    // Relaxed (load, success and failure): pairs with no store; the counter
    // publishes no other memory, and the CAS re-validates the loaded value.
    cas_update(
        value,
        Ordering::Relaxed,
        Ordering::Relaxed,
        Ordering::Relaxed,
        |v| f(v).filter(|&new| new <= Counter::MAX),
    )
}

/// The panic of [`Counter::add`] (and of the shared counter's), out of line so
/// the fast path stays one `fetch_add` and a never-taken branch.
#[cold]
#[inline(never)]
#[track_caller]
fn exhausted_panic(ty: &str, n: u64) -> ! {
    panic!(
        "racefree::{ty}::add: the counter would pass Counter::MAX (2^63 - 1) adding {n}; \
         it is exhausted and hands nothing out. Use {ty}::checked_add to get None instead"
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
    /// # Panics
    ///
    /// If `value` is above [`Counter::MAX`], as [`Counter::new`].
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
        let c = Counter::new(Counter::MAX);
        assert_eq!(c.add(0), Counter::MAX);
        assert_eq!(c.get(), Counter::MAX);
    }

    #[test]
    fn reaches_max_exactly() {
        let c = Counter::new(Counter::MAX - 3);
        assert_eq!(c.add(3), Counter::MAX - 3);
        assert_eq!(c.get(), Counter::MAX);
        // Above the fetch_add limit: the compare-and-swap path.
        let c = Counter::new(0);
        assert_eq!(c.add(Counter::MAX), 0);
        assert_eq!(c.get(), Counter::MAX);
    }

    #[test]
    #[should_panic(expected = "racefree::Counter::add: the counter would pass Counter::MAX")]
    fn increment_past_max_panics() {
        let c = Counter::new(Counter::MAX);
        c.increment();
    }

    #[test]
    #[should_panic(
        expected = "racefree::Counter::add: the counter would pass Counter::MAX (2^63 - 1) adding 5"
    )]
    fn add_past_max_panics_with_values() {
        Counter::new(Counter::MAX - 1).add(5);
    }

    #[test]
    #[should_panic(expected = "racefree::Counter::new: value above Counter::MAX")]
    fn new_above_max_panics() {
        let _ = Counter::new(Counter::MAX + 1);
    }

    /// Issue 18, finding 2: once an add overshoots, no later add hands anything
    /// out (0.1 undid the overshoot with a `fetch_sub`, and an add landing in
    /// that window returned a wrapped value and left the counter at 0).
    #[test]
    fn overshoot_exhausts_for_good() {
        let c = Counter::new(Counter::MAX - 1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.add(2)));
        assert!(r.is_err());
        assert!(c.get() > Counter::MAX, "exhausted: in the guard band");
        for n in [0, 1, 7, 1 << 32, (1 << 32) + 1, Counter::MAX, u64::MAX] {
            assert_eq!(c.checked_add(n), None, "adding {n} to an exhausted counter");
        }
        assert!(c.get() > Counter::MAX);
        // `update` never stores above MAX, and resets an exhausted counter.
        assert_eq!(c.update(|v| v.checked_add(1)), Err(c.get()));
        assert!(c.update(|_| Some(5)).is_ok());
        assert_eq!(c.increment(), 5);
    }

    /// The guard band holds against the worst sequential abuse: overshooting adds
    /// of the largest `fetch_add` amount, far more than could ever be in flight.
    #[test]
    fn guard_band_never_wraps() {
        let c = Counter::new(Counter::MAX);
        for _ in 0..100_000 {
            assert_eq!(c.checked_add(Counter::FETCH_ADD_LIMIT), None);
            let v = c.get();
            assert!(v > Counter::MAX && v <= Counter::EXHAUSTED, "{v}");
        }
    }

    #[test]
    fn large_amounts_never_overshoot() {
        let c = Counter::new(10);
        assert_eq!(c.checked_add(Counter::MAX), None);
        assert_eq!(c.get(), 10, "the CAS path refuses without a trace");
        assert_eq!(c.checked_add(u64::MAX), None);
        assert_eq!(c.increment(), 10);
    }

    #[test]
    fn update_ok_and_err() {
        let c = Counter::new(Counter::MAX - 1);
        assert_eq!(c.update(|v| v.checked_add(1)), Ok(Counter::MAX - 1));
        assert_eq!(c.update(|v| v.checked_add(1)), Err(Counter::MAX));
        assert_eq!(c.update(|_| Some(u64::MAX)), Err(Counter::MAX));
        assert_eq!(c.get(), Counter::MAX);
        assert_eq!(c.update(|_| Some(0)), Ok(Counter::MAX));
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
