//! Stress tests for the seat pool: the last seat, a full house, churn with an
//! ownership flag per seat, group churn, and bad ids.
#![cfg(not(loom))]

use racefree::{words_for, ArraySeatPool, SeatError, SeatPool, Ticket};
use racefree_conformance::harness::together;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const THREADS: usize = 8;
const ROUNDS: usize = if cfg!(miri) { 4 } else { 300 };
const CHURN: usize = if cfg!(miri) { 20 } else { 20_000 };

/// 8 threads race for the single free seat of a pool, hundreds of times:
/// exactly one wins each round.
#[test]
fn last_seat_has_exactly_one_winner() {
    for capacity in [1, 5, 70] {
        let pool = SeatPool::new(capacity);
        // Everything but one seat (a different one each round) is sold.
        for round in 0..ROUNDS {
            let last = round % capacity;
            let sold: Vec<Ticket> = (0..capacity)
                .filter(|&i| i != last)
                .map(|i| pool.try_reserve_seat(i).unwrap().confirm())
                .collect();
            let winners: Vec<Ticket> = together(THREADS, |t| {
                // Half ask for any seat, half for that exact seat.
                if t % 2 == 0 {
                    pool.try_reserve().map(|s| s.confirm())
                } else {
                    pool.try_reserve_seat(last).ok().map(|s| s.confirm())
                }
            })
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(winners.len(), 1, "round {round}: {} winners", winners.len());
            assert_eq!(winners[0].id(), last);
            assert_eq!(pool.available(), 0);
            for t in winners.into_iter().chain(sold) {
                pool.cancel(t).unwrap();
            }
            assert_eq!(pool.available(), capacity);
        }
    }
}

type Reserve<'a> = dyn Fn() -> Option<Ticket> + Sync + 'a;
type Cancel<'a> = dyn Fn(Ticket) -> Result<(), Ticket> + 'a;

/// 1,000 seats booked by 8 threads until sold out: every seat exactly once.
#[test]
fn full_house_books_every_seat_once() {
    const SEATS: usize = if cfg!(miri) { 100 } else { 1_000 };
    static ARRAY: ArraySeatPool<{ words_for(1_000) }> = ArraySeatPool::new(SEATS);
    let heap = SeatPool::new(SEATS);
    let cancel_heap = |t| heap.cancel(t);
    let cancel_array = |t| ARRAY.cancel(t);
    let forms: [(&Reserve, &Cancel); 2] = [
        (&|| heap.try_reserve().map(|s| s.confirm()), &cancel_heap),
        (&|| ARRAY.try_reserve().map(|s| s.confirm()), &cancel_array),
    ];
    for (reserve, cancel) in forms {
        let tickets: Vec<Ticket> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| s.spawn(|| core::iter::from_fn(reserve).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut ids: Vec<usize> = tickets.iter().map(Ticket::id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..SEATS).collect::<Vec<_>>());
        assert!(reserve().is_none());
        for t in tickets {
            cancel(t).unwrap();
        }
    }
    assert_eq!(heap.available(), SEATS);
    assert_eq!(ARRAY.available(), SEATS);
}

/// Threads churn singles, exact seats and groups; a flag per seat, set while a
/// holder has it, proves no seat ever has two holders at once. Twice: a pool
/// spanning two words, and a pool of 40 words (large enough for the full-word
/// summary) whose every word is full but for one seat, so that claims keep
/// filling words and releases keep reopening them.
#[test]
fn churn_never_gives_a_seat_two_holders() {
    let bits = usize::BITS as usize;
    churn_with_flags(3 * bits / 2, 0);
    churn_with_flags(40 * bits, bits);
}

/// The churn of `churn_never_gives_a_seat_two_holders` on a pool of `capacity`
/// seats of which all but one in every `spacing` are held throughout (none when
/// `spacing` is 0).
fn churn_with_flags(capacity: usize, spacing: usize) {
    let pool = SeatPool::new(capacity);
    let kept: Vec<Ticket> = if spacing == 0 {
        Vec::new()
    } else {
        let (reopened, kept): (Vec<Ticket>, Vec<Ticket>) = pool
            .try_reserve_many(capacity)
            .unwrap()
            .confirm()
            .into_iter()
            .partition(|t| t.id() % spacing == 0);
        reopened.into_iter().for_each(|t| pool.cancel(t).unwrap());
        kept
    };
    let free = capacity - kept.len();
    let owned: Vec<AtomicBool> = (0..capacity).map(|_| AtomicBool::new(false)).collect();
    let take = |id: usize| {
        assert!(
            !owned[id].swap(true, Ordering::AcqRel),
            "seat {id} has two holders"
        )
    };
    let put = |id: usize| owned[id].store(false, Ordering::Release);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, take, put) = (&pool, &take, &put);
            s.spawn(move || {
                let mut held = Vec::new();
                for i in 0..CHURN {
                    match (i + t) % 4 {
                        0 => {
                            if let Some(seat) = pool.try_reserve() {
                                take(seat.id());
                                held.push(seat);
                            }
                        }
                        1 => {
                            if let Ok(seat) = pool.try_reserve_seat((i * 7 + t) % capacity) {
                                take(seat.id());
                                held.push(seat);
                            }
                        }
                        2 => {
                            if let Some(group) = pool.try_reserve_many(1 + i % 9) {
                                group.ids().for_each(take);
                                std::hint::spin_loop();
                                group.ids().for_each(put);
                            }
                        }
                        _ => {
                            for seat in held.drain(..) {
                                put(seat.id());
                            }
                        }
                    }
                }
                for seat in held.drain(..) {
                    put(seat.id());
                }
            });
        }
    });
    assert_eq!(pool.available(), free);
    assert!(owned.iter().all(|f| !f.load(Ordering::Relaxed)));
    kept.into_iter().for_each(|t| pool.cancel(t).unwrap());
    assert_eq!(pool.available(), capacity);
    assert_eq!(
        pool.try_reserve_many(capacity).map(|g| g.len()),
        Some(capacity)
    );
}

/// Group churn: groups of many sizes against singles and confirmed tickets;
/// afterwards every seat is free again and the count is exact.
#[test]
fn group_churn_leaves_every_seat_free() {
    let capacity = 200;
    let pool = SeatPool::new(capacity);
    let booked = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, booked) = (&pool, &booked);
            s.spawn(move || {
                for i in 0..CHURN / 4 {
                    let k = 1 + (i * 31 + t * 17) % 64;
                    match pool.try_reserve_many(k) {
                        Some(group) => {
                            assert_eq!(group.len(), k);
                            assert_eq!(group.ids().count(), k);
                            booked.fetch_add(k, Ordering::Relaxed);
                            if i % 3 == 0 {
                                for ticket in group.confirm() {
                                    pool.cancel(ticket).unwrap();
                                }
                            }
                        }
                        None => {
                            let _single = pool.try_reserve();
                        }
                    }
                }
            });
        }
    });
    assert!(booked.load(Ordering::Relaxed) > 0);
    assert_eq!(pool.available(), capacity);
    let all = pool
        .try_reserve_many(capacity)
        .expect("every seat free again");
    let mut ids: Vec<usize> = all.ids().collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..capacity).collect::<Vec<_>>());
}

#[test]
fn specific_seats_out_of_range_and_taken() {
    let pool = SeatPool::new(10);
    assert_eq!(
        pool.try_reserve_seat(10).unwrap_err(),
        SeatError::OutOfRange {
            id: 10,
            capacity: 10
        }
    );
    assert_eq!(
        pool.try_reserve_seat(usize::MAX).unwrap_err(),
        SeatError::OutOfRange {
            id: usize::MAX,
            capacity: 10
        }
    );
    let seat = pool.try_reserve_seat(9).unwrap();
    assert_eq!(pool.try_reserve_seat(9).unwrap_err(), SeatError::Taken);
    let ticket = seat.confirm();
    assert_eq!(pool.try_reserve_seat(9).unwrap_err(), SeatError::Taken);
    pool.cancel(ticket).unwrap();
    assert_eq!(pool.try_reserve_seat(9).unwrap().id(), 9);
    assert_eq!(pool.available(), 10);
}

#[test]
fn capacity_zero_is_refused() {
    assert_eq!(SeatPool::try_new(0).unwrap_err(), SeatError::ZeroCapacity);
    let panic = std::panic::catch_unwind(|| SeatPool::new(0)).unwrap_err();
    let msg = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("capacity must be at least 1"), "{msg}");
}

/// Counts the heap requests of at least [`BIG`] bytes, to prove that an absurd
/// capacity is refused before anything is allocated for it. Nothing else in this
/// binary asks for that much (a panic's backtrace may ask for megabytes).
struct CountBig;

const BIG: usize = 1 << 30;
static BIG_REQUESTS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counter only observes the layouts.
unsafe impl std::alloc::GlobalAlloc for CountBig {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.size() >= BIG {
            BIG_REQUESTS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's guarantees for `alloc` are passed on as they are.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` was allocated by `System` (through `alloc` above) with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: CountBig = CountBig;

/// Issue 18, finding 4: the heap bitmap's size is computed from the capacity, and
/// on 32-bit targets `words_for(capacity) * stride` wrapped to 0 for capacities
/// above 2^32 - 32, giving an `Ok` pool with an empty bitmap that panicked on
/// first use. Every size is now checked: a capacity whose bitmap cannot be sized
/// is an error before anything is allocated, and one that cannot be allocated is
/// an error too, never an abort.
#[test]
fn absurd_capacity_is_an_error_not_a_wrapped_size() {
    let before = BIG_REQUESTS.load(Ordering::Relaxed);
    // 2 bytes a seat (64-bit) or 4 (32-bit): none of these fits in `isize::MAX`
    // bytes, and the first two wrapped the old 32-bit computation to 0 bytes.
    for capacity in [
        usize::MAX,
        usize::MAX - 5,
        usize::MAX / 2 + 1,
        usize::MAX / 4,
    ] {
        assert_eq!(
            SeatPool::try_new(capacity).unwrap_err(),
            SeatError::CapacityTooLarge,
            "try_new({capacity})"
        );
    }
    assert_eq!(
        BIG_REQUESTS.load(Ordering::Relaxed),
        before,
        "sized before checking"
    );
    // A size that is valid but cannot be allocated (2^57 bytes is beyond every
    // 64-bit address space in use): the allocation is tried, fails, and is an
    // error instead of an abort.
    #[cfg(target_pointer_width = "64")]
    if sanitizer_aborts_on_failed_allocation() {
        eprintln!("skipped the failed-allocation case: a sanitizer would abort on it");
    } else {
        assert_eq!(
            SeatPool::try_new(1 << 56).unwrap_err(),
            SeatError::CapacityTooLarge
        );
        assert_eq!(BIG_REQUESTS.load(Ordering::Relaxed), before + 1);
    }
    let panic = std::panic::catch_unwind(|| SeatPool::new(usize::MAX - 5)).unwrap_err();
    let msg = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("too large"), "{msg}");
}

/// Sanitizer runtimes (ThreadSanitizer in `ci/tsan.sh`) abort on a failed
/// allocation themselves unless `allocator_may_return_null=1`; they are
/// recognised by their options variable.
#[cfg(target_pointer_width = "64")]
fn sanitizer_aborts_on_failed_allocation() -> bool {
    ["TSAN_OPTIONS", "ASAN_OPTIONS", "MSAN_OPTIONS"]
        .into_iter()
        .filter_map(std::env::var_os)
        .any(|options| {
            !options
                .to_string_lossy()
                .contains("allocator_may_return_null=1")
        })
}
