//! How a blocking wait sleeps (`wait` feature): the calling thread's waker, a
//! short spin for a wakeup that comes soon, then `park`.
//!
//! A seat that is held for a short time is handed from thread to thread faster
//! than a futex sleep and wake-up take (several microseconds): a waiter that
//! spins a little before it parks is usually woken while it spins, and both
//! system calls are saved. std's `Mutex` spins before it sleeps for the same
//! reason. The spin is bounded, and it only decides *when* to poll again:
//! whether a wakeup is lost rests on the park token, as without it.
#![forbid(unsafe_code)]

use alloc::sync::Arc;
use core::task::Waker;
use std::task::Wake;

use crate::sync::{current_thread, park, Thread};
#[cfg(not(loom))]
use crate::sync::{park_timeout, spin_hint, AtomicBool, Ordering};

/// How many times a waiter checks for its wakeup before it parks: about a
/// microsecond, std's `Mutex` spin.
#[cfg(not(loom))]
const SPINS: u32 = 100;

/// The waker of a blocking wait: unparks its thread, and first raises `woken`,
/// so that a thread still spinning sees the wakeup without parking.
struct ThreadWaker {
    thread: Thread,
    #[cfg(not(loom))]
    woken: AtomicBool,
}

impl ThreadWaker {
    fn current() -> Arc<Self> {
        Arc::new(Self {
            thread: current_thread(),
            #[cfg(not(loom))]
            woken: AtomicBool::new(false),
        })
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Relaxed: only a hint to poll again; the poll takes the queue's lock,
        // which orders everything it reads, and a parked thread relies on the
        // park token that `unpark` leaves (see the module docs).
        #[cfg(not(loom))]
        self.woken.store(true, Ordering::Relaxed);
        self.thread.unpark();
    }
}

/// The calling thread's parking for one blocking wait.
pub(super) struct Parker(Arc<ThreadWaker>);

impl Parker {
    /// This thread's parker: one per thread, reused by every wait (no
    /// allocation per wait), except under loom, whose threads are modelled.
    pub(super) fn current() -> Self {
        #[cfg(not(loom))]
        {
            std::thread_local! {
                static THIS: Arc<ThreadWaker> = ThreadWaker::current();
            }
            // While the thread's locals are destroyed: a fresh one.
            if let Ok(this) = THIS.try_with(Arc::clone) {
                return Self(this);
            }
        }
        Self(ThreadWaker::current())
    }

    /// The waker that ends this thread's park.
    pub(super) fn waker(&self) -> Waker {
        Waker::from(Arc::clone(&self.0))
    }

    /// Returns once woken (or spuriously, which costs the caller a poll).
    pub(super) fn park(&self) {
        if !self.woken_while_spinning() {
            park();
        }
    }

    /// As [`park`](Self::park), for at most `timeout`.
    #[cfg(not(loom))]
    pub(super) fn park_timeout(&self, timeout: std::time::Duration) {
        if !self.woken_while_spinning() {
            park_timeout(timeout);
        }
    }

    /// Spins up to [`SPINS`] times for a wakeup; whether one came (it is taken:
    /// a later wakeup raises the flag again). A flag left from an earlier wait
    /// only makes the caller poll once more.
    #[cfg(not(loom))]
    fn woken_while_spinning(&self) -> bool {
        for _ in 0..SPINS {
            // Relaxed: see `wake_by_ref`. Read before the swap, so that the
            // spin does not take the flag's cache line from the waker.
            if self.0.woken.load(Ordering::Relaxed) && self.0.woken.swap(false, Ordering::Relaxed) {
                return true;
            }
            spin_hint();
        }
        false
    }

    /// Under loom, no spin: the models explore park and unpark themselves.
    #[cfg(loom)]
    fn woken_while_spinning(&self) -> bool {
        false
    }
}
