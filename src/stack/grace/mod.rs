//! Grace periods: when a node that a stale pop may still be reading can be freed.
//!
//! A pop reads the top node's `next` before its CAS proves the node is still on
//! top (see `stack::tagged`). `TreiberStack` keeps that read valid by never freeing
//! a node while the stack is shared; [`TreiberStack::trim`] frees recycled nodes
//! anyway, after a grace period:
//!
//! - Every read of a list (the `pop_list` of `push` and `pop`) runs inside a
//!   read section ([`read`]): the thread's slot `seq` is odd from before the head
//!   is loaded until after the last `next` is read.
//! - The trimmer first unlinks the nodes (so no read section that starts later
//!   can reach them), then calls [`wait_for_readers`]: it waits until every slot
//!   whose `seq` was odd has moved on. Any read section that may hold one of the
//!   nodes began before the unlink, so it was open then, and has now ended.
//!
//! # Why a section that begins later cannot reach an unlinked node
//!
//! With RMW announcements (the portable path, loom and miri): the reader's
//! `swap` of its `seq` and the trimmer's `fetch_add(0)` of it are RMWs of one
//! location, so one reads the other's value. If the trimmer reads the reader's
//! odd `seq`, it waits for the section's end, whose Release store it then
//! acquires. Otherwise the reader's RMW came later and acquired the trimmer's,
//! which the unlink precedes: the section's loads of the head see the unlink.
//!
//! With plain announcements (Linux, [`barrier`]): the trimmer's membarrier runs
//! a full barrier on every thread of the process, which splits each reader's
//! section into before it (its odd `seq` is visible to the trimmer's scan) or
//! after it (its loads see the unlink).
//!
//! # Cost on the hot path
//!
//! On Linux: a thread-local read, a load and two plain stores on the thread's
//! own cache line per push and per pop. Elsewhere the opening store is an RMW on
//! that line.
//!
//! [`TreiberStack::trim`]: super::TreiberStack::trim

mod barrier;
mod registry;

use crate::sync::{compiler_fence, spin_hint, yield_now, Ordering};

/// Runs `f`, which reads a list, inside a read section of this thread (see the
/// module docs): nodes that `f` reaches stay allocated until it returns.
#[inline]
pub(crate) fn read<R>(f: impl FnOnce() -> R) -> R {
    match registry::held() {
        Some(slot) => read_in(slot, f),
        None => read_cold(f),
    }
}

/// [`read`] on this thread's first section, or after its slot was given back.
#[cold]
#[inline(never)]
fn read_cold<R>(f: impl FnOnce() -> R) -> R {
    match registry::take() {
        registry::Taken::Held(slot) => read_in(slot, f),
        registry::Taken::Borrowed(slot) => {
            #[cfg(all(test, not(loom)))]
            tests::BORROWED.store(true, Ordering::Relaxed);
            let result = read_in(slot, f);
            registry::release(slot);
            result
        }
    }
}

/// Runs `f` inside a read section announced in `slot`, which this thread holds.
#[inline(always)]
fn read_in<R>(slot: &registry::Slot, f: impl FnOnce() -> R) -> R {
    // Relaxed: only this thread writes its slot's `seq` (a reused slot's last value
    // came with the Acquire CAS that took it).
    let seq = slot.seq.load(Ordering::Relaxed).wrapping_add(1);
    if barrier::PLAIN_ANNOUNCEMENTS {
        // Relaxed: ordered before this section's loads by the trimmer's membarrier
        // (`barrier::heavy`), which pairs with it; the compiler fence keeps the
        // compiler from sinking it below them.
        slot.seq.store(seq, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
    } else {
        // AcqRel: pairs with the `fetch_add(0)` in `wait_for_readers` (module docs).
        slot.seq.swap(seq, Ordering::AcqRel);
    }
    let _open = Open { slot, seq };
    f()
}

/// Closes a read section when dropped, also if `f` unwinds (a section left open
/// would make every later grace period give up).
struct Open<'a> {
    slot: &'a registry::Slot,
    /// This section's (odd) `seq`.
    seq: usize,
}

impl Drop for Open<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let closed = self.seq.wrapping_add(1);
        // Release: pairs with the AcqRel `fetch_add(0)` in `wait_for_readers`:
        // every read of this section happens before the trimmer frees.
        #[cfg(not(loom))]
        self.slot.seq.store(closed, Ordering::Release);
        // Loom orders a store and another thread's RMWs only partially, so its
        // trimmer could re-read the open value forever (it models no fairness). A
        // swap keeps every write to `seq` an RMW, which loom orders totally; it
        // synchronises exactly as the Release store does.
        #[cfg(loom)]
        self.slot.seq.swap(closed, Ordering::Release);
    }
}

/// Spins before a waiting trimmer starts yielding its time slice.
const SPINS: u32 = 64;
/// Yields after which a trimmer gives up on a section that is still open: its
/// thread is preempted for long, or gone (a `fork` child keeps the slots of
/// threads that were inside a section in the parent). Loom explores every yield,
/// so there the bound is small.
const YIELDS: u32 = if cfg!(loom) { 2 } else { 1_000 };

/// Returns `true` once every read section that was open at the call has closed.
/// Returns `false` if that cannot be proven: the membarrier call failed, or a
/// section stayed open through the whole wait (a few instructions long, unless
/// its thread is preempted). Call it after unlinking what is to be freed; free
/// only on `true`. Never makes a reader wait.
pub(crate) fn wait_for_readers() -> bool {
    if !barrier::heavy() {
        return false;
    }
    registry::all(|slot| {
        // AcqRel RMW: pairs with the reader's RMW announcement and its Release close
        // (module docs); `+ 0` leaves the value as it is.
        let seen = slot.seq.fetch_add(0, Ordering::AcqRel);
        if seen % 2 == 0 {
            return true;
        }
        for waited in 0..SPINS + YIELDS {
            if waited < SPINS {
                spin_hint();
            } else {
                yield_now();
            }
            // AcqRel: as above; any change means the open section has closed.
            if slot.seq.fetch_add(0, Ordering::AcqRel) != seen {
                return true;
            }
        }
        false
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::{expecting_grace_periods, holding_a_section_open};
    use super::*;
    use std::boxed::Box;
    use std::sync::atomic::AtomicBool;

    /// Set when a section ran on a borrowed slot.
    pub(super) static BORROWED: AtomicBool = AtomicBool::new(false);

    /// This thread's slot after a section.
    fn this_threads_slot() -> usize {
        read(|| ());
        let slot: *const registry::Slot = registry::held().expect("a slot is held");
        slot as usize
    }

    #[test]
    fn threads_reuse_their_slots() {
        // Each thread takes a slot on its first section and gives it back on exit,
        // so threads that run one after another share a few slots. (Other tests'
        // threads may take a released slot first, but not every time.)
        let slots: std::collections::HashSet<usize> = (0..20)
            .map(|_| std::thread::spawn(this_threads_slot).join().unwrap())
            .collect();
        assert!(slots.len() < 20, "20 threads in turn took 20 slots");
    }

    #[test]
    fn a_section_may_open_in_a_thread_local_destructor() {
        let _grace = expecting_grace_periods();
        struct Late;
        impl Drop for Late {
            fn drop(&mut self) {
                // If this thread's own slot is already given back, one is borrowed.
                read(|| ());
                assert!(wait_for_readers());
            }
        }
        std::thread_local!(static LATE: Late = const { Late });
        // Thread-local destructors run in an order of their registration: one of
        // these two threads drops `Late` after its slot's owner.
        for late_first in [true, false] {
            std::thread::spawn(move || {
                if late_first {
                    LATE.with(|_| ());
                }
                read(|| ());
                LATE.with(|_| ());
            })
            .join()
            .unwrap();
        }
        assert!(
            BORROWED.load(Ordering::Relaxed),
            "no section opened after its slot was given back"
        );
    }

    #[test]
    fn wait_returns_while_this_thread_reads_nothing() {
        let _grace = expecting_grace_periods();
        read(|| ());
        assert!(wait_for_readers());
    }

    #[test]
    fn a_section_is_closed_when_its_read_unwinds() {
        let _grace = expecting_grace_periods();
        let unwound = std::panic::catch_unwind(|| read(|| std::panic::resume_unwind(Box::new(()))));
        assert!(unwound.is_err());
        assert!(wait_for_readers(), "the unwound section was left open");
    }

    #[test]
    fn wait_gives_up_on_a_section_that_stays_open() {
        let _open = holding_a_section_open();
        let (opened, close) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|sc| {
            sc.spawn(|| {
                read(|| {
                    opened.wait();
                    close.wait();
                });
            });
            opened.wait();
            assert!(!wait_for_readers(), "a section is open on the other thread");
            close.wait();
        });
        assert!(wait_for_readers());
    }
}
