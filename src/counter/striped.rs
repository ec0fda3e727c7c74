//! [`StripedCounter`]: a LongAdder-style counter that spreads contention over
//! cache-padded cells.

use alloc::boxed::Box;
use core::fmt;

use crate::sync::{AtomicU64, CachePadded, Ordering};

/// A statistics counter for very hot paths: each thread adds to one of several
/// cache-padded cells, and [`sum`](Self::sum) adds the cells up.
///
/// A plain [`Counter`](crate::Counter) is one cache line that every core fights
/// over; under heavy contention each increment waits for the line to travel.
/// Here threads are spread round-robin over `cells()` lines (a power of two), so
/// increments from different threads rarely touch the same line. The price: reading
/// the total costs one load per cell, and there is no "previous value" (use
/// [`Counter`](crate::Counter) for IDs).
///
/// * `sum()` is **exact when no thread is adding** (for example after joining the
///   adders). While others add, it returns a value between the total before the
///   call and the total after it (for increments only).
/// * [`reset`](Self::reset) drains every cell and returns what it drained, so no
///   increment is ever lost or counted twice: the sum of all `reset()` results plus
///   the final `sum()` equals the number of increments, even with concurrent adders.
/// * Arithmetic wraps modulo 2^64 (cells and sum alike): no overflow panic on this
///   hot path.
///
/// # Memory ordering
///
/// Every operation is `Relaxed`: a statistics counter publishes no other memory.
/// Exactness after `join` comes from the join's happens-before edge.
///
/// # Example
///
/// ```
/// use racefree::StripedCounter;
/// use std::thread;
///
/// let hits = StripedCounter::new();
/// thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 hits.increment();
///             }
///         });
///     }
/// });
/// assert_eq!(hits.sum(), 4000); // exact: every adder has been joined
/// ```
pub struct StripedCounter {
    /// `cells.len()` is a power of two, at least 1.
    cells: Box<[CachePadded<AtomicU64>]>,
}

static_assertions::assert_impl_all!(StripedCounter: Send, Sync);
// One cell per 128-byte line pair: x86_64 prefetches lines in pairs and some
// aarch64 cores have 128-byte lines.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static_assertions::const_assert_eq!(core::mem::align_of::<CachePadded<AtomicU64>>(), 128);

/// Cell count of [`StripedCounter::new`] without `std` (no way to ask for the
/// number of CPUs).
#[cfg(not(feature = "std"))]
const NO_STD_DEFAULT_CELLS: usize = 8;

impl StripedCounter {
    /// The largest cell count [`with_cells`](Self::with_cells) accepts.
    ///
    /// ```
    /// assert_eq!(racefree::StripedCounter::MAX_CELLS, 4096);
    /// ```
    pub const MAX_CELLS: usize = 4096;

    /// Creates a counter at zero with a cell count suited to this machine: under
    /// `std`, the next power of two of twice
    /// [`available_parallelism`](std::thread::available_parallelism), between 4
    /// and 256; without `std`, 8.
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::StripedCounter;
    ///
    /// let c = StripedCounter::new();
    /// assert!(c.cells().is_power_of_two());
    /// assert_eq!(c.sum(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_cells(default_cells())
    }

    /// Creates a counter at zero with `cells` cells, rounded up to a power of two.
    ///
    /// # Panics
    ///
    /// Panics with "racefree::StripedCounter::with_cells: ..." if `cells` is 0 or
    /// greater than [`MAX_CELLS`](Self::MAX_CELLS).
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::StripedCounter;
    ///
    /// assert_eq!(StripedCounter::with_cells(4).cells(), 4);
    /// assert_eq!(StripedCounter::with_cells(5).cells(), 8);
    /// assert_eq!(StripedCounter::with_cells(1).cells(), 1);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_cells(cells: usize) -> Self {
        assert!(
            cells != 0,
            "racefree::StripedCounter::with_cells: the number of cells must be at least 1"
        );
        assert!(
            cells <= Self::MAX_CELLS,
            "racefree::StripedCounter::with_cells: {cells} cells is more than MAX_CELLS ({})",
            Self::MAX_CELLS
        );
        let cells = (0..cells.next_power_of_two())
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect();
        Self { cells }
    }

    /// The number of cells (a power of two).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(racefree::StripedCounter::with_cells(16).cells(), 16);
    /// ```
    #[inline]
    #[must_use]
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    /// Adds one (on this thread's cell).
    ///
    /// # Example
    ///
    /// ```
    /// let c = racefree::StripedCounter::new();
    /// c.increment();
    /// c.increment();
    /// assert_eq!(c.sum(), 2);
    /// ```
    #[inline]
    pub fn increment(&self) {
        self.add(1);
    }

    /// Adds `n` (on this thread's cell), wrapping modulo 2^64: one `fetch_add`.
    ///
    /// # Example
    ///
    /// ```
    /// let bytes = racefree::StripedCounter::new();
    /// bytes.add(1500);
    /// bytes.add(40);
    /// assert_eq!(bytes.sum(), 1540);
    /// ```
    #[inline]
    pub fn add(&self, n: u64) {
        // Relaxed: pairs with no load; a statistics counter publishes no memory, and
        // RMWs on one cell are totally ordered, so no add is lost (see the type).
        self.cell().fetch_add(n, Ordering::Relaxed);
    }

    /// The total of all cells, wrapping modulo 2^64.
    ///
    /// Exact when no thread is adding; during concurrent increments it lies between
    /// the totals before and after the call.
    ///
    /// # Example
    ///
    /// ```
    /// let c = racefree::StripedCounter::with_cells(4);
    /// c.add(u64::MAX);
    /// c.add(2);
    /// assert_eq!(c.sum(), 1); // wraps modulo 2^64
    /// ```
    #[must_use]
    pub fn sum(&self) -> u64 {
        self.cells.iter().fold(0u64, |total, cell| {
            // Relaxed: pairs with no store; exactness comes from the caller's own
            // happens-before edge with the adders (join, lock), see the type.
            total.wrapping_add(cell.load(Ordering::Relaxed))
        })
    }

    /// Sets the counter to zero and returns the total it held, one atomic `swap(0)`
    /// per cell.
    ///
    /// Each concurrent increment lands either before the swap of its cell (and is
    /// in this result) or after it (and stays for the next `reset()` or `sum()`):
    /// it is never lost and never counted twice. Wraps modulo 2^64 like
    /// [`sum`](Self::sum).
    ///
    /// # Example
    ///
    /// ```
    /// use racefree::StripedCounter;
    ///
    /// let per_second = StripedCounter::new();
    /// per_second.add(42);
    /// assert_eq!(per_second.reset(), 42); // this interval's count
    /// per_second.add(7);
    /// assert_eq!(per_second.reset(), 7); // the next interval's
    /// assert_eq!(per_second.sum(), 0);
    /// ```
    pub fn reset(&self) -> u64 {
        self.cells.iter().fold(0u64, |total, cell| {
            // Relaxed: pairs with no store; the swap is one RMW in the cell's
            // modification order, which is what makes every add counted once.
            total.wrapping_add(cell.swap(0, Ordering::Relaxed))
        })
    }

    /// Whether the operations are lock-free on this target (always `true` where
    /// the type exists: it is only compiled where 64-bit atomics are native).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(racefree::StripedCounter::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        crate::sync::U64_IS_LOCK_FREE
    }

    /// This thread's cell.
    #[inline]
    fn cell(&self) -> &AtomicU64 {
        // `cells.len()` is a power of two, so the mask keeps the index in range.
        let mask = self.cells.len() - 1;
        &self.cells[thread_index() & mask]
    }
}

impl Default for StripedCounter {
    /// Same as [`StripedCounter::new`].
    ///
    /// ```
    /// assert_eq!(racefree::StripedCounter::default().sum(), 0);
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for StripedCounter {
    /// Shows the current sum (a snapshot) and the cell count.
    ///
    /// ```
    /// let c = racefree::StripedCounter::with_cells(2);
    /// c.add(3);
    /// assert_eq!(format!("{c:?}"), "StripedCounter { sum: 3, cells: 2 }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripedCounter")
            .field("sum", &self.sum())
            .field("cells", &self.cells())
            .finish()
    }
}

/// Default cell count: twice the parallelism, as a power of two in `4..=256`.
#[cfg(feature = "std")]
fn default_cells() -> usize {
    let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
    parallelism
        .saturating_mul(2)
        .clamp(4, 256)
        .next_power_of_two()
}

#[cfg(not(feature = "std"))]
fn default_cells() -> usize {
    NO_STD_DEFAULT_CELLS
}

/// The cell a thread adds to: its round-robin ticket (`sync::thread_ticket`), so
/// threads spread evenly over the cells of every counter; a stack hash where
/// there is none (without `std`, or while thread-locals are destroyed: any cell
/// is correct).
#[inline]
fn thread_index() -> usize {
    #[cfg(feature = "std")]
    if let Some(ticket) = crate::sync::thread_ticket() {
        return ticket;
    }
    stack_hash()
}

/// A hash of an address on the current stack. Threads' stacks are disjoint, so
/// threads tend to land on different cells; within a thread the cell may change
/// with call depth, which costs a cache line, never correctness.
#[inline]
fn stack_hash() -> usize {
    let probe = 0u8;
    // Only the address's value is used, never turned back into a pointer.
    let addr = core::ptr::addr_of!(probe) as usize as u64;
    // Drop the bits that vary with call depth inside a frame; Fibonacci hashing
    // mixes the rest into the high half, which is what we keep.
    ((addr >> 8).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sums() {
        let c = StripedCounter::with_cells(4);
        assert_eq!(c.sum(), 0);
        c.increment();
        c.add(10);
        c.add(0);
        assert_eq!(c.sum(), 11);
        assert_eq!(
            std::format!("{c:?}"),
            "StripedCounter { sum: 11, cells: 4 }"
        );
    }

    #[test]
    fn cells_round_up_to_power_of_two() {
        for (asked, got) in [(1, 1), (2, 2), (3, 4), (5, 8), (64, 64), (65, 128)] {
            assert_eq!(StripedCounter::with_cells(asked).cells(), got);
        }
        let max = StripedCounter::with_cells(StripedCounter::MAX_CELLS);
        assert_eq!(max.cells(), StripedCounter::MAX_CELLS);
        max.increment();
        assert_eq!(max.sum(), 1);
    }

    #[test]
    #[should_panic(
        expected = "racefree::StripedCounter::with_cells: the number of cells must be at least 1"
    )]
    fn zero_cells_panics() {
        let _ = StripedCounter::with_cells(0);
    }

    #[test]
    #[should_panic(
        expected = "racefree::StripedCounter::with_cells: 4097 cells is more than MAX_CELLS (4096)"
    )]
    fn too_many_cells_panics() {
        let _ = StripedCounter::with_cells(StripedCounter::MAX_CELLS + 1);
    }

    #[test]
    fn default_cell_count_is_sane() {
        let c = StripedCounter::new();
        assert!(c.cells().is_power_of_two());
        assert!((4..=256).contains(&c.cells()));
        assert_eq!(StripedCounter::default().cells(), c.cells());
        assert!(StripedCounter::is_lock_free());
    }

    #[test]
    fn sum_and_reset_wrap_modulo_2_64() {
        let c = StripedCounter::with_cells(1);
        c.add(u64::MAX);
        c.add(5);
        assert_eq!(c.sum(), 4);
        assert_eq!(c.reset(), 4);
        assert_eq!(c.sum(), 0);
    }

    #[test]
    fn reset_drains_every_cell() {
        let c = StripedCounter::with_cells(8);
        // Put something in every cell directly, as eight threads would.
        for (i, cell) in c.cells.iter().enumerate() {
            cell.fetch_add(i as u64 + 1, Ordering::Relaxed);
        }
        assert_eq!(c.sum(), 36);
        assert_eq!(c.reset(), 36);
        assert_eq!(c.sum(), 0);
        assert_eq!(c.reset(), 0);
    }

    // Without `std` the index is a stack hash: stable at one call depth, and
    // distinct between threads only with high probability.
    #[cfg(feature = "std")]
    #[test]
    fn thread_index_is_stable_and_distinct_between_threads() {
        let here = thread_index();
        assert_eq!(thread_index(), here);
        let there = std::thread::spawn(thread_index).join().unwrap();
        assert_ne!(here, there);
    }

    #[test]
    fn increment_from_a_thread_local_destructor() {
        use std::sync::Arc;

        struct OnExit(Arc<StripedCounter>);
        impl Drop for OnExit {
            fn drop(&mut self) {
                self.0.increment();
            }
        }
        std::thread_local! {
            static ON_EXIT: core::cell::RefCell<Option<OnExit>> =
                const { core::cell::RefCell::new(None) };
        }
        let c = Arc::new(StripedCounter::with_cells(4));
        let c2 = Arc::clone(&c);
        std::thread::spawn(move || {
            c2.increment();
            ON_EXIT.with(|slot| *slot.borrow_mut() = Some(OnExit(c2)));
        })
        .join()
        .unwrap();
        assert_eq!(c.sum(), 2);
        // The no-std cell choice also stays in range of any mask.
        assert!(stack_hash() & (c.cells() - 1) < c.cells());
    }
}
