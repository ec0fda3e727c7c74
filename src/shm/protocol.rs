//! The owner-and-recovery protocol's atomic steps, written once: the
//! shared-memory storage runs them on its mapping, and under loom a model runs
//! them on modelled atomics, racing a recovery pass against live claims and
//! releases (`RUSTFLAGS="--cfg loom" cargo test --release --lib --features shm
//! --target-dir target/loom shm::protocol`).

#![cfg_attr(loom, allow(dead_code))] // under loom only its model uses it

use std::prelude::rust_2021::*;

use crate::seats::raw::Core;
use crate::sync::{fence, AtomicU64, Ordering};

/// Tag of a seat held (unconfirmed) by a process, and of a used process slot.
pub(crate) const HELD: u64 = 1 << 62;
/// Tag of a confirmed seat; the low 62 bits are its ticket's generation.
pub(crate) const CONFIRMED: u64 = 2 << 62;
/// The tag bits.
pub(crate) const TAG: u64 = 3 << 62;

/// One process slot: the process (0 when free) and its window counters.
pub(crate) struct Slot<'a> {
    pub(crate) owner: &'a AtomicU64,
    /// Claims and releases begun.
    pub(crate) enters: &'a AtomicU64,
    /// Claims and releases ended.
    pub(crate) leaves: &'a AtomicU64,
}

/// A claim or release (or a recovery step) begins.
#[inline]
pub(crate) fn enter(slot: &Slot<'_>) {
    slot.enters.fetch_add(1, Ordering::SeqCst);
    // Release: pairs with the Acquire fence in `orphan_pass_once`, so no write of
    // this window can be seen there without this `enters` increment.
    fence(Ordering::Release);
}

/// It ended.
#[inline]
pub(crate) fn leave(slot: &Slot<'_>) {
    slot.leaves.fetch_add(1, Ordering::SeqCst);
}

/// Seat `id`'s bit was just won by process `me`: record it.
#[inline]
pub(crate) fn claimed(owners: &[AtomicU64], id: usize, me: u64) {
    // Release: pairs with the Acquire loads of the owner in recovery.
    owners[id].store(me, Ordering::Release);
}

/// Seat `id`'s bit is about to be cleared by its holder.
#[inline]
pub(crate) fn releasing(owners: &[AtomicU64], id: usize) {
    // Release: pairs with the Acquire loads of the owner in recovery; it comes
    // before the bit's Release `fetch_and`.
    owners[id].store(0, Ordering::Release);
}

/// Booking `generation` of seat `id` is being cancelled (inside the caller's
/// window): takes it in one CAS of the owner word, so that of every route that
/// cancels it (an in-process `Ticket`, any process's `SharedTicket`) exactly
/// one wins and releases the seat; a stale ticket, whose booking was cancelled
/// and maybe made again since, takes nothing.
#[inline]
pub(crate) fn take_booking(owners: &[AtomicU64], id: usize, generation: u64) -> bool {
    if generation & TAG != 0 {
        return false; // not a generation this pool ever drew
    }
    // AcqRel on success: Acquire pairs with the Release store of the confirm
    // (`SharedSeatPool`'s `confirmed` hook); Release orders the clearing before
    // the bit's release. Acquire on failure: pairs with whoever changed it.
    owners[id]
        .compare_exchange(
            CONFIRMED | generation,
            0,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok()
}

/// Pass 1: frees every seat whose recorded holder is dead (`alive` says). Safe
/// at any time: a dead holder writes nothing, a live claimer cannot win a set
/// bit, and the CAS on the owner word lets one recoverer free each seat. `core`
/// is the pool without hooks; each free runs in a window of `mine`.
pub(crate) fn free_dead_holders(
    core: Core<'_>,
    owners: &[AtomicU64],
    alive: &mut dyn FnMut(u64) -> bool,
    mine: &Slot<'_>,
) -> usize {
    let mut freed = 0;
    for (id, owner_word) in owners.iter().enumerate() {
        // Acquire: pairs with the Release store in `claimed`.
        let owner = owner_word.load(Ordering::Acquire);
        if owner & TAG == HELD && !alive(owner) {
            enter(mine);
            // AcqRel on success: Acquire pairs with the holder's `claimed` store;
            // Release orders it before the bit's release below. Acquire on
            // failure: pairs with whoever changed it.
            if owner_word
                .compare_exchange(owner, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                core.release_id(id);
                freed += 1;
            }
            leave(mine);
        }
    }
    freed
}

/// Every slot as `(owner, enters, leaves)`, or `None` if a live process is
/// inside a window.
pub(crate) fn snapshot<'a>(
    slots: &dyn Fn(usize) -> Slot<'a>,
    count: usize,
    alive: &mut dyn FnMut(u64) -> bool,
) -> Option<Vec<(u64, u64, u64)>> {
    let mut all = Vec::with_capacity(count);
    for i in 0..count {
        let slot = slots(i);
        let owner = slot.owner.load(Ordering::SeqCst);
        // Leaves before enters: equal values then mean nobody was inside when
        // `leaves` was read, and nobody entered until `enters` was.
        let leaves = slot.leaves.load(Ordering::SeqCst);
        let enters = slot.enters.load(Ordering::SeqCst);
        if owner != 0 && enters != leaves && alive(owner) {
            return None;
        }
        all.push((owner, enters, leaves));
    }
    Some(all)
}

/// Pass 2, one try (the caller holds the recovery lock): reads the pool
/// between two snapshots of every slot; if no live process was inside a window
/// and none began one, the pool was frozen while it read, so each set bit
/// without an owner is a dead process's orphan and `capacity - set bits -
/// available` units were lost by dead processes. Frees those, each in a window
/// of `mine`, and returns `Some((orphans, units))`; `None` if it found no quiet
/// moment (nothing changed).
pub(crate) fn orphan_pass_once<'a>(
    core: Core<'_>,
    owners: &[AtomicU64],
    slots: &dyn Fn(usize) -> Slot<'a>,
    count: usize,
    alive: &mut dyn FnMut(u64) -> bool,
    mine: &Slot<'_>,
) -> Option<(usize, usize)> {
    let before = snapshot(slots, count, alive)?;
    let available = core.available();
    let mut taken = 0;
    let mut orphans = Vec::new();
    for (id, owner) in owners.iter().enumerate() {
        if core.is_taken(id) {
            taken += 1;
            // Acquire: pairs with the Release stores in `claimed` and `releasing`
            // (and the shared pool's `confirmed`).
            if owner.load(Ordering::Acquire) == 0 {
                orphans.push(id);
            }
        }
    }
    // Acquire: pairs with the Release fence in `enter`: if a read above saw a
    // write made inside a window, the second snapshot sees that window's
    // `enters` increment.
    fence(Ordering::Acquire);
    if snapshot(slots, count, alive).as_ref() != Some(&before) {
        return None;
    }
    for &id in &orphans {
        enter(mine);
        core.release_id(id);
        leave(mine);
    }
    let lost = owners.len().saturating_sub(taken).saturating_sub(available);
    if lost > 0 {
        enter(mine);
        core.restore_units(lost);
        leave(mine);
    }
    Some((orphans.len(), lost))
}

#[cfg(all(test, loom))]
mod loom_model {
    use std::sync::Arc;

    use super::*;
    use crate::seats::raw::{free_admission, free_word, Header, Hooks, Word};
    use crate::seats::words_for;
    use crate::sync::AtomicUsize;

    const CAPACITY: usize = 4;
    /// Slots: 0 the live claimer, 1 the recoverer, 2 the dead process.
    const LIVE: u64 = HELD | 1;
    const RECOVERER: u64 = HELD | 2;
    const DEAD: u64 = HELD | 3;
    /// The generation of the one booking the models confirm.
    const BOOKING: u64 = 7;

    struct Pool {
        admission: AtomicUsize,
        header: Header,
        words: Vec<Word>,
        owners: Vec<AtomicU64>,
        slots: Vec<[AtomicU64; 3]>,
    }

    struct Process<'a> {
        pool: &'a Pool,
        me: u64,
        slot: usize,
    }

    impl Pool {
        fn new() -> Self {
            Self {
                admission: free_admission(CAPACITY),
                header: Header::new(CAPACITY),
                words: (0..words_for(CAPACITY)).map(|_| free_word()).collect(),
                owners: (0..CAPACITY).map(|_| AtomicU64::new(0)).collect(),
                slots: (0..3)
                    .map(|_| [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)])
                    .collect(),
            }
        }

        fn slot(&self, i: usize) -> Slot<'_> {
            Slot {
                owner: &self.slots[i][0],
                enters: &self.slots[i][1],
                leaves: &self.slots[i][2],
            }
        }

        fn raw(&self) -> Core<'_> {
            Core::new(&self.admission, &self.header, &self.words, 1)
        }

        fn process(&self, me: u64, slot: usize) -> Process<'_> {
            self.slots[slot][0].store(me, Ordering::SeqCst);
            Process {
                pool: self,
                me,
                slot,
            }
        }

        /// A recovery pass by the recoverer: pass 1, then one try of pass 2.
        fn recover(&self) -> (usize, Option<(usize, usize)>) {
            let mine = self.slot(1);
            let mut alive = |owner: u64| owner != DEAD;
            let held = free_dead_holders(self.raw(), &self.owners, &mut alive, &mine);
            let slots = |i: usize| self.slot(i);
            let pass2 = orphan_pass_once(self.raw(), &self.owners, &slots, 3, &mut alive, &mine);
            (held, pass2)
        }
    }

    impl Hooks for Process<'_> {
        fn enter(&self) {
            enter(&self.pool.slot(self.slot));
        }
        fn leave(&self) {
            leave(&self.pool.slot(self.slot));
        }
        fn claimed(&self, id: usize) {
            claimed(&self.pool.owners, id, self.me);
        }
        fn releasing(&self, id: usize) {
            releasing(&self.pool.owners, id);
        }
        fn confirmed(&self, id: usize) -> u64 {
            self.pool.owners[id].store(CONFIRMED | BOOKING, Ordering::Release);
            BOOKING
        }
        fn recover_when_full(&self) -> bool {
            false
        }
        fn cancelling(&self, id: usize, booking: u64) -> bool {
            take_booking(&self.pool.owners, id, booking)
        }
    }

    /// The dead process left a held seat and, inside a window it never left,
    /// an orphan (bit won, owner never recorded) and a lost admission unit
    /// (taken, no bit yet).
    fn stage_the_dead(pool: &Pool) -> usize {
        let dead = pool.process(DEAD, 2);
        pool.raw().with_hooks(&dead).try_reserve().unwrap();
        Hooks::enter(&dead); // killed inside this window:
        let orphan = pool.raw().try_reserve().unwrap();
        let lost = pool.raw().try_reserve().unwrap();
        pool.words[0].fetch_and(!(1 << lost), Ordering::SeqCst);
        orphan
    }

    /// Runs `f` under loom (preemption bound 3 unless `LOOM_MAX_PREEMPTIONS`
    /// says otherwise) and prints how many executions it explored.
    fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        builder.check(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            f();
        });
        std::eprintln!(
            "loom {name}: {} executions",
            runs.load(std::sync::atomic::Ordering::Relaxed)
        );
    }

    /// Recovery racing a live claim: it frees exactly the dead process's seats
    /// (or defers), never the live claimer's, whose bit may be set before its
    /// owner word is.
    #[test]
    fn recovery_races_a_live_claim() {
        model("recovery_races_a_live_claim", || {
            let pool = Arc::new(Pool::new());
            let orphan = stage_the_dead(&pool);
            let p = Arc::clone(&pool);
            let claimer = loom::thread::spawn(move || {
                let live = p.process(LIVE, 0);
                p.raw().with_hooks(&live).try_reserve().unwrap()
            });
            let (freed_held, pass2) = pool.recover();
            let mine = claimer.join().unwrap();
            assert_eq!(freed_held, 1);
            assert!(
                pool.raw().is_taken(mine),
                "the live claimer's seat was freed"
            );
            assert_eq!(pool.owners[mine].load(Ordering::SeqCst), LIVE);
            match pass2 {
                Some((orphans, units)) => {
                    assert_eq!((orphans, units), (1, 1));
                    assert_eq!(pool.raw().available(), CAPACITY - 1);
                    let bits = (0..CAPACITY).filter(|&i| pool.raw().is_taken(i)).count();
                    assert_eq!(bits, 1);
                }
                None => {
                    assert!(pool.raw().is_taken(orphan));
                    assert_eq!(pool.raw().available(), CAPACITY - 3);
                }
            }
        });
    }

    /// Recovery racing a live release: a seat between its owner store and its
    /// bit's release, or a bit cleared before its unit is back, is never taken
    /// for an orphan or a lost unit.
    #[test]
    fn recovery_races_a_live_release() {
        model("recovery_races_a_live_release", || {
            let pool = Arc::new(Pool::new());
            let live = pool.process(LIVE, 0);
            let mine = pool.raw().with_hooks(&live).try_reserve().unwrap();
            stage_the_dead(&pool);
            let p = Arc::clone(&pool);
            let releaser = loom::thread::spawn(move || {
                let live = Process {
                    pool: &p,
                    me: LIVE,
                    slot: 0,
                };
                p.raw().with_hooks(&live).release_id(mine);
            });
            let (_, pass2) = pool.recover();
            releaser.join().unwrap();
            assert!(!pool.raw().is_taken(mine));
            match pass2 {
                Some((orphans, units)) => {
                    assert_eq!((orphans, units), (1, 1));
                    assert_eq!(pool.raw().available(), CAPACITY);
                }
                None => assert_eq!(pool.raw().available(), CAPACITY - 2),
            }
        });
    }

    /// One booking cancelled by two routes at once (its in-process ticket in
    /// this process, its shared ticket in another) while recovery runs: exactly
    /// one route releases it, recovery frees nothing, and the count ends exact.
    #[test]
    fn cancel_routes_race_under_recovery() {
        model("cancel_routes_race_under_recovery", || {
            let pool = Arc::new(Pool::new());
            let live = pool.process(LIVE, 0);
            let core = pool.raw().with_hooks(&live);
            let id = core.try_reserve().unwrap();
            let ticket = core.confirm(id, core.identity("model"));
            let p = Arc::clone(&pool);
            let elsewhere = loom::thread::spawn(move || {
                let other = p.process(RECOVERER, 1);
                Hooks::enter(&other);
                let won = take_booking(&p.owners, id, BOOKING);
                if won {
                    p.raw().release_id(id);
                }
                Hooks::leave(&other);
                won
            });
            let here = pool.raw().with_hooks(&live).cancel(ticket).is_ok();
            let (held, pass2) = pool.recover();
            let there = elsewhere.join().unwrap();
            assert!(here ^ there, "released by both routes or by none");
            assert_eq!(held, 0);
            assert!(matches!(pass2, None | Some((0, 0))), "{pass2:?}");
            assert!(!pool.raw().is_taken(id));
            assert_eq!(pool.raw().available(), CAPACITY);
        });
    }
}
