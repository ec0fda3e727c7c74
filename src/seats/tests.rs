//! Unit tests (also run under miri: small sizes, few iterations).

use std::sync::atomic::{AtomicBool, Ordering as StdOrdering};
use std::vec::Vec;

use super::bits::BITS;
use super::*;

const ITERS: usize = if cfg!(miri) { 20 } else { 2_000 };

#[test]
fn reserve_until_full_then_release() {
    let pool = SeatPool::new(BITS + 3);
    let seats: Vec<_> = (0..BITS + 3).map(|_| pool.try_reserve().unwrap()).collect();
    let mut ids: Vec<usize> = seats.iter().map(Seat::id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..BITS + 3).collect::<Vec<_>>());
    assert!(pool.try_reserve().is_none());
    assert_eq!(pool.available(), 0);
    drop(seats);
    assert_eq!(pool.available(), BITS + 3);
    assert_eq!(pool.try_reserve_many(BITS + 3).unwrap().len(), BITS + 3);
}

#[test]
fn specific_seats() {
    let pool = ArraySeatPool::<2>::new(BITS + 1);
    let last = pool.try_reserve_seat(BITS).unwrap();
    assert_eq!(last.id(), BITS);
    assert_eq!(pool.try_reserve_seat(BITS).unwrap_err(), SeatError::Taken);
    assert_eq!(
        pool.try_reserve_seat(BITS + 1).unwrap_err(),
        SeatError::OutOfRange {
            id: BITS + 1,
            capacity: BITS + 1
        }
    );
    assert_eq!(pool.available(), BITS);
    drop(last);
    assert!(pool.try_reserve_seat(BITS).is_ok());
}

#[test]
fn reserve_seat_when_all_promised_is_taken() {
    let pool = SeatPool::new(2);
    let a = pool.try_reserve_seat(0).unwrap();
    let b = pool.try_reserve_seat(1).unwrap();
    assert_eq!(pool.try_reserve_seat(0).unwrap_err(), SeatError::Taken);
    drop((a, b));
    assert_eq!(pool.available(), 2);
}

#[test]
fn group_across_words_is_all_or_nothing() {
    let pool = SeatPool::new(2 * BITS);
    // Leave free: the top 2 of word 0 and the bottom 2 of word 1.
    let held: Vec<_> = (0..2 * BITS)
        .filter(|&i| !(BITS - 2..BITS + 2).contains(&i))
        .map(|i| pool.try_reserve_seat(i).unwrap())
        .collect();
    assert!(pool.try_reserve_many(5).is_none());
    assert_eq!(pool.available(), 4);
    let group = pool.try_reserve_many(4).unwrap();
    let mut ids: Vec<usize> = group.ids().collect();
    ids.sort_unstable();
    assert_eq!(ids, [BITS - 2, BITS - 1, BITS, BITS + 1]);
    assert_eq!(group.ids().len(), 4);
    assert!(pool.try_reserve().is_none());
    drop(group);
    drop(held);
    assert_eq!(pool.available(), 2 * BITS);
    assert!(pool.try_reserve_many(2 * BITS).is_some());
}

#[test]
fn zero_and_oversized_groups() {
    let pool = SeatPool::new(3);
    let empty = pool.try_reserve_many(0).unwrap();
    assert!(empty.is_empty());
    assert!(empty.confirm().is_empty());
    assert!(pool.try_reserve_many(4).is_none());
    assert_eq!(pool.available(), 3);
    // The same core answers for every storage.
    let inline = ArraySeatPool::<1>::new(3);
    assert!(inline.try_reserve_many(0).unwrap().is_empty());
    assert!(inline.try_reserve_many(4).is_none());
    assert_eq!(inline.available(), 3);
}

#[test]
fn tickets_cancel_once_and_only_in_their_pool() {
    let a = SeatPool::new(2);
    let b = SeatPool::new(2);
    let t = a.try_reserve_seat(1).unwrap().confirm();
    assert_eq!(t.id(), 1);
    // b has not issued tickets yet, and then has.
    let t = b.cancel(t).unwrap_err();
    let tb = b.try_reserve_seat(1).unwrap().confirm();
    let t = b.cancel(t).unwrap_err();
    assert_eq!(b.available(), 1);
    a.cancel(t).unwrap();
    b.cancel(tb).unwrap();
    assert_eq!((a.available(), b.available()), (2, 2));
    let group = a.try_reserve_many(2).unwrap().confirm();
    assert_eq!(a.available(), 0);
    for t in group {
        a.cancel(t).unwrap();
    }
    assert_eq!(a.available(), 2);
}

#[test]
fn ticket_of_a_dropped_pool_is_refused_by_a_new_one() {
    let old = SeatPool::new(1);
    let stale = old.try_reserve().unwrap().confirm();
    drop(old);
    let new = SeatPool::new(1);
    let _held = new.try_reserve().unwrap();
    let _issued = new.try_reserve_many(0).unwrap();
    let held_ticket = _held.confirm();
    assert!(new.cancel(stale).is_err());
    assert_eq!(new.available(), 0);
    new.cancel(held_ticket).unwrap();
}

#[test]
fn array_pool_in_a_static() {
    static POOL: ArraySeatPool<{ words_for(70) }> = ArraySeatPool::new(70);
    assert_eq!(POOL.capacity(), 70);
    let seats: Vec<_> = core::iter::from_fn(|| POOL.try_reserve()).collect();
    assert_eq!(seats.len(), 70);
    drop(seats);
    assert_eq!(POOL.available(), 70);
}

#[test]
fn constructors_reject_bad_capacity() {
    assert_eq!(SeatPool::try_new(0).unwrap_err(), SeatError::ZeroCapacity);
    assert!(std::panic::catch_unwind(|| SeatPool::new(0)).is_err());
    assert_eq!(
        ArraySeatPool::<1>::try_new(BITS + 1).unwrap_err(),
        SeatError::TooLarge {
            capacity: BITS + 1,
            max: BITS
        }
    );
    assert!(std::panic::catch_unwind(|| ArraySeatPool::<1>::new(BITS + 1)).is_err());
    assert!(std::panic::catch_unwind(|| ArraySeatPool::<1>::new(0)).is_err());
    // Spare words are fine.
    assert_eq!(
        ArraySeatPool::<3>::new(5)
            .try_reserve_many(5)
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn errors_display() {
    let e = SeatError::OutOfRange { id: 9, capacity: 3 };
    assert!(std::format!("{e}").contains("seat 9"));
    let _: &dyn core::error::Error = &e;
}

#[test]
fn lock_free_here() {
    assert!(SeatPool::is_lock_free());
    assert!(ArraySeatPool::<1>::is_lock_free());
}

/// A small multi-threaded check (run under miri with many seeds): 3 threads
/// churn singles, specific seats and pairs over 3 seats spread over two words;
/// an ownership flag per seat proves no seat has two holders.
#[test]
fn miri_threads_never_share_a_seat() {
    let pool = SeatPool::new(BITS + 2);
    let held: Vec<_> = (2..BITS)
        .map(|i| pool.try_reserve_seat(i).unwrap())
        .collect();
    let owned: Vec<AtomicBool> = (0..BITS + 2).map(|_| AtomicBool::new(false)).collect();
    let rounds = if cfg!(miri) { 6 } else { ITERS };
    let take = |id: usize| {
        assert!(
            !owned[id].swap(true, StdOrdering::Relaxed),
            "seat {id} held twice"
        )
    };
    let put = |id: usize| owned[id].store(false, StdOrdering::Relaxed);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..rounds {
                if let Some(seat) = pool.try_reserve() {
                    take(seat.id());
                    put(seat.id());
                }
            }
        });
        s.spawn(|| {
            for i in 0..rounds {
                if let Ok(seat) = pool.try_reserve_seat([0, BITS, BITS + 1][i % 3]) {
                    take(seat.id());
                    put(seat.id());
                }
            }
        });
        s.spawn(|| {
            for _ in 0..rounds {
                if let Some(group) = pool.try_reserve_many(2) {
                    group.ids().for_each(take);
                    group.ids().for_each(put);
                }
            }
        });
    });
    drop(held);
    assert_eq!(pool.available(), BITS + 2);
    assert_eq!(pool.try_reserve_many(BITS + 2).unwrap().len(), BITS + 2);
}

/// The bitmap sizes the docs state ("Layout" in the module docs, `SeatPool::new`):
/// heap 128 bytes per `usize::BITS` seats (2 bytes a seat on 64-bit, 4 on 32-bit)
/// and one word (the admission count), inline 1 bit a seat.
#[test]
fn documented_bitmap_sizes() {
    let per_seat = if cfg!(target_pointer_width = "64") {
        2
    } else {
        4
    };
    assert_eq!(128 / BITS, per_seat);
    let heap = SeatPool::new(4_096);
    let count = core::mem::size_of::<usize>();
    assert_eq!(
        core::mem::size_of_val(heap.storage().bitmap()),
        4_096 * per_seat + count
    );
    assert_eq!(
        core::mem::size_of_val(heap.storage().bitmap()),
        if per_seat == 2 { 8 * 1024 } else { 16 * 1024 } + count
    );
    let inline = ArraySeatPool::<{ words_for(4_096) }>::new(4_096);
    assert_eq!(core::mem::size_of_val(inline.storage().bitmap()), 512);
}

/// Both storages keep the admission count in the word right before bitmap word
/// 0, so that the two share a 64-byte line ("Layout" in the module docs): an
/// inline pool always (it is aligned to 16 bytes and starts with the count), a
/// heap pool whenever the allocation is aligned to two words, as glibc aligns
/// it on every Linux CI target, 64- and 32-bit (not under Miri, whose allocator
/// aligns only as requested: one word).
#[test]
fn admission_count_shares_word_0s_line() {
    let word = core::mem::size_of::<usize>();
    let same_line = |(admission, word_0): (usize, usize)| {
        assert_eq!(word_0, admission + word);
        admission / 64 == word_0 / 64
    };
    for capacity in [1, BITS, 4_096, 100_003] {
        let pool = SeatPool::new(capacity);
        let (admission, word_0) = pool.core().admission_and_word_0();
        if cfg!(all(target_os = "linux", target_env = "gnu", not(miri))) {
            assert_eq!(admission % (2 * word), 0, "glibc aligns to two words");
        }
        if admission % (2 * word) == 0 {
            assert!(same_line((admission, word_0)), "capacity {capacity}");
        }
        assert_eq!(pool.available(), capacity);
    }
    let pools: [ArraySeatPool<2>; 8] = core::array::from_fn(|i| ArraySeatPool::new(i + 1));
    for pool in &pools {
        assert!(same_line(pool.core().admission_and_word_0()));
        assert_eq!(pool.available(), pool.capacity());
    }
    static STATIC: ArraySeatPool<1> = ArraySeatPool::new(3);
    assert!(same_line(STATIC.core().admission_and_word_0()));
}

#[test]
fn debug_names_the_alias() {
    let heap = SeatPool::new(2);
    let _seat = heap.try_reserve_seat(1).unwrap();
    assert_eq!(
        std::format!("{heap:?}"),
        "SeatPool { capacity: 2, available: 1 }"
    );
    assert_eq!(
        std::format!("{:?}", ArraySeatPool::<1>::new(3)),
        "ArraySeatPool { capacity: 3, available: 3 }"
    );
}

/// A `Seat` is its pool (a trait object) and its id: three words, cheap to move
/// out of a future and through an executor (the pool's seven-word view made it
/// eight, and async reserve measurably slower). `Option<Seat>` costs nothing more.
#[test]
fn a_seat_is_three_words() {
    use core::mem::size_of;
    assert_eq!(size_of::<Seat<'_>>(), 3 * size_of::<usize>());
    assert_eq!(size_of::<Option<Seat<'_>>>(), size_of::<Seat<'_>>());
}
