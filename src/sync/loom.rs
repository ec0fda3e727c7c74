//! The loom world: modelled atomics, cell and thread-locals. See the
//! [seam's docs](super).
#![forbid(unsafe_code)]

pub(crate) use loom::cell::UnsafeCell;
/// Fences, for the shared-memory pool's recovery protocol (its loom model).
#[cfg(feature = "shm")]
pub(crate) use loom::sync::atomic::fence;
#[cfg(racefree_double_word_cas)]
pub(crate) use loom::sync::atomic::AtomicPtr;
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize};

#[cfg(racefree_double_word_cas)]
use super::DoubleWord;

/// Loom models every atomic as lock-free.
pub(crate) const WORD_IS_LOCK_FREE: bool = true;
/// Loom models every atomic as lock-free.
pub(crate) const U64_IS_LOCK_FREE: bool = true;

/// Loom models every atomic as lock-free.
#[cfg(racefree_double_word_cas)]
pub(crate) fn double_word_is_lock_free() -> bool {
    true
}

/// A scheduling point: loom must see every spin loop yield, or it explores it
/// forever.
pub(crate) fn spin_hint() {
    loom::thread::yield_now();
}

/// A long wait: a scheduling point, as in loom every wait must be.
#[cfg(feature = "std")]
pub(crate) fn yield_now() {
    loom::thread::yield_now();
}

/// Backoff as a scheduling point.
pub(crate) struct Backoff;

impl Backoff {
    pub(crate) fn new() -> Self {
        Self
    }

    pub(crate) fn spin(&self) {
        loom::thread::yield_now();
    }
}

/// The per-thread ticket, with loom's per-execution statics and thread-locals.
#[cfg(feature = "std")]
pub(crate) fn thread_ticket() -> Option<usize> {
    loom::lazy_static! {
        static ref NEXT: AtomicUsize = AtomicUsize::new(0);
    }
    loom::thread_local! {
        // Relaxed: pairs with no store; only the uniqueness of the ticket matters.
        static TICKET: usize = NEXT.fetch_add(1, super::Ordering::Relaxed);
    }
    Some(TICKET.with(|&t| t))
}

/// Loom has no 128-bit atomic: a modelled mutex around the value. Every
/// operation is a loom scheduling point, and it is at least as strong as the
/// real CAS, so the model checks the algorithm around the head.
#[cfg(racefree_double_word_cas)]
#[derive(Debug)]
pub(crate) struct AtomicDoubleWord(loom::sync::Mutex<DoubleWord>);

#[cfg(racefree_double_word_cas)]
impl AtomicDoubleWord {
    pub(crate) fn new(v: DoubleWord) -> Self {
        Self(loom::sync::Mutex::new(v))
    }

    pub(crate) fn load(&self, _: super::Ordering) -> DoubleWord {
        *self.0.lock().unwrap()
    }

    pub(crate) fn compare_exchange_weak(
        &self,
        current: DoubleWord,
        new: DoubleWord,
        _: super::Ordering,
        _: super::Ordering,
    ) -> Result<DoubleWord, DoubleWord> {
        let mut v = self.0.lock().unwrap();
        if *v == current {
            *v = new;
            Ok(current)
        } else {
            Err(*v)
        }
    }
}

/// The wait queue's lock and the blocking waiters' parking (`wait` feature),
/// modelled: loom explores every interleaving of lock, park and unpark. Loom has
/// no clock, so no `park_timeout`: a timed wait parks on a `LoomTimer` instead
/// (see `seats::wait`), which the model's timer thread fires.
#[cfg(feature = "wait")]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(feature = "wait")]
pub(crate) use loom::thread::{current as current_thread, park, Thread};
