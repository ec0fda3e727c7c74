//! The native world: portable-atomic's atomics, crossbeam-utils' backoff, `core`'s
//! cell. See the [seam's docs](super).
#![forbid(unsafe_code)]

/// Fences, for the shared-memory pool's seqlock-style recovery read (the one
/// user; the shm module is not compiled under loom).
#[cfg(feature = "shm")]
pub(crate) use portable_atomic::fence;
/// A blocking waiter's "woken" flag (`wait` feature; not modelled under loom).
#[cfg(feature = "wait")]
pub(crate) use portable_atomic::AtomicBool;
#[cfg(racefree_double_word_cas)]
pub(crate) use portable_atomic::AtomicPtr;
/// Atomic [`DoubleWord`](super::DoubleWord): the head of `TreiberStack`.
#[cfg(all(racefree_double_word_cas, target_pointer_width = "64"))]
pub(crate) use portable_atomic::AtomicU128 as AtomicDoubleWord;
#[cfg(racefree_atomic_64)]
pub(crate) use portable_atomic::AtomicU64;
#[cfg(all(racefree_double_word_cas, target_pointer_width = "32"))]
pub(crate) use portable_atomic::AtomicU64 as AtomicDoubleWord;
pub(crate) use portable_atomic::AtomicUsize;

/// Whether `usize` CAS is lock-free on this target: `false` only where
/// portable-atomic emulates it with a critical section (thumbv6m).
pub(crate) const WORD_IS_LOCK_FREE: bool = AtomicUsize::is_always_lock_free();

/// Whether 64-bit atomics are lock-free: always where they exist (they are
/// compiled only where native; the `fallback` feature never reaches `AtomicU64`).
#[cfg(racefree_atomic_64)]
pub(crate) const U64_IS_LOCK_FREE: bool = AtomicU64::is_always_lock_free();

/// Whether the double-width CAS is lock-free on this CPU: always on aarch64 and
/// on 32-bit targets; on x86_64 when the CPU has `cmpxchg16b` (a run-time check:
/// without it portable-atomic's `fallback` takes a lock, and this says `false`).
#[cfg(racefree_double_word_cas)]
#[inline]
pub(crate) fn double_word_is_lock_free() -> bool {
    AtomicDoubleWord::is_lock_free()
}

/// Spin-loop politeness: a CPU hint.
#[inline]
pub(crate) fn spin_hint() {
    core::hint::spin_loop();
}

/// Exponential backoff for CAS retry loops (crossbeam-utils').
pub(crate) struct Backoff(crossbeam_utils::Backoff);

impl Backoff {
    /// A fresh backoff, at its shortest step.
    #[inline]
    pub(crate) fn new() -> Self {
        Self(crossbeam_utils::Backoff::new())
    }

    /// Backs off after a failed CAS on a hot word (spins only, never yields).
    #[inline]
    pub(crate) fn spin(&self) {
        self.0.spin();
    }
}

/// `core::cell::UnsafeCell` with loom's closure-based API, so that the same code
/// runs under loom's checked cell.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a unique raw pointer to the contents.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Gives the rest of this thread's time slice to others (a long wait).
#[cfg(feature = "std")]
#[inline]
pub(crate) fn yield_now() {
    std::thread::yield_now();
}

/// A number fixed per thread, distinct between threads: a round-robin ticket
/// drawn from a global counter on the thread's first use. Spreads threads over
/// the cells of a striped counter and the words of a seat pool (never one slot
/// per thread, so no cap on threads). `None` while the thread's locals are being
/// destroyed.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn thread_ticket() -> Option<usize> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        // Relaxed: pairs with no store; only the uniqueness of the ticket matters.
        static TICKET: usize = NEXT.fetch_add(1, super::Ordering::Relaxed);
    }
    TICKET.try_with(|&t| t).ok()
}

/// The wait queue's lock and the blocking waiters' parking (`wait` feature):
/// std's, natively; loom's under loom.
#[cfg(feature = "wait")]
pub(crate) use std::sync::{Mutex, MutexGuard};
#[cfg(feature = "wait")]
pub(crate) use std::thread::{current as current_thread, park, park_timeout, Thread};
