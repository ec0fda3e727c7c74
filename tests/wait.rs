//! Waiting for seats (`wait` feature): no lost wakeup, FIFO fairness to groups,
//! cancel safety at every poll point, immediate errors for impossible groups.
//!
//! No test asserts timing. Tests that could hang on a lost wakeup run under
//! [`within`], a generous deadline that turns a hang into a failure.
#![cfg(all(feature = "wait", not(loom)))]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use racefree::{ArraySeatPool, Seat, SeatError, SeatGroup, SeatPool};

/// Runs `f` on its own thread and fails if it has not finished after a minute:
/// a hang detector, not a speed assertion.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => handle.join().expect("test body panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(_) => unreachable!("the body finished without reporting"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still waiting after 60 s (a lost wakeup?)")
        }
    }
}

/// Waits (yielding) until `pool.waiting()` reaches `n`.
fn until_waiting(pool: &SeatPool, n: usize) {
    while pool.waiting() != n {
        thread::yield_now();
    }
}

// ---------------------------------------------------------------------------
// A waker that records whether it was woken, for driving futures by hand.

#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// What a finished reservation holds.
enum Held<'a> {
    One(#[allow(dead_code)] Seat<'a>), // held for its `Drop`
    Group(SeatGroup<'a>),
}

impl Held<'_> {
    fn len(&self) -> usize {
        match self {
            Held::One(_) => 1,
            Held::Group(g) => g.len(),
        }
    }
}

type Pending<'a> = Pin<Box<dyn Future<Output = Held<'a>> + Send + 'a>>;

/// A future driven by hand, polled only when its waker was woken (so a
/// swallowed wakeup shows up as a future that never completes).
struct Driven<'a> {
    future: Option<Pending<'a>>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<'a> Driven<'a> {
    fn new(future: Pending<'a>) -> Self {
        let flag = Arc::new(Flag::default());
        Self {
            future: Some(future),
            waker: Waker::from(Arc::clone(&flag)),
            flag,
        }
    }

    /// Polls the future once; its output, if it finished.
    fn poll(&mut self) -> Option<Held<'a>> {
        let future = self.future.as_mut()?;
        match future.as_mut().poll(&mut Context::from_waker(&self.waker)) {
            Poll::Ready(held) => {
                self.future = None;
                Some(held)
            }
            Poll::Pending => None,
        }
    }

    /// Polls it if it was woken since its last poll.
    fn poll_if_woken(&mut self) -> Option<Held<'a>> {
        if self.future.is_some() && self.flag.take() {
            self.poll()
        } else {
            None
        }
    }

    fn is_pending(&self) -> bool {
        self.future.is_some()
    }
}

fn one(pool: &SeatPool) -> Pending<'_> {
    Box::pin(async move { Held::One(pool.reserve().await) })
}

fn group(pool: &SeatPool, k: usize) -> Pending<'_> {
    Box::pin(async move { Held::Group(pool.reserve_many(k).await.expect("a valid group")) })
}

// ---------------------------------------------------------------------------
// No lost wakeup.

#[test]
fn many_blocking_waiters_all_finish() {
    within("blocking waiters", || {
        const CAPACITY: usize = 3;
        const WAITERS: usize = 24;
        const ROUNDS: usize = 50;
        let pool = Arc::new(SeatPool::new(CAPACITY));
        let held: Vec<_> = (0..CAPACITY)
            .map(|_| pool.try_reserve().unwrap().confirm())
            .collect();
        let done = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (pool, done) = (Arc::clone(&pool), Arc::clone(&done));
                thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let seat = pool.reserve_blocking();
                        assert!(seat.id() < CAPACITY);
                        thread::yield_now();
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // Seats come free one at a time, from another thread.
        let releaser = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                for ticket in held {
                    thread::yield_now();
                    pool.cancel(ticket).unwrap();
                }
            })
        };
        releaser.join().unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), WAITERS);
        assert_eq!(pool.available(), CAPACITY);
        assert_eq!(pool.waiting(), 0);
    });
}

#[test]
fn many_async_waiters_on_tokio_and_threads_all_finish() {
    static POOL: ArraySeatPool<1> = ArraySeatPool::new(2);
    within("async waiters", || {
        let held: Vec<_> = (0..2)
            .map(|_| POOL.try_reserve().unwrap().confirm())
            .collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                runtime.spawn(async move {
                    for _ in 0..20 {
                        if i % 3 == 0 {
                            let _group = POOL.reserve_many(2).await.unwrap();
                            tokio::task::yield_now().await;
                        } else {
                            let _seat = POOL.reserve().await;
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        // Blocking and `futures`-executor waiters on plain threads, at the same time.
        let threads: Vec<_> = (0..4)
            .map(|i| {
                thread::spawn(move || {
                    for _ in 0..20 {
                        if i % 2 == 0 {
                            drop(POOL.reserve_blocking());
                        } else {
                            drop(futures::executor::block_on(POOL.reserve()));
                        }
                    }
                })
            })
            .collect();
        for ticket in held {
            thread::yield_now();
            POOL.cancel(ticket).unwrap();
        }
        runtime.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(POOL.available(), 2);
        assert_eq!(POOL.waiting(), 0);
    });
}

#[test]
fn one_release_of_a_group_serves_several_waiters() {
    // A group of 3 goes back at once: the head is woken, and hands on to the
    // next while seats are left.
    let pool = SeatPool::new(3);
    let all = pool.try_reserve_many(3).unwrap();
    let mut waiters: Vec<Driven<'_>> = (0..3).map(|_| Driven::new(one(&pool))).collect();
    for w in &mut waiters {
        assert!(w.poll().is_none());
    }
    drop(all);
    let mut held = Vec::new();
    // Drive only woken futures until nothing is woken any more.
    loop {
        let mut progress = false;
        for w in &mut waiters {
            if let Some(h) = w.poll_if_woken() {
                held.push(h);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    assert_eq!(held.len(), 3, "every waiter was woken and served");
    assert_eq!(pool.waiting(), 0);
}

// ---------------------------------------------------------------------------
// Fairness.

#[test]
fn a_waiting_group_is_not_starved_by_single_reservations() {
    within("group among singles", || {
        const CAPACITY: usize = 4;
        let pool = Arc::new(SeatPool::new(CAPACITY));
        let stop = Arc::new(AtomicBool::new(false));
        // A steady stream of single waiting reservations, from several threads.
        let singles: Vec<_> = (0..4)
            .map(|_| {
                let (pool, stop) = (Arc::clone(&pool), Arc::clone(&stop));
                thread::spawn(move || {
                    let mut served = 0_usize;
                    while !stop.load(Ordering::SeqCst) {
                        let seat = pool.reserve_blocking();
                        thread::yield_now();
                        drop(seat);
                        served += 1;
                    }
                    served
                })
            })
            .collect();
        // Let the stream run, then ask for a group of 3 in the middle of it.
        thread::sleep(Duration::from_millis(20));
        for _ in 0..5 {
            let group = pool.reserve_many_blocking(3).unwrap();
            assert_eq!(group.len(), 3);
        }
        stop.store(true, Ordering::SeqCst);
        let served: usize = singles.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(served > 0);
        assert_eq!(pool.available(), CAPACITY);
        assert_eq!(pool.waiting(), 0);
    });
}

#[test]
fn once_a_group_waits_singles_queue_behind_it_but_try_reserve_barges() {
    within("queue order", || {
        let pool = Arc::new(SeatPool::new(4));
        let held = pool.try_reserve_many(4).unwrap().confirm();
        let group = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || pool.reserve_many_blocking(3).unwrap().confirm())
        };
        until_waiting(&pool, 1);
        // A single waiter comes after the group.
        let mut single = Driven::new(one(&pool));
        assert!(single.poll().is_none());
        assert_eq!(pool.waiting(), 2);

        let mut held = held.into_iter();
        pool.cancel(held.next().unwrap()).unwrap();
        // One seat is free, but the group is first: waiting calls queue behind it.
        assert_eq!(pool.available(), 1);
        assert!(pool.reserve_timeout(Duration::ZERO).is_none());
        assert!(single.poll().is_none());
        // try_reserve ignores the queue (documented barging).
        let barged = pool.try_reserve().expect("try_reserve barges");
        drop(barged);

        for t in held {
            pool.cancel(t).unwrap();
        }
        // The group is served first (3 of 4 seats), then the single.
        let tickets = group.join().unwrap();
        assert_eq!(tickets.len(), 3);
        let mut served = None;
        while served.is_none() {
            served = single.poll();
            thread::yield_now();
        }
        drop(served);
        for t in tickets {
            pool.cancel(t).unwrap();
        }
        assert_eq!(pool.available(), 4);
        assert_eq!(pool.waiting(), 0);
    });
}

#[test]
fn singles_are_served_in_fifo_order() {
    let pool = SeatPool::new(1);
    let held = pool.try_reserve().unwrap();
    let mut waiters: Vec<Driven<'_>> = (0..4).map(|_| Driven::new(one(&pool))).collect();
    for w in &mut waiters {
        assert!(w.poll().is_none());
    }
    drop(held);
    for i in 0..4 {
        // Only the head was woken; it is served, the rest stay queued.
        let seat = waiters[i].poll_if_woken().expect("the head was woken");
        for later in &mut waiters[i + 1..] {
            assert!(later.poll_if_woken().is_none());
            assert!(later.poll().is_none(), "a later waiter overtook the head");
        }
        drop(seat);
    }
    assert_eq!(pool.waiting(), 0);
    assert_eq!(pool.available(), 1);
}

// ---------------------------------------------------------------------------
// Cancel safety.

#[test]
fn dropping_a_future_at_any_poll_point_keeps_the_pool_exact() {
    // Futures: a group of 2, a single, a group of 3, a single, on a full pool of
    // 3. Script: release the held seats one at a time, each release followed
    // by polling the woken futures; every served future's seats are released
    // again later. A drop point sits after every first poll, after every
    // release (before the woken futures are polled: a dropped future may hold a
    // wakeup) and after every round of polls.
    let mut points = 0;
    for victim in 0..4 {
        let mut at = 0;
        loop {
            let (total, dropped) = script(victim, at);
            points = points.max(total);
            if !dropped {
                break;
            }
            at += 1;
        }
    }
    assert!(points > 20, "the script has drop points ({points})");
}

/// One run of the script above, cancelling future `victim` at drop point `at`.
/// Returns the number of drop points passed and whether the victim was dropped
/// while still pending.
fn script(victim: usize, at: usize) -> (usize, bool) {
    const CAPACITY: usize = 3;
    let pool = SeatPool::new(CAPACITY);
    let mut held: Vec<Held<'_>> = (0..CAPACITY)
        .map(|_| Held::One(pool.try_reserve().unwrap()))
        .collect();
    let mut futures: Vec<Driven<'_>> = vec![
        Driven::new(group(&pool, 2)),
        Driven::new(one(&pool)),
        Driven::new(group(&pool, 3)),
        Driven::new(one(&pool)),
    ];
    let mut point = 0;
    let mut dropped = false;
    let mut drop_point = |futures: &mut [Driven<'_>]| {
        if point == at && futures[victim].is_pending() {
            futures[victim].future = None;
            dropped = true;
        }
        point += 1;
    };
    for i in 0..futures.len() {
        assert!(futures[i].poll().is_none(), "the pool is full");
        drop_point(&mut futures);
    }
    assert!(pool.waiting() <= 4);
    // Release seats one at a time until every future is done or dropped; the
    // seats a served future got go back at the end of the queue of releases.
    let mut served = 0;
    while !held.is_empty() {
        let h = held.remove(0);
        drop(h);
        drop_point(&mut futures);
        for i in 0..futures.len() {
            if let Some(h) = futures[i].poll_if_woken() {
                assert_eq!(
                    h.len(),
                    [2, 1, 3, 1][i],
                    "future {i} got the wrong number of seats"
                );
                served += 1;
                held.push(h);
            }
            drop_point(&mut futures);
        }
    }
    // Every future is served or was dropped: none was left with no wakeup.
    for (i, f) in futures.iter().enumerate() {
        assert!(
            !f.is_pending(),
            "victim {victim} at {at}: future {i} still pending with every seat free (a swallowed wakeup)"
        );
    }
    assert_eq!(served + usize::from(dropped), 4);
    assert_eq!(
        pool.available(),
        CAPACITY,
        "victim {victim} at {at}: the count is off"
    );
    assert_eq!(pool.waiting(), 0);
    // Every seat is really free.
    assert_eq!(
        pool.try_reserve_many(CAPACITY).map(|g| g.len()),
        Some(CAPACITY)
    );
    (point, dropped)
}

#[test]
fn timeouts_and_select_never_leak_or_lose_a_seat() {
    static POOL: ArraySeatPool<1> = ArraySeatPool::new(3);
    within("timeouts", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let timed_out = Arc::new(AtomicUsize::new(0));
        runtime.block_on(async {
            let tasks: Vec<_> = (0..48_u64)
                .map(|i| {
                    let (served, timed_out) = (Arc::clone(&served), Arc::clone(&timed_out));
                    tokio::spawn(async move {
                        for round in 0..30_u64 {
                            let patience = Duration::from_micros((i * 7 + round * 13) % 200);
                            let got = if i % 4 == 0 {
                                tokio::time::timeout(patience, POOL.reserve_many(2))
                                    .await
                                    .map(|g| g.unwrap().len())
                                    .map_err(|_| ())
                            } else if i % 4 == 1 {
                                // select!: the losing branch's future is dropped.
                                tokio::select! {
                                    seat = POOL.reserve() => Ok(usize::from(seat.id() < 3)),
                                    () = tokio::time::sleep(patience) => Err(()),
                                }
                            } else {
                                tokio::time::timeout(patience, POOL.reserve())
                                    .await
                                    .map(|_| 1)
                                    .map_err(|_| ())
                            };
                            let got: Result<usize, ()> = got;
                            match got {
                                Ok(_) => served.fetch_add(1, Ordering::Relaxed),
                                Err(_) => timed_out.fetch_add(1, Ordering::Relaxed),
                            };
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(
            served.load(Ordering::Relaxed) + timed_out.load(Ordering::Relaxed),
            48 * 30
        );
        assert_eq!(POOL.available(), 3);
        assert_eq!(POOL.waiting(), 0);
        // A waiter still gets a seat afterwards: no wakeup or count was lost.
        let held = POOL.try_reserve_many(3).unwrap();
        thread::scope(|s| {
            let waiter = s.spawn(|| POOL.reserve_blocking().id());
            while POOL.waiting() != 1 {
                thread::yield_now();
            }
            drop(held);
            assert!(waiter.join().unwrap() < 3);
        });
    });
}

// ---------------------------------------------------------------------------
// Errors, timeouts, static pools.

#[test]
fn impossible_groups_fail_at_once() {
    let pool = SeatPool::new(3);
    let _all = pool.try_reserve_many(3).unwrap(); // full: a wait would be forever
    for k in [0, 4, usize::MAX] {
        let expected = SeatError::GroupSize { k, capacity: 3 };
        assert_eq!(pool.reserve_many_blocking(k).unwrap_err(), expected);
        assert_eq!(
            futures::executor::block_on(pool.reserve_many(k)).unwrap_err(),
            expected
        );
    }
    assert_eq!(pool.waiting(), 0);
    assert!(SeatError::GroupSize { k: 0, capacity: 3 }
        .to_string()
        .contains("1..=3"));
}

#[test]
fn reserve_timeout_gives_up_and_leaves_the_queue() {
    let pool = SeatPool::new(1);
    let held = pool.reserve_timeout(Duration::from_secs(60)).unwrap();
    assert!(pool.reserve_timeout(Duration::from_millis(5)).is_none());
    assert_eq!(pool.waiting(), 0);
    assert_eq!(pool.available(), 0);
    drop(held);
    assert_eq!(pool.available(), 1);
    // A huge timeout is no deadline at all, not an overflow.
    assert!(pool.reserve_timeout(Duration::MAX).is_some());
}

#[test]
fn waiting_works_on_a_static_array_pool() {
    static SLOTS: ArraySeatPool<1> = ArraySeatPool::new(2);
    within("static pool", || {
        let pair = SLOTS.reserve_many_blocking(2).unwrap();
        let waiter = thread::spawn(|| SLOTS.reserve_blocking().id());
        while SLOTS.waiting() != 1 {
            thread::yield_now();
        }
        drop(pair);
        assert!(waiter.join().unwrap() < 2);
        assert_eq!(SLOTS.available(), 2);
    });
}

#[test]
fn the_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let pool = SeatPool::new(1);
    is_send(&pool.reserve());
    is_send(&pool.reserve_many(1));
}
