//! Histories from many concurrent PostgreSQL clients (threads, each call on a
//! connection of its own from a small cache, autocommit, READ COMMITTED) checked
//! by the shared linearizability checker against the same sequential models as
//! the in-process and Redis types: `SeatModel`, `BoundedModel` and
//! `CounterModel`. A naive SELECT-then-UPDATE counter on the same server is the
//! control: the checker must reject it.
//!
//! The seat pool is checked with the slack its docs state for SKIP LOCKED (a
//! seat locked by another in-flight claim may be skipped): `SEAT_SLACK`, the
//! same bound as the in-process pool. A slack-0 run fails (an `available()`
//! that counts a seat a concurrent group claim has locked but not committed,
//! next to a `try_reserve` that skipped it). The counters are checked exactly. Leases are the default 30 s, far longer than a
//! round. `LIN_ROUNDS=n` overrides the round counts.
//!
//! `lin_pg_seat_pool_across_processes` checks the pool with histories from
//! several OS processes (this binary re-run as clients) instead of threads.

mod common;

use common::{server, PgServer};
use racefree_conformance::harness::{Expect, Shape};
use racefree_conformance::models::{SeatErr, SeatModel};
use racefree_conformance::processes::{process_campaign, run_as_pool_child, ProcessShape};
use racefree_conformance::subjects::{
    bounded_campaign, bounded_rejection, counter_campaign, pool_all_free, pool_campaign,
    BoundedLike, CounterLike, PoolLike,
};
use racefree_conformance::support::fresh_name;
use racefree_postgres::postgres::Client;
use racefree_postgres::{Hold, PgBoundedCounter, PgCounter, PgSeatPool, Table, Ticket};
use std::sync::Mutex;

fn fresh(prefix: &str) -> Table {
    Table::new("lin", &fresh_name(prefix, '_')).unwrap()
}

/// Seats that other in-flight calls may have *promised* (see `SeatModel`):
/// `FOR UPDATE SKIP LOCKED` skips the rows another statement has locked to
/// claim, and those claims are not visible to `available()` until they commit
/// (see `PgSeatPool`'s docs). With 3 threads claiming at most 3 seats at a
/// time, the two others promise at most 3 each: the same bound as the
/// in-process `SeatPool`'s admission counter. Seats themselves are never
/// relaxed: no seat held twice, groups all or nothing, releases exact.
const THREADS: usize = 3;
const SEAT_SLACK: usize = (THREADS - 1) * 3;

/// Idle connections shared by a round's threads: a call pops one (or opens
/// one), uses it, and pushes it back. The mutex guards only the Vec.
struct Conns {
    url: String,
    idle: Mutex<Vec<Client>>,
}

impl Conns {
    fn new(srv: &PgServer) -> Self {
        Conns {
            url: srv.conn_str(),
            idle: Mutex::new(Vec::new()),
        }
    }
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> T) -> T {
        let cached = self.idle.lock().unwrap().pop();
        let mut c = cached.unwrap_or_else(|| racefree_postgres::connect(&self.url).unwrap());
        let out = f(&mut c);
        self.idle.lock().unwrap().push(c);
        out
    }
}

// ---------------------------------------------------------------- subjects

struct Pool<'s> {
    pool: PgSeatPool,
    conns: &'s Conns,
}

enum Booking {
    Held(Hold),
    Tickets(Vec<Ticket>),
}

impl PoolLike for Pool<'_> {
    type Held<'a>
        = Booking
    where
        Self: 'a;
    fn capacity(&self) -> usize {
        self.pool.capacity()
    }
    fn try_reserve(&self) -> Option<(usize, Booking)> {
        let h = self
            .conns
            .with(|c| self.pool.try_reserve(c))
            .expect("try_reserve")?;
        Some((h.id(), Booking::Held(h)))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<Booking, SeatErr> {
        match self.conns.with(|c| self.pool.try_reserve_seat(c, id)) {
            Ok(Some(h)) => Ok(Booking::Held(h)),
            Ok(None) => Err(SeatErr::Taken),
            Err(racefree_postgres::Error::SeatOutOfRange { .. }) => Err(SeatErr::OutOfRange),
            Err(e) => panic!("try_reserve_seat: {e}"),
        }
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, Booking)> {
        let g = self
            .conns
            .with(|c| self.pool.try_reserve_many(c, k))
            .expect("try_reserve_many")?;
        Some((g.ids().to_vec(), Booking::Held(g)))
    }
    fn confirm(&self, held: Booking) -> Booking {
        match held {
            Booking::Held(h) => Booking::Tickets(
                self.conns
                    .with(|c| self.pool.confirm(c, h))
                    .expect("confirm"),
            ),
            t => t,
        }
    }
    fn release(&self, held: Booking) {
        match held {
            Booking::Held(h) => {
                let n = h.len();
                let freed = self
                    .conns
                    .with(|c| self.pool.release(c, h))
                    .expect("release");
                assert_eq!(freed, n, "a live hold did not free all its seats");
            }
            // One statement for the whole group, as the model's Release says.
            Booking::Tickets(ts) => self
                .conns
                .with(|c| self.pool.cancel_many(c, ts))
                .expect("own tickets refused"),
        }
    }
    fn available(&self) -> usize {
        self.conns
            .with(|c| self.pool.available(c))
            .expect("available")
    }
}

struct Bounded<'s> {
    counter: PgBoundedCounter,
    conns: &'s Conns,
}

impl BoundedLike for Bounded<'_> {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        self.conns
            .with(|c| self.counter.try_add(c, n))
            .expect("try_add")
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        self.conns
            .with(|c| self.counter.try_sub(c, n))
            .expect("try_sub")
    }
    fn get(&self) -> u64 {
        self.conns.with(|c| self.counter.get(c)).expect("get")
    }
}

struct Counter<'s> {
    counter: PgCounter,
    conns: &'s Conns,
}

/// `PgCounter` has no conditional update (a closure cannot run in the
/// database), so its workload is increment / add / get.
impl CounterLike for Counter<'_> {
    const CONDITIONAL: bool = false;
    fn increment(&self) -> u64 {
        self.conns
            .with(|c| self.counter.increment(c))
            .expect("increment")
    }
    fn add(&self, n: u64) -> u64 {
        self.conns.with(|c| self.counter.add(c, n)).expect("add")
    }
    fn get(&self) -> u64 {
        self.conns.with(|c| self.counter.get(c)).expect("get")
    }
    fn add_up_to(&self, _: u64, _: u64) -> Result<u64, u64> {
        unreachable!("not generated")
    }
}

/// The check-then-act bug in SQL: SELECT the value, decide in the client,
/// UPDATE it (autocommit, READ COMMITTED; no FOR UPDATE, no condition).
struct NaiveBounded<'s> {
    table: String,
    max: u64,
    conns: &'s Conns,
}

impl NaiveBounded<'_> {
    fn change(&self, n: u64, add: bool) -> Result<u64, u64> {
        self.conns.with(|c| {
            let v: i64 = c
                .query_one(&format!("SELECT value FROM {}", self.table), &[])
                .unwrap()
                .get(0);
            let v = v as u64;
            let ok = if add { v + n <= self.max } else { n <= v };
            if !ok {
                return Err(v);
            }
            std::thread::yield_now();
            let next = if add { v + n } else { v - n } as i64;
            c.execute(&format!("UPDATE {} SET value = $1", self.table), &[&next])
                .unwrap();
            Ok(v)
        })
    }
}

impl BoundedLike for NaiveBounded<'_> {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        self.change(n, true)
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        self.change(n, false)
    }
    fn get(&self) -> u64 {
        self.conns.with(|c| {
            let v: i64 = c
                .query_one(&format!("SELECT value FROM {}", self.table), &[])
                .unwrap()
                .get(0);
            v as u64
        })
    }
}

// ---------------------------------------------------------------- campaigns

fn seat_campaign(srv: &PgServer, conns: &Conns, capacity: usize, shape: Shape) {
    let (tally, _) = pool_campaign(
        &format!("PgSeatPool({capacity}), slack {SEAT_SLACK}"),
        shape,
        SEAT_SLACK,
        || Pool {
            pool: conns
                .with(|c| PgSeatPool::create(c, &fresh("pool"), capacity))
                .unwrap(),
            conns,
        },
        Expect::Linearizable,
    );
    assert_eq!(tally.histories, shape.rounds);
    let _ = srv;
}

fn setup(srv: &PgServer) -> Conns {
    let conns = Conns::new(srv);
    conns.with(|c| c.batch_execute("CREATE SCHEMA IF NOT EXISTS lin").unwrap());
    conns
}

#[test]
fn lin_pg_seat_pool() {
    let srv = server();
    let conns = setup(&srv);
    seat_campaign(&srv, &conns, 8, Shape::new(THREADS, 6, 120));
    // Capacity 3: "full" answers all the time; only the seat rules are checked
    // (the slack covers every refusal), which is what a double booking breaks.
    seat_campaign(&srv, &conns, 3, Shape::new(THREADS, 6, 60));
}

#[test]
fn lin_pg_bounded_counter() {
    let srv = server();
    let conns = setup(&srv);
    bounded_campaign(
        "PgBoundedCounter(2, max 4)",
        Shape::new(4, 6, 150),
        2,
        4,
        || {
            let counter = conns
                .with(|c| PgBoundedCounter::create(c, &fresh("b"), 2, 4))
                .unwrap();
            assert_eq!(counter.max(), 4, "max() reads back the bound");
            Bounded {
                counter,
                conns: &conns,
            }
        },
    );
}

#[test]
fn lin_pg_counter() {
    let srv = server();
    let conns = setup(&srv);
    counter_campaign("PgCounter", Shape::new(4, 6, 150), || Counter {
        counter: conns
            .with(|c| PgCounter::create(c, &fresh("c"), 0))
            .unwrap(),
        conns: &conns,
    });
}

/// The control: the same checker, the same workload, a SELECT-then-UPDATE
/// counter on the same server. It must be caught.
#[test]
fn lin_naive_select_then_update_is_rejected() {
    let srv = server();
    let conns = setup(&srv);
    let s = Shape {
        rounds: 400,
        ..Shape::new(4, 6, 0)
    };
    bounded_rejection("naive SELECT-then-UPDATE bounded counter", s, 4, || {
        let t = fresh("naive");
        conns.with(|c| {
            c.batch_execute(&format!(
                "CREATE TABLE lin.{} (value bigint NOT NULL); INSERT INTO lin.{} VALUES (2)",
                t.name(),
                t.name()
            ))
            .unwrap()
        });
        NaiveBounded {
            table: format!("lin.{}", t.name()),
            max: 4,
            conns: &conns,
        }
    });
}

// ---------------------------------------------------------------- processes

/// Histories from several OS processes: each round, `THREADS` copies of this
/// test binary open the same `PgSeatPool` (the parent's connection string and
/// the pool's table), each on a connection of its own, and run the seat
/// workload on it at once, recording on the system-wide monotonic clock; the
/// parent merges and checks the history with the same `SEAT_SLACK` as the
/// threads' campaign (`racefree_conformance::processes`).
#[test]
fn lin_pg_seat_pool_across_processes() {
    if run_as_pool_child(|spec| {
        // ADDRESS: "NAME CONNINFO" (the table is in schema `lin`).
        let (name, url) = spec.address.split_once(' ').expect("NAME CONNINFO");
        // One child, one object: the cache lives as long as the process.
        let conns: &'static Conns = Box::leak(Box::new(Conns {
            url: url.to_string(),
            idle: Mutex::new(Vec::new()),
        }));
        let table = Table::new("lin", name).unwrap();
        Pool {
            pool: conns
                .with(|c| PgSeatPool::open(c, &table))
                .expect("open the parent's pool"),
            conns,
        }
    }) {
        return;
    }
    let srv = server();
    let conns = setup(&srv);
    for (capacity, rounds) in [(8, 80), (3, 40)] {
        let (tally, _) = process_campaign(
            &format!("PgSeatPool({capacity}) across processes, slack {SEAT_SLACK}"),
            "lin_pg_seat_pool_across_processes",
            ProcessShape::new(THREADS, 8, rounds),
            || {
                let name = fresh_name("proc_pool", '_');
                let table = Table::new("lin", &name).unwrap();
                let pool = Pool {
                    pool: conns
                        .with(|c| PgSeatPool::create(c, &table, capacity))
                        .unwrap(),
                    conns: &conns,
                };
                (format!("{name} {}", srv.conn_str()), pool)
            },
            |p| SeatModel::new(p.capacity(), SEAT_SLACK),
            pool_all_free,
            Expect::Linearizable,
        );
        assert_eq!(tally.histories, rounds);
    }
}
