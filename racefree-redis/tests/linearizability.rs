//! Histories from many concurrent Redis clients (threads, each call on its own
//! connection) checked by the shared linearizability checker against the same
//! sequential models as the in-process types: `SeatModel` with **no slack** (each
//! operation is one script, so the pool must be exactly linearizable),
//! `BoundedModel` and `CounterModel`. A naive GET-then-SET counter on the same
//! server is the control: the checker must reject it.
//!
//! `lin_redis_seat_pool_across_processes` checks the pool with histories from
//! several OS processes (this binary re-run as clients) instead of threads;
//! `lin_redis_seat_pool_async_client` (feature `tokio`) the async pool, each
//! worker thread driving its calls with `block_on` on one shared runtime.
//!
//! Leases are the default 30 s, far longer than a round, so no hold lapses inside
//! one. `LIN_ROUNDS=n` overrides the round counts.

mod common;

use common::server;
use racefree_conformance::checker::SequentialModel;
use racefree_conformance::harness::{Expect, Shape};
use racefree_conformance::models::{BoundedModel, BoundedOp, SeatErr, SeatModel};
use racefree_conformance::processes::{process_campaign, run_as_pool_child, ProcessShape};
use racefree_conformance::subjects::{
    bounded_campaign, bounded_rejection, counter_campaign, pool_all_free, pool_campaign,
    BoundedLike, CounterLike, PoolLike,
};
use racefree_conformance::support::fresh_name;
#[cfg(feature = "tokio")]
use racefree_redis::aio::{AsyncHold, AsyncHolds, AsyncRedisSeatPool};
use racefree_redis::redis::{self, Commands};
use racefree_redis::{Hold, Holds, RedisBoundedCounter, RedisCounter, RedisSeatPool, Ticket};
use std::sync::Mutex;

fn fresh(prefix: &str) -> String {
    fresh_name(prefix, '-')
}

// ---------------------------------------------------------------- subjects

struct Pool(RedisSeatPool);

/// A booking of either client: one seat's hold `H`, a group's `G`, or tickets.
enum Booking<H, G> {
    One(H),
    Group(G),
    Tickets(Vec<Ticket>),
}

impl PoolLike for Pool {
    type Held<'a> = Booking<Hold<'a>, Holds<'a>>;
    fn capacity(&self) -> usize {
        self.0.capacity()
    }
    fn try_reserve(&self) -> Option<(usize, Self::Held<'_>)> {
        let h = self.0.try_reserve().expect("try_reserve")?;
        Some((h.id(), Booking::One(h)))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<Self::Held<'_>, SeatErr> {
        match self.0.try_reserve_seat(id) {
            Ok(Some(h)) => Ok(Booking::One(h)),
            Ok(None) => Err(SeatErr::Taken),
            Err(racefree_redis::Error::SeatOutOfRange { .. }) => Err(SeatErr::OutOfRange),
            Err(e) => panic!("try_reserve_seat: {e}"),
        }
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, Self::Held<'_>)> {
        let g = self.0.try_reserve_many(k).expect("try_reserve_many")?;
        Some((g.ids().to_vec(), Booking::Group(g)))
    }
    fn confirm<'a>(&'a self, held: Self::Held<'a>) -> Self::Held<'a> {
        match held {
            Booking::One(h) => Booking::Tickets(vec![h.confirm().expect("confirm")]),
            Booking::Group(g) => Booking::Tickets(g.confirm().expect("confirm group")),
            t => t,
        }
    }
    fn release<'a>(&'a self, held: Self::Held<'a>) {
        match held {
            Booking::One(h) => h.release().expect("release"),
            Booking::Group(g) => g.release().expect("release group"),
            // One atomic step for the whole group, as the model's Release says.
            Booking::Tickets(ts) => self.0.cancel_many(ts).expect("own tickets refused"),
        }
    }
    fn available(&self) -> usize {
        self.0.available().expect("available")
    }
}

/// The async pool (feature `tokio`) in the same workload: each worker thread
/// drives its calls to completion with `block_on` on one shared multi-thread
/// runtime, where the handle's connection lives.
#[cfg(feature = "tokio")]
struct AsyncPool {
    pool: AsyncRedisSeatPool,
    rt: &'static tokio::runtime::Runtime,
}

#[cfg(feature = "tokio")]
impl PoolLike for AsyncPool {
    type Held<'a> = Booking<AsyncHold, AsyncHolds>;
    fn capacity(&self) -> usize {
        self.pool.capacity()
    }
    fn try_reserve(&self) -> Option<(usize, Self::Held<'_>)> {
        let h = self
            .rt
            .block_on(self.pool.try_reserve())
            .expect("reserve")?;
        Some((h.id(), Booking::One(h)))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<Self::Held<'_>, SeatErr> {
        match self.rt.block_on(self.pool.try_reserve_seat(id)) {
            Ok(h) => h.map(Booking::One).ok_or(SeatErr::Taken),
            Err(racefree_redis::Error::SeatOutOfRange { .. }) => Err(SeatErr::OutOfRange),
            Err(e) => panic!("try_reserve_seat: {e}"),
        }
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, Self::Held<'_>)> {
        let g = self
            .rt
            .block_on(self.pool.try_reserve_many(k))
            .expect("many")?;
        Some((g.ids().to_vec(), Booking::Group(g)))
    }
    fn confirm<'a>(&'a self, held: Self::Held<'a>) -> Self::Held<'a> {
        let tickets = match held {
            Booking::One(h) => self.rt.block_on(h.confirm()).map(|t| vec![t]),
            Booking::Group(g) => self.rt.block_on(g.confirm()),
            Booking::Tickets(ts) => Ok(ts),
        };
        Booking::Tickets(tickets.expect("confirm"))
    }
    fn release<'a>(&'a self, held: Self::Held<'a>) {
        let released = match held {
            Booking::One(h) => self.rt.block_on(h.release()),
            Booking::Group(g) => self.rt.block_on(g.release()),
            // One atomic step for the whole group, as the model's Release says.
            Booking::Tickets(ts) => self.rt.block_on(self.pool.cancel_many(ts)),
        };
        released.expect("release");
    }
    fn available(&self) -> usize {
        self.rt.block_on(self.pool.available()).expect("available")
    }
}

struct Bounded(RedisBoundedCounter);

impl BoundedLike for Bounded {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        self.0.try_add(n).expect("try_add")
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        self.0.try_sub(n).expect("try_sub")
    }
    fn get(&self) -> u64 {
        self.0.get().expect("get")
    }
}

struct Ids(RedisCounter);

/// `RedisCounter` has no conditional update (a closure cannot run on the
/// server), so its workload is increment / add / get.
impl CounterLike for Ids {
    const CONDITIONAL: bool = false;
    fn increment(&self) -> u64 {
        self.0.increment().expect("increment")
    }
    fn add(&self, n: u64) -> u64 {
        self.0.add(n).expect("add")
    }
    fn get(&self) -> u64 {
        self.0.get().expect("get")
    }
    fn add_up_to(&self, _: u64, _: u64) -> Result<u64, u64> {
        unreachable!("not generated")
    }
}

/// The check-then-act bug on Redis: GET, decide, SET (one connection per call
/// from a small cache; no script, no WATCH).
struct NaiveBounded {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    key: String,
    max: u64,
}

impl NaiveBounded {
    fn with_conn<T>(&self, f: impl FnOnce(&mut redis::Connection) -> T) -> T {
        let cached = self.idle.lock().unwrap().pop();
        let mut c = cached.unwrap_or_else(|| self.client.get_connection().unwrap());
        let out = f(&mut c);
        self.idle.lock().unwrap().push(c);
        out
    }
    fn change(&self, n: u64, add: bool) -> Result<u64, u64> {
        self.with_conn(|c| {
            let v: u64 = c.get(&self.key).unwrap();
            let ok = if add { v + n <= self.max } else { n <= v };
            if !ok {
                return Err(v);
            }
            std::thread::yield_now();
            let next = if add { v + n } else { v - n };
            let _: () = c.set(&self.key, next).unwrap();
            Ok(v)
        })
    }
}

impl BoundedLike for NaiveBounded {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        self.change(n, true)
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        self.change(n, false)
    }
    fn get(&self) -> u64 {
        self.with_conn(|c| c.get(&self.key).unwrap())
    }
}

// ---------------------------------------------------------------- campaigns

fn seat_campaign(url: &str, capacity: usize, shape: Shape) {
    let (tally, _) = pool_campaign(
        &format!("RedisSeatPool({capacity}) exact model"),
        shape,
        0,
        || Pool(RedisSeatPool::create(url, &fresh("lin-pool"), capacity).unwrap()),
        Expect::Linearizable,
    );
    assert_eq!(tally.histories, shape.rounds);
}

#[test]
fn lin_redis_seat_pool() {
    let srv = server();
    let url = srv.url();
    seat_campaign(&url, 8, Shape::new(4, 6, 150));
    // Capacity 3: "full" answers all the time, checked exactly (no slack).
    seat_campaign(&url, 3, Shape::new(4, 6, 150));
}

/// The async client: the same exact model, histories from worker threads that
/// each `block_on` their calls on one shared tokio runtime.
#[cfg(feature = "tokio")]
#[test]
fn lin_redis_seat_pool_async_client() {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    });
    let srv = server();
    let url = srv.url();
    for capacity in [8, 3] {
        let (tally, _) = pool_campaign(
            &format!("AsyncRedisSeatPool({capacity}) exact model"),
            Shape::new(4, 6, 100),
            0,
            || {
                let name = fresh("lin-async-pool");
                let pool = rt.block_on(AsyncRedisSeatPool::create(url.as_str(), &name, capacity));
                AsyncPool {
                    pool: pool.unwrap(),
                    rt,
                }
            },
            Expect::Linearizable,
        );
        assert_eq!(tally.histories, Shape::new(4, 6, 100).rounds);
    }
}

#[test]
fn lin_redis_bounded_counter() {
    let srv = server();
    let url = srv.url();
    bounded_campaign(
        "RedisBoundedCounter(2, max 4)",
        Shape::new(4, 6, 200),
        2,
        4,
        || {
            let c = RedisBoundedCounter::create(url.as_str(), &fresh("lin-b"), 2, 4).unwrap();
            assert_eq!(c.max(), 4, "max() reads back the bound");
            Bounded(c)
        },
    );
}

#[test]
fn lin_redis_counter() {
    let srv = server();
    let url = srv.url();
    counter_campaign("RedisCounter", Shape::new(4, 6, 200), || {
        Ids(RedisCounter::create(url.as_str(), &fresh("lin-c"), 0).unwrap())
    });
}

/// The control: the same checker, the same workload, a GET/check/SET counter on
/// the same server. It must be caught.
#[test]
fn lin_naive_get_set_is_rejected() {
    let srv = server();
    let url = srv.url();
    let s = Shape {
        rounds: 500,
        ..Shape::new(4, 6, 0)
    };
    bounded_rejection("naive GET/SET bounded counter on Redis", s, 4, || {
        let key = fresh("naive");
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut c = client.get_connection().unwrap();
        let _: () = c.set(&key, 2).unwrap();
        NaiveBounded {
            client,
            idle: Mutex::new(vec![c]),
            key,
            max: 4,
        }
    });
    let _ = BoundedOp::Get; // the workload's ops, for the reader
    let _: fn(&BoundedModel, &BoundedOp, &Result<u64, u64>) -> Option<BoundedModel> =
        SequentialModel::step;
}

// ---------------------------------------------------------------- processes

/// Histories from several OS processes: each round, three copies of this test
/// binary open the same `RedisSeatPool` (the parent's server URL and the
/// pool's name) and run the seat workload on it at once, recording on the
/// system-wide monotonic clock; the parent merges and checks the history with
/// the same exact model (`racefree_conformance::processes`).
#[test]
fn lin_redis_seat_pool_across_processes() {
    if run_as_pool_child(|spec| {
        let (url, name) = spec.address.split_once(' ').expect("URL NAME");
        Pool(RedisSeatPool::open(url, name).expect("open the parent's pool"))
    }) {
        return;
    }
    let srv = server();
    let url = srv.url();
    for (capacity, rounds) in [(8, 100), (3, 60)] {
        let (tally, _) = process_campaign(
            &format!("RedisSeatPool({capacity}) across processes, exact model"),
            "lin_redis_seat_pool_across_processes",
            ProcessShape::new(3, 8, rounds),
            || {
                let name = fresh("lin-proc-pool");
                let pool = Pool(RedisSeatPool::create(url.as_str(), &name, capacity).unwrap());
                (format!("{url} {name}"), pool)
            },
            |p| SeatModel::new(p.capacity(), 0),
            pool_all_free,
            Expect::Linearizable,
        );
        assert_eq!(tally.histories, rounds);
    }
}
