//! Loom models of the wake-up protocol (`wait` feature).
//!
//! The classic lost-wakeup window is a waiter that checks "no seat", a release
//! that gives a seat back and checks "nobody waits", and then the waiter
//! parking for good. Here the check and the flag share one atomic word and the
//! queue has a modelled mutex; loom explores every interleaving of the waiter's
//! check, its parking (modelled `park`/`unpark`) and the release's `fetch_add`.
//! A waiter left parked forever is a loom deadlock, and fails the model.
//!
//! Each model also writes a cell while holding a seat and checks it after: a
//! waiter's claim that does not happen-after the previous holder's release is a
//! data race loom reports. Every model ends with the pool exact: the count back
//! at capacity, nobody queued, every seat free to one group.

use super::model;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use racefree::SeatPool;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that does nothing (for a future polled once and dropped).
struct Noop;

impl Wake for Noop {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// A minimal executor on loom's modelled `park`/`unpark` (loom's own
/// `block_on` needs its `futures` feature): polls, parks until woken, polls.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(thread::current())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return out;
        }
        thread::park();
    }
}

/// A pool and a cell per seat that only its holder writes.
struct Hall {
    pool: SeatPool,
    cell: Vec<UnsafeCell<usize>>,
}

impl Hall {
    fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            pool: SeatPool::new(capacity),
            cell: (0..capacity).map(|_| UnsafeCell::new(0)).collect(),
        })
    }

    /// The holder of seat `id` writes its cell (a race if another holder's
    /// writes are not ordered before this one's).
    fn use_seat(&self, id: usize, who: usize) {
        // SAFETY: a raw write checked by loom; only the seat makes it exclusive,
        // which is what is under test.
        self.cell[id].with_mut(|p| unsafe { *p = who });
    }

    fn assert_exact(&self) {
        let capacity = self.pool.capacity();
        assert_eq!(self.pool.available(), capacity);
        assert_eq!(self.pool.waiting(), 0);
        let all = self
            .pool
            .try_reserve_many(capacity)
            .expect("a seat left taken");
        assert_eq!(all.len(), capacity);
    }
}

/// One waiter blocks on a full pool while another thread releases the only
/// seat: the waiter must get it (no lost wakeup), after the release.
#[test]
fn release_wakes_blocking_waiter() {
    model("wait::release_wakes_blocking_waiter", 4, || {
        let hall = Hall::new(1);
        let seat = hall.pool.try_reserve().unwrap();
        hall.use_seat(seat.id(), 1);
        let ticket = seat.confirm();
        let waiter = {
            let hall = hall.clone();
            thread::spawn(move || {
                let seat = hall.pool.reserve_blocking();
                hall.use_seat(seat.id(), 2);
            })
        };
        hall.pool.cancel(ticket).unwrap();
        waiter.join().unwrap();
        hall.assert_exact();
    });
}

/// The same window, async: a task on loom's executor waits while a thread
/// releases.
#[test]
fn release_wakes_async_waiter() {
    model("wait::release_wakes_async_waiter", 4, || {
        let hall = Hall::new(1);
        let ticket = hall.pool.try_reserve().unwrap().confirm();
        let waiter = {
            let hall = hall.clone();
            thread::spawn(move || {
                let seat = block_on(hall.pool.reserve());
                hall.use_seat(seat.id(), 2);
            })
        };
        hall.pool.cancel(ticket).unwrap();
        waiter.join().unwrap();
        hall.assert_exact();
    });
}

/// A group waiter needs both seats, which two threads release one at a time:
/// it must be woken by whichever release completes its group.
#[test]
fn two_releases_complete_a_waiting_group() {
    model("wait::two_releases_complete_a_waiting_group", 4, || {
        let hall = Hall::new(2);
        let a = hall.pool.try_reserve_seat(0).unwrap().confirm();
        let b = hall.pool.try_reserve_seat(1).unwrap().confirm();
        let group = {
            let hall = hall.clone();
            thread::spawn(move || {
                let group = hall.pool.reserve_many_blocking(2).unwrap();
                for id in group.ids() {
                    hall.use_seat(id, 3);
                }
            })
        };
        let other = {
            let hall = hall.clone();
            thread::spawn(move || hall.pool.cancel(a).unwrap())
        };
        hall.pool.cancel(b).unwrap();
        other.join().unwrap();
        group.join().unwrap();
        hall.assert_exact();
    });
}

/// A waiter queued at the head is cancelled (its future polled once, then
/// dropped) while a second waiter blocks behind it and the seat is released:
/// the second waiter must not lose the wakeup the cancelled head may have
/// received.
#[test]
fn cancelled_head_hands_its_wakeup_on() {
    model("wait::cancelled_head_hands_its_wakeup_on", 4, || {
        let hall = Hall::new(1);
        let ticket = hall.pool.try_reserve().unwrap().confirm();
        let cancelled = {
            let hall = hall.clone();
            thread::spawn(move || {
                let mut future = pin!(hall.pool.reserve());
                let waker = Waker::from(std::sync::Arc::new(Noop));
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(seat) = future.as_mut().poll(&mut cx) {
                    // Served on its only poll (the seat was already back).
                    hall.use_seat(seat.id(), 1);
                }
                // Dropped here: leaves the queue, handing on any wakeup.
            })
        };
        let blocking = {
            let hall = hall.clone();
            thread::spawn(move || {
                let seat = hall.pool.reserve_blocking();
                hall.use_seat(seat.id(), 2);
            })
        };
        hall.pool.cancel(ticket).unwrap();
        cancelled.join().unwrap();
        blocking.join().unwrap();
        hall.assert_exact();
    });
}

/// Two blocking waiters on one seat that a third thread releases: the first
/// served hands the seat back on drop and the second is woken by that release
/// (FIFO hand-over through the queue, no waiter left parked).
#[test]
fn two_waiters_one_seat() {
    model("wait::two_waiters_one_seat", 4, || {
        let hall = Hall::new(1);
        let ticket = hall.pool.try_reserve().unwrap().confirm();
        let waiters: Vec<_> = (1..=2)
            .map(|who| {
                let hall = hall.clone();
                thread::spawn(move || {
                    let seat = hall.pool.reserve_blocking();
                    hall.use_seat(seat.id(), who);
                })
            })
            .collect();
        hall.pool.cancel(ticket).unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        hall.assert_exact();
    });
}
