//! Stress tests for the seat pool: the last seat, a full house, churn with an
//! ownership flag per seat, group churn, and bad ids.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;

use racefree::{words_for, ArraySeatPool, SeatError, SeatPool, Ticket};

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
            let barrier = Barrier::new(THREADS);
            let winners: Vec<Ticket> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (pool, barrier) = (&pool, &barrier);
                        s.spawn(move || {
                            barrier.wait();
                            // Half ask for any seat, half for that exact seat.
                            if t % 2 == 0 {
                                pool.try_reserve().map(|s| s.confirm())
                            } else {
                                pool.try_reserve_seat(last).ok().map(|s| s.confirm())
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().unwrap())
                    .collect()
            });
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
/// holder has it, proves no seat ever has two holders at once.
#[test]
fn churn_never_gives_a_seat_two_holders() {
    let capacity = 3 * usize::BITS as usize / 2; // spans two words
    let pool = SeatPool::new(capacity);
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
    assert_eq!(pool.available(), capacity);
    assert!(owned.iter().all(|f| !f.load(Ordering::Relaxed)));
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
