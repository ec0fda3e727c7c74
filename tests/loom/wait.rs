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
use super::venue::Venue;
use loom::sync::Arc;
use loom::thread;
use racefree::LoomTimer;
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

impl Venue {
    /// The holder of seat `id` writes its cell (a race if another holder's
    /// writes are not ordered before this one's).
    fn use_seat(&self, id: usize, who: usize) {
        // SAFETY: a raw write checked by loom; only the seat makes it exclusive,
        // which is what is under test.
        self.holder[id].with_mut(|p| unsafe { *p = who });
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

/// A thread that blocks for a seat and, once served, writes its cell as `who`.
fn blocking_waiter(venue: &Arc<Venue>, who: usize) -> thread::JoinHandle<()> {
    Venue::spawn(venue, move |venue| {
        let seat = venue.pool.reserve_blocking();
        venue.use_seat(seat.id(), who);
    })
}

/// One waiter blocks on a full pool while another thread releases the only
/// seat: the waiter must get it (no lost wakeup), after the release.
#[test]
fn release_wakes_blocking_waiter() {
    model("wait::release_wakes_blocking_waiter", 4, || {
        let venue = Venue::new(1);
        let seat = venue.pool.try_reserve().unwrap();
        venue.use_seat(seat.id(), 1);
        let ticket = seat.confirm();
        let waiter = blocking_waiter(&venue, 2);
        venue.pool.cancel(ticket).unwrap();
        waiter.join().unwrap();
        venue.assert_exact();
    });
}

/// The same window, async: a task on loom's executor waits while a thread
/// releases.
#[test]
fn release_wakes_async_waiter() {
    model("wait::release_wakes_async_waiter", 4, || {
        let venue = Venue::new(1);
        let ticket = venue.pool.try_reserve().unwrap().confirm();
        let waiter = Venue::spawn(&venue, |venue| {
            let seat = block_on(venue.pool.reserve());
            venue.use_seat(seat.id(), 2);
        });
        venue.pool.cancel(ticket).unwrap();
        waiter.join().unwrap();
        venue.assert_exact();
    });
}

/// A group waiter needs both seats, which two threads release one at a time:
/// it must be woken by whichever release completes its group.
#[test]
fn two_releases_complete_a_waiting_group() {
    model("wait::two_releases_complete_a_waiting_group", 4, || {
        let venue = Venue::new(2);
        let a = venue.pool.try_reserve_seat(0).unwrap().confirm();
        let b = venue.pool.try_reserve_seat(1).unwrap().confirm();
        let group = Venue::spawn(&venue, |venue| {
            let group = venue.pool.reserve_many_blocking(2).unwrap();
            for id in group.ids() {
                venue.use_seat(id, 3);
            }
        });
        let other = Venue::spawn(&venue, move |venue| venue.pool.cancel(a).unwrap());
        venue.pool.cancel(b).unwrap();
        other.join().unwrap();
        group.join().unwrap();
        venue.assert_exact();
    });
}

/// A waiter queued at the head is cancelled (its future polled once, then
/// dropped) while a second waiter blocks behind it and the seat is released:
/// the second waiter must not lose the wakeup the cancelled head may have
/// received.
#[test]
fn cancelled_head_hands_its_wakeup_on() {
    model("wait::cancelled_head_hands_its_wakeup_on", 4, || {
        let venue = Venue::new(1);
        let ticket = venue.pool.try_reserve().unwrap().confirm();
        let cancelled = Venue::spawn(&venue, |venue| {
            let mut future = pin!(venue.pool.reserve());
            let waker = Waker::from(std::sync::Arc::new(Noop));
            let mut cx = Context::from_waker(&waker);
            if let Poll::Ready(seat) = future.as_mut().poll(&mut cx) {
                // Served on its only poll (the seat was already back).
                venue.use_seat(seat.id(), 1);
            }
            // Dropped here: leaves the queue, handing on any wakeup.
        });
        let blocking = blocking_waiter(&venue, 2);
        venue.pool.cancel(ticket).unwrap();
        cancelled.join().unwrap();
        blocking.join().unwrap();
        venue.assert_exact();
    });
}

/// Two blocking waiters on one seat that a third thread releases: the first
/// served hands the seat back on drop and the second is woken by that release
/// (FIFO hand-over through the queue, no waiter left parked).
#[test]
fn two_waiters_one_seat() {
    model("wait::two_waiters_one_seat", 4, || {
        let venue = Venue::new(1);
        let ticket = venue.pool.try_reserve().unwrap().confirm();
        let waiters: Vec<_> = (1..=2).map(|who| blocking_waiter(&venue, who)).collect();
        venue.pool.cancel(ticket).unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        venue.assert_exact();
    });
}

// ------------------------------------------------------------ timed waits
//
// Loom has no clock, so under `cfg(loom)` `reserve_timeout` takes a
// `LoomTimer` instead of a `Duration` (the crate's test-only seam for timed
// waits): the waiter parks on it where the real code calls `park_timeout`, and
// a timer thread fires it, which ends that park as a passing deadline does.
// The waiter checks it where the real code checks the clock (after each failed
// poll, before parking), so loom explores the deadline passing before, during
// and after a release's `fetch_add`, its wakeup, and the waiter's polls.

/// How often a model's timed waiter was served and timed out, over all its
/// executions: both must happen, or the model never raced the deadline (under
/// a preemption bound of 2 or more: with fewer, loom runs the release first).
struct Outcomes {
    served: std::sync::atomic::AtomicUsize,
    timed_out: std::sync::atomic::AtomicUsize,
}

impl Outcomes {
    const fn new() -> Self {
        Self {
            served: std::sync::atomic::AtomicUsize::new(0),
            timed_out: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn count(&self, served: bool) {
        let n = if served {
            &self.served
        } else {
            &self.timed_out
        };
        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn assert_both(&self, name: &str, bound: Option<usize>) {
        let served = self.served.load(std::sync::atomic::Ordering::Relaxed);
        let timed_out = self.timed_out.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("loom {name}: the timed waiter was served {served} times, timed out {timed_out}");
        if bound.is_none_or(|b| b >= 2) {
            assert!(
                served > 0 && timed_out > 0,
                "{name} never raced the deadline"
            );
        }
    }
}

/// The timer thread of a timed wait: its deadline passes at a moment loom
/// chooses.
fn spawn_timer(timer: &Arc<LoomTimer>) -> thread::JoinHandle<()> {
    let timer = timer.clone();
    thread::spawn(move || timer.fire())
}

/// A thread that waits for a seat until `timer` fires: if served, it writes its
/// cell as `who`; it returns whether it was served.
fn timed_waiter(
    venue: &Arc<Venue>,
    timer: &Arc<LoomTimer>,
    who: usize,
) -> thread::JoinHandle<bool> {
    let (venue, timer) = (venue.clone(), timer.clone());
    thread::spawn(move || match venue.pool.reserve_timeout(&timer) {
        Some(seat) => {
            venue.use_seat(seat.id(), who);
            true
        }
        None => false,
    })
}

/// A timed waiter on a full pool whose deadline passes while the only seat is
/// released: it gets the seat, or it gives up and the seat stays free. Either
/// way nothing is lost, nothing stays queued, the waiting flag is clear, and
/// the seat is never held twice (the cells).
#[test]
fn timeout_races_release() {
    static OUTCOMES: Outcomes = Outcomes::new();
    let bound = model("wait::timeout_races_release", 4, || {
        let venue = Venue::new(1);
        let seat = venue.pool.try_reserve().unwrap();
        venue.use_seat(seat.id(), 1);
        let ticket = seat.confirm();
        let timer = Arc::new(LoomTimer::new());
        let waiter = timed_waiter(&venue, &timer, 2);
        let timing = spawn_timer(&timer);
        venue.pool.cancel(ticket).unwrap();
        OUTCOMES.count(waiter.join().unwrap());
        timing.join().unwrap();
        assert!(
            !venue.pool.waiting_flag(),
            "the last waiter out left the flag set"
        );
        assert!(
            venue.pool.try_reserve().is_some(),
            "the released seat was lost"
        );
        venue.assert_exact();
    });
    OUTCOMES.assert_both("wait::timeout_races_release", bound);
}

/// A timed waiter and a blocking waiter on one seat, the timed one's deadline
/// racing the release: if the timed waiter was the head and received the
/// release's wakeup, its leaving must hand that wakeup on to the blocking
/// waiter (which otherwise parks forever: a loom deadlock). Whoever is served,
/// the pool ends exact, and the waiting flag clear.
#[test]
fn timed_out_head_hands_its_wakeup_on() {
    static OUTCOMES: Outcomes = Outcomes::new();
    let bound = model("wait::timed_out_head_hands_its_wakeup_on", 3, || {
        let venue = Venue::new(1);
        let ticket = venue.pool.try_reserve().unwrap().confirm();
        let timer = Arc::new(LoomTimer::new());
        let timed = timed_waiter(&venue, &timer, 1);
        let blocking = blocking_waiter(&venue, 2);
        let timing = spawn_timer(&timer);
        venue.pool.cancel(ticket).unwrap();
        OUTCOMES.count(timed.join().unwrap());
        blocking.join().unwrap();
        timing.join().unwrap();
        assert!(
            !venue.pool.waiting_flag(),
            "the last waiter out left the flag set"
        );
        venue.assert_exact();
    });
    OUTCOMES.assert_both("wait::timed_out_head_hands_its_wakeup_on", bound);
}
