//! The async API (feature `tokio`) against a real `redis-server` started by each
//! test (127.0.0.1, temporary directory, killed on drop): the same contracts as
//! `contract.rs`, on a multi-thread tokio runtime, and many tasks at once on one
//! shared handle (its one multiplexed connection).
#![cfg(feature = "tokio")]

mod common;

use common::{assert_tiles, raw, server};
use racefree_conformance::server::RedisServer;
use racefree_redis::aio::{
    AsyncHold, AsyncHolds, AsyncRedisBoundedCounter, AsyncRedisCounter, AsyncRedisSeatPool,
};
use racefree_redis::redis::{self, Commands};
use racefree_redis::{Config, Error, RequestId, Ticket, MAX_VALUE};
use std::future::Future;
use std::time::{Duration, Instant};

/// Awaits the future `$call` and asserts that it failed with an error matching
/// the pattern `$err`.
macro_rules! fails {
    ($call:expr, $err:pat) => {
        match $call.await {
            Err($err) => {}
            Err(other) => panic!("expected {}, got {other:?}", stringify!($err)),
            Ok(_) => panic!("expected {}, got Ok", stringify!($err)),
        }
    };
}

/// A lease short enough for a test to wait out.
const SHORT_LEASE: Duration = Duration::from_millis(200);

/// Polls `cond` every 20 ms until it holds or `limit` passes (at most 1000
/// polls); whether it held.
async fn eventually<F: Future<Output = bool>>(
    limit: Duration,
    mut cond: impl FnMut() -> F,
) -> bool {
    let start = Instant::now();
    for _ in 0..1000 {
        if cond().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond().await
}

/// The pool `name` of `capacity` seats, created on `srv`.
async fn created(srv: &RedisServer, name: &str, capacity: usize) -> AsyncRedisSeatPool {
    AsyncRedisSeatPool::create(srv.url(), name, capacity)
        .await
        .expect("create the pool")
}

/// Runs `task(t)` for each `t` in `0..n` as tokio tasks, all at once, and
/// returns their answers in order (a panic in one fails the test).
async fn on_tasks<T, F>(n: usize, task: impl Fn(usize) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|t| tokio::spawn(task(t))).collect();
    let mut answers = Vec::with_capacity(n);
    for h in handles {
        answers.push(h.await.expect("a task panicked"));
    }
    answers
}

/// Every handle and hold can move into a spawned task.
#[test]
fn handles_are_send_sync_static() {
    fn spawnable<T: Send + Sync + 'static>() {}
    spawnable::<AsyncRedisSeatPool>();
    spawnable::<AsyncHold>();
    spawnable::<AsyncHolds>();
    spawnable::<AsyncRedisCounter>();
    spawnable::<AsyncRedisBoundedCounter>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_confirm_cancel() {
    let srv = server();
    let pool = created(&srv, "show", 3).await;
    assert_eq!((pool.capacity(), pool.name()), (3, "show"));
    assert_eq!(pool.available().await.unwrap(), 3);

    let hold = pool.try_reserve().await.unwrap().expect("a free seat");
    let id = hold.id();
    assert!(id < 3);
    assert_eq!(pool.available().await.unwrap(), 2);
    let ticket = hold.confirm().await.unwrap();
    assert_eq!(ticket.id(), id);

    // A dropped hold frees its seat (in a spawned task); a ticket stays booked.
    let other = pool.try_reserve().await.unwrap().unwrap();
    assert_ne!(other.id(), id);
    drop(other);
    assert!(
        eventually(Duration::from_secs(10), || async {
            pool.available().await.unwrap() == 2
        })
        .await,
        "a dropped hold was not released"
    );
    let (tid, token) = (ticket.id(), ticket.token().to_string());
    drop(ticket);
    assert!(pool.try_reserve_seat(tid).await.unwrap().is_none());
    pool.cancel(Ticket::from_parts(tid, token.clone()))
        .await
        .unwrap();
    assert_eq!(pool.available().await.unwrap(), 3);
    // The same ticket cannot release the seat again once it is resold.
    let resold = pool.try_reserve_seat(tid).await.unwrap().unwrap();
    let resold = resold.confirm().await.unwrap();
    assert!(matches!(
        pool.cancel(Ticket::from_parts(tid, token)).await,
        Err(Error::NotBooked { seat }) if seat == tid
    ));
    pool.cancel(resold).await.unwrap();

    // A reopened handle (and a clone) see the same pool.
    let again = AsyncRedisSeatPool::open(srv.url(), "show").await.unwrap();
    assert_eq!(again.capacity(), 3);
    let h = again.try_reserve_seat(2).await.unwrap().unwrap();
    assert!(pool.clone().try_reserve_seat(2).await.unwrap().is_none());
    h.renew().await.unwrap();
    h.release().await.unwrap();
    assert_eq!(pool.available().await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_all_or_nothing() {
    let srv = server();
    let pool = created(&srv, "groups", 5).await;
    let single = pool.try_reserve_seat(2).await.unwrap().unwrap();
    let group = pool
        .try_reserve_many(4)
        .await
        .unwrap()
        .expect("4 of 4 free");
    assert_eq!(group.ids(), &[0, 1, 3, 4]);
    assert_eq!(group.len(), 4);
    assert!(pool.try_reserve_many(1).await.unwrap().is_none());
    single.release().await.unwrap();
    // One free seat: a group of 2 fails and keeps nothing.
    assert!(pool.try_reserve_many(2).await.unwrap().is_none());
    assert_eq!(pool.available().await.unwrap(), 1);
    group.renew().await.unwrap();
    let tickets = group.confirm().await.unwrap();
    assert_eq!(
        tickets.iter().map(Ticket::id).collect::<Vec<_>>(),
        [0, 1, 3, 4]
    );
    // Cancel all or nothing: one stale ticket in the list cancels none.
    let stale: Vec<Ticket> = tickets
        .iter()
        .map(|t| Ticket::from_parts(t.id(), t.token()))
        .chain([Ticket::from_parts(2, "not-a-token")])
        .collect();
    assert!(matches!(
        pool.cancel_many(stale).await,
        Err(Error::NotBooked { seat: 2 })
    ));
    assert_eq!(pool.available().await.unwrap(), 1);
    pool.cancel_many(tickets).await.unwrap();
    pool.cancel_many(Vec::new()).await.unwrap();
    let all = pool.try_reserve_many(5).await.unwrap().unwrap();
    assert_eq!(all.ids(), &[0, 1, 2, 3, 4]);
    all.release().await.unwrap();
    assert_eq!(pool.available().await.unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_expiry_fences_a_late_confirm() {
    let srv = server();
    let slow = created(&srv, "fence", 1)
        .await
        .with_config(Config::default().lease(SHORT_LEASE));
    assert_eq!(slow.config().lease, SHORT_LEASE);
    let fast = AsyncRedisSeatPool::open(srv.url(), "fence").await.unwrap();
    let hold = slow.try_reserve().await.unwrap().unwrap();
    assert!(slow.try_reserve_many(1).await.unwrap().is_none());
    assert!(
        eventually(Duration::from_secs(10), || async {
            fast.available().await.unwrap() == 1
        })
        .await,
        "the lease never ended"
    );
    assert!(matches!(
        hold.renew().await,
        Err(Error::HoldExpired { seat: 0 })
    ));
    // Someone else takes the seat; the late confirm must not book it.
    let theirs = fast.try_reserve().await.unwrap().expect("free after lease");
    match hold.confirm().await {
        Err(e @ Error::HoldExpired { seat: 0 }) => assert!(e.to_string().contains("expired")),
        other => panic!("late confirm should fail, got {other:?}"),
    }
    assert_eq!(fast.available().await.unwrap(), 0);
    fast.cancel(theirs.confirm().await.unwrap()).await.unwrap();

    // A group whose lease lapsed: nothing booked.
    let g = slow.try_reserve_many(1).await.unwrap().unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            fast.available().await.unwrap() == 1
        })
        .await
    );
    assert!(matches!(g.confirm().await, Err(Error::HoldExpired { .. })));
    assert_eq!(fast.available().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_with_the_same_request_id_acts_once() {
    let srv = server();
    let pool = created(&srv, "idem", 4).await;
    let rid = RequestId::new();
    let a = pool.try_reserve_with(&rid).await.unwrap().unwrap();
    let b = pool.try_reserve_with(&rid).await.unwrap().unwrap();
    assert_eq!((a.id(), a.token()), (b.id(), b.token()));
    assert_eq!(a.token(), rid.as_str());
    assert_eq!(pool.available().await.unwrap(), 3, "the retry took a seat");
    let confirm_rid = RequestId::new();
    let t1 = a.confirm_with(&confirm_rid).await.unwrap();
    let t2 = b.confirm_with(&confirm_rid).await.unwrap();
    assert_eq!(t1, t2);
    let cancel_rid = RequestId::new();
    pool.cancel_with(t1, &cancel_rid).await.unwrap();
    pool.cancel_with(t2, &cancel_rid).await.unwrap(); // the first answer
    assert_eq!(pool.available().await.unwrap(), 4);

    let g = RequestId::from_string("group-1").unwrap();
    let g1 = pool.try_reserve_many_with(3, &g).await.unwrap().unwrap();
    let g2 = pool.try_reserve_many_with(3, &g).await.unwrap().unwrap();
    assert_eq!(g1.ids(), g2.ids());
    assert_eq!(pool.available().await.unwrap(), 1);
    let c = RequestId::new();
    let t1 = g1.confirm_with(&c).await.unwrap();
    assert_eq!(g2.confirm_with(&c).await.unwrap(), t1);
    let s = RequestId::new();
    let s1 = pool
        .try_reserve_seat_with(3, &s)
        .await
        .unwrap()
        .map(|h| h.id());
    let s2 = pool
        .try_reserve_seat_with(3, &s)
        .await
        .unwrap()
        .map(|h| h.id());
    assert_eq!(s1, s2);
    // One id, two different calls: refused.
    assert!(matches!(
        pool.try_reserve_seat_with(0, &g).await,
        Err(Error::RequestIdReused { .. })
    ));
    pool.cancel_many_with(t1, &RequestId::new()).await.unwrap();

    let c = AsyncRedisCounter::create(srv.url(), "idem-c", 10)
        .await
        .unwrap();
    let r = RequestId::new();
    assert_eq!(c.add_with(5, &r).await.unwrap(), 10);
    assert_eq!(c.add_with(5, &r).await.unwrap(), 10);
    assert_eq!(c.get().await.unwrap(), 15);
    let r = RequestId::new();
    assert_eq!(c.increment_with(&r).await.unwrap(), 15);
    assert_eq!(c.increment_with(&r).await.unwrap(), 15);
    assert!(matches!(
        c.add_with(6, &r).await,
        Err(Error::RequestIdReused { .. })
    ));

    let b = AsyncRedisBoundedCounter::create(srv.url(), "idem-b", 3, 5)
        .await
        .unwrap();
    let r = RequestId::new();
    assert_eq!(b.try_sub_with(2, &r).await.unwrap(), Ok(3));
    assert_eq!(b.try_sub_with(2, &r).await.unwrap(), Ok(3));
    assert_eq!(b.get().await.unwrap(), 1);
    let r = RequestId::new();
    assert_eq!(b.try_add_with(9, &r).await.unwrap(), Err(1));
    assert_eq!(b.try_add_with(9, &r).await.unwrap(), Err(1));
}

/// Many tasks on one multi-thread runtime, sharing one handle (and its one
/// multiplexed connection) or each opening its own, race for the last seats:
/// every seat is sold exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn last_seats_are_sold_once_under_many_tasks() {
    const TASKS: usize = 32;
    let srv = server();
    let url = srv.url();
    for round in 0..10 {
        let name = format!("last-{round}");
        let shared = AsyncRedisSeatPool::create(url.as_str(), &name, 1)
            .await
            .unwrap();
        let wins: usize = on_tasks(TASKS, |t| {
            let (shared, url, name) = (shared.clone(), url.clone(), name.clone());
            async move {
                // Half share one handle, half are clients of their own.
                let pool = if t % 2 == 0 {
                    shared
                } else {
                    AsyncRedisSeatPool::open(url, &name).await.unwrap()
                };
                match pool.try_reserve().await.unwrap() {
                    Some(h) => usize::from(h.confirm().await.is_ok()),
                    None => 0,
                }
            }
        })
        .await
        .into_iter()
        .sum();
        assert_eq!(
            wins, 1,
            "round {round}: the last seat was sold {wins} times"
        );
        assert_eq!(shared.available().await.unwrap(), 0);
    }

    // A bigger pool drained by many tasks, singles and groups of 3.
    let pool = created(&srv, "drain", 40).await;
    let mut sold = on_tasks(TASKS, |t| {
        let pool = pool.clone();
        async move {
            let mut mine = Vec::new();
            for _ in 0..100 {
                let got = if t % 2 == 0 {
                    match pool.try_reserve().await.unwrap() {
                        Some(h) => Some(vec![h.confirm().await.unwrap()]),
                        None => None,
                    }
                } else {
                    match pool.try_reserve_many(3).await.unwrap() {
                        Some(g) => Some(g.confirm().await.unwrap()),
                        None => None,
                    }
                };
                match got {
                    Some(ts) => mine.extend(ts.iter().map(Ticket::id)),
                    None if pool.available().await.unwrap() == 0 => break,
                    None => {}
                }
            }
            mine
        }
    })
    .await
    .concat();
    sold.sort_unstable();
    let each_once: Vec<usize> = (0..40).collect();
    assert_eq!(sold, each_once, "a seat sold twice, or not at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bounded_counter_stays_in_range_and_counter_never_repeats() {
    const MAX: u64 = 10;
    let srv = server();
    let c = AsyncRedisBoundedCounter::create(srv.url(), "coupons", 5, MAX)
        .await
        .unwrap();
    assert_eq!((c.max(), c.name()), (MAX, "coupons"));
    let net: i64 = on_tasks(16, |t| {
        let (c, t) = (c.clone(), t as u64);
        async move {
            let mut net = 0i64;
            for i in 0..30u64 {
                let n = 1 + (t + i) % 4;
                if (t + i) % 2 == 0 {
                    match c.try_add(n).await.unwrap() {
                        Ok(prev) => {
                            assert!(prev + n <= MAX, "over the limit");
                            net += n as i64;
                        }
                        Err(cur) => assert!(cur + n > MAX && cur <= MAX),
                    }
                } else {
                    match c.try_sub(n).await.unwrap() {
                        Ok(prev) => {
                            assert!(prev >= n, "below zero");
                            net -= n as i64;
                        }
                        Err(cur) => assert!(cur < n),
                    }
                }
            }
            net
        }
    })
    .await
    .into_iter()
    .sum();
    let now = c.get().await.unwrap();
    assert_eq!(now as i64, 5 + net);
    // Out of every range: the current value, nothing changed.
    assert_eq!(c.try_add(MAX_VALUE + 1).await.unwrap(), Err(now));
    assert_eq!(c.try_sub(MAX_VALUE + 1).await.unwrap(), Err(now));

    let ids = AsyncRedisCounter::create(srv.url(), "ids", 0)
        .await
        .unwrap();
    let ranges = on_tasks(16, |t| {
        let (ids, t) = (ids.clone(), t as u64);
        async move {
            let mut got = Vec::new();
            for i in 0..30u64 {
                let n = 1 + (t + i) % 3;
                let prev = if n == 1 {
                    ids.increment().await.unwrap()
                } else {
                    ids.add(n).await.unwrap()
                };
                got.push((prev, prev + n));
            }
            got
        }
    })
    .await
    .concat();
    assert_eq!(ids.get().await.unwrap(), assert_tiles(ranges));

    let big = AsyncRedisCounter::create(srv.url(), "big", MAX_VALUE - 1)
        .await
        .unwrap();
    assert_eq!(big.increment().await.unwrap(), MAX_VALUE - 1);
    assert!(matches!(
        big.add(1).await,
        Err(Error::Overflow { value, n: 1 }) if value == MAX_VALUE
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_the_blocking_apis() {
    let srv = server();
    let url = srv.url();
    let u = url.as_str();
    fails!(
        AsyncRedisSeatPool::create(u, "zero", 0),
        Error::ZeroCapacity
    );
    fails!(
        AsyncRedisSeatPool::create(u, "br{ace", 1),
        Error::BadName { .. }
    );
    fails!(
        AsyncRedisSeatPool::open(u, "nobody"),
        Error::NotCreated { .. }
    );
    let pool = AsyncRedisSeatPool::create(u, "p", 4).await.unwrap();
    fails!(
        pool.try_reserve_seat(4),
        Error::SeatOutOfRange { id: 4, capacity: 4 }
    );
    for k in [0, 5] {
        fails!(
            pool.try_reserve_many(k),
            Error::BadGroupSize { capacity: 4, .. }
        );
    }
    fails!(
        AsyncRedisSeatPool::create(u, "p", 4),
        Error::AlreadyExists { .. }
    );
    let wider = AsyncRedisSeatPool::open_or_create(u, "p", 5);
    fails!(
        wider,
        Error::CapacityMismatch {
            expected: 5,
            found: 4,
            ..
        }
    );
    let same = AsyncRedisSeatPool::open_or_create(u, "p", 4).await.unwrap();
    assert_eq!(same.capacity(), 4);
    assert!(format!("{same:?}").contains("AsyncRedisSeatPool"));

    // Someone else's data under our key; another kind under a name.
    let mut r = raw(&url);
    let _: () = r.set("racefree:{squatter}:meta", "hello").unwrap();
    fails!(
        AsyncRedisSeatPool::open(u, "squatter"),
        Error::WrongType { .. }
    );
    fails!(
        AsyncRedisCounter::open(u, "squatter"),
        Error::WrongType { .. }
    );
    AsyncRedisCounter::create(u, "ctr", 0).await.unwrap();
    fails!(AsyncRedisSeatPool::open(u, "ctr"), Error::WrongKind { .. });
    fails!(
        AsyncRedisBoundedCounter::open(u, "ctr"),
        Error::WrongKind { .. }
    );
    fails!(
        AsyncRedisCounter::create(u, "ctr", 0),
        Error::AlreadyExists { .. }
    );
    AsyncRedisCounter::open_or_create(u, "ctr", 0)
        .await
        .unwrap();
    let upside_down = AsyncRedisBoundedCounter::create(u, "b", 6, 5);
    fails!(upside_down, Error::BadCounter { initial: 6, max: 5 });
    AsyncRedisBoundedCounter::create(u, "b", 1, 5)
        .await
        .unwrap();
    let other_max = AsyncRedisBoundedCounter::open_or_create(u, "b", 1, 6);
    fails!(other_max, Error::CapacityMismatch { .. });
    let b = AsyncRedisBoundedCounter::open_or_create(u, "b", 1, 5).await;
    assert_eq!(b.unwrap().max(), 5);

    // A deleted pool: the handle says so.
    let _: () = r.del("racefree:{p}:meta").unwrap();
    fails!(pool.available(), Error::NotCreated { .. });

    // No server at all: a clear "unreachable", not a hang or a panic.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nowhere = format!("redis://127.0.0.1:{dead}/");
    fails!(
        AsyncRedisSeatPool::open(nowhere, "p"),
        Error::Unreachable(_)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_reloaded_after_script_flush() {
    let srv = server();
    let pool = created(&srv, "flush", 2).await;
    let c = AsyncRedisCounter::create(srv.url(), "flush-c", 0)
        .await
        .unwrap();
    let b = AsyncRedisBoundedCounter::create(srv.url(), "flush-b", 0, 1)
        .await
        .unwrap();
    let hold = pool.try_reserve().await.unwrap().unwrap();
    assert_eq!(c.increment().await.unwrap(), 0);
    let mut r = raw(&srv.url());
    let flush = |r: &mut redis::Connection| {
        let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(r).unwrap();
    };
    // Every call below first gets NOSCRIPT, loads its script and runs it once.
    flush(&mut r);
    let ticket = hold.confirm().await.unwrap();
    assert_eq!(pool.available().await.unwrap(), 1);
    flush(&mut r);
    assert_eq!(c.increment().await.unwrap(), 1);
    flush(&mut r);
    assert_eq!(b.try_add(1).await.unwrap(), Ok(0));
    flush(&mut r);
    pool.cancel(ticket).await.unwrap();
    assert_eq!(pool.available().await.unwrap(), 2);
}
