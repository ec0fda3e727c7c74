//! What a structure under test must offer, and the randomized per-thread workloads.
//!
//! Each family (counter, bounded counter, stack, seat pool) is a small trait, so the
//! same workload drives the real `racefree` types, a Mutex-based reference that must
//! always pass, and a known-bad implementation that the checker must catch.

use crate::checker::NotLinearizable;
use crate::harness::{campaign, Expect, Rng, Shape, Tally};
use crate::history::{History, Recorder};
use crate::models::{
    BoundedModel, BoundedOp, CounterModel, CounterOp, SeatErr, SeatModel, SeatOp, SeatRet,
    StackModel, StackOp, StackRet,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

// ---------------------------------------------------------------- counters

/// A `Counter`-shaped subject.
pub trait CounterLike: Sync {
    /// `increment() -> previous`
    fn increment(&self) -> u64;
    /// `add(n) -> previous`
    fn add(&self, n: u64) -> u64;
    /// `get()`
    fn get(&self) -> u64;
    /// `update(|v| (v + n <= limit).then_some(v + n))`; never called when
    /// [`CONDITIONAL`](Self::CONDITIONAL) is `false`.
    fn add_up_to(&self, n: u64, limit: u64) -> Result<u64, u64>;
    /// Whether the subject has a conditional update at all. One that has not (a
    /// closure cannot run on a Redis server) gets increment / add / get only.
    const CONDITIONAL: bool = true;
}

/// `ops` random counter operations (increments dominate, as in an ID generator);
/// `AddUpTo` only where the subject is [`CONDITIONAL`](CounterLike::CONDITIONAL).
pub fn counter_ops<C: CounterLike>(
    c: &C,
    _thread: usize,
    rng: &mut Rng,
    rec: &mut Recorder<'_, CounterOp, Result<u64, u64>>,
    ops: usize,
) {
    for _ in 0..ops {
        let op = if C::CONDITIONAL {
            match rng.below(10) {
                0..=3 => CounterOp::Increment,
                4..=5 => CounterOp::Add(1 + rng.below(3)),
                6..=7 => CounterOp::Get,
                _ => CounterOp::AddUpTo {
                    n: 1 + rng.below(2),
                    limit: 4 + rng.below(8),
                },
            }
        } else {
            match rng.below(10) {
                0..=4 => CounterOp::Increment,
                5..=7 => CounterOp::Add(1 + rng.below(3)),
                _ => CounterOp::Get,
            }
        };
        rec.record(op, || match op {
            CounterOp::Increment => Ok(c.increment()),
            CounterOp::Add(n) => Ok(c.add(n)),
            CounterOp::Get => Ok(c.get()),
            CounterOp::AddUpTo { n, limit } => c.add_up_to(n, limit),
        });
    }
}

/// Quiescent check: the final value is the sum of all successful additions.
pub fn counter_total<C: CounterLike>(c: &C, h: &History<CounterOp, Result<u64, u64>>) {
    let added: u64 = h
        .events
        .iter()
        .map(|e| match (e.op, e.ret) {
            (CounterOp::Increment, _) => 1,
            (CounterOp::Add(n), _) => n,
            (CounterOp::AddUpTo { n, .. }, Ok(_)) => n,
            _ => 0,
        })
        .sum();
    assert_eq!(
        c.get(),
        added,
        "final value is not the sum of what was added"
    );
}

/// A `BoundedCounter`-shaped subject.
pub trait BoundedLike: Sync {
    /// `try_add(n)`
    fn try_add(&self, n: u64) -> Result<u64, u64>;
    /// `try_sub(n)`
    fn try_sub(&self, n: u64) -> Result<u64, u64>;
    /// `get()`
    fn get(&self) -> u64;
}

/// `ops` random bounded-counter operations with small amounts, so that both
/// bounds are hit often.
pub fn bounded_ops<C: BoundedLike>(
    c: &C,
    _thread: usize,
    rng: &mut Rng,
    rec: &mut Recorder<'_, BoundedOp, Result<u64, u64>>,
    ops: usize,
) {
    for _ in 0..ops {
        let op = match rng.below(5) {
            0..=1 => BoundedOp::TryAdd(1 + rng.below(3)),
            2..=3 => BoundedOp::TrySub(1 + rng.below(3)),
            _ => BoundedOp::Get,
        };
        rec.record(op, || match op {
            BoundedOp::TryAdd(n) => c.try_add(n),
            BoundedOp::TrySub(n) => c.try_sub(n),
            BoundedOp::Get => Ok(c.get()),
        });
    }
}

/// Quiescent check: final value = initial + successful adds − successful subs.
pub fn bounded_total<C: BoundedLike>(
    initial: u64,
) -> impl Fn(&C, &History<BoundedOp, Result<u64, u64>>) {
    move |c, h| {
        let value = h
            .events
            .iter()
            .fold(initial as i64, |v, e| match (e.op, e.ret) {
                (BoundedOp::TryAdd(n), Ok(_)) => v + n as i64,
                (BoundedOp::TrySub(n), Ok(_)) => v - n as i64,
                _ => v,
            });
        assert_eq!(
            c.get() as i64,
            value,
            "final value disagrees with the successful calls"
        );
    }
}

/// A [`campaign`] of [`counter_ops`] on fresh counters from `make`, each
/// starting at 0, checked against `CounterModel(0)` and [`counter_total`];
/// every history must be linearizable.
pub fn counter_campaign<C: CounterLike>(name: &str, shape: Shape, make: impl Fn() -> C) -> Tally {
    campaign(
        name,
        shape,
        make,
        |_| CounterModel(0),
        |c, t, r, rec| counter_ops(c, t, r, rec, shape.ops),
        counter_total,
        Expect::Linearizable,
    )
    .0
}

/// A [`campaign`] of [`bounded_ops`] on fresh bounded counters from `make`,
/// each created at `initial` with bound `max`, checked against
/// `BoundedModel { value: get(), max }` and [`bounded_total`]; every history
/// must be linearizable.
pub fn bounded_campaign<C: BoundedLike>(
    name: &str,
    shape: Shape,
    initial: u64,
    max: u64,
    make: impl Fn() -> C,
) -> Tally {
    bounded_rounds(
        name,
        shape,
        max,
        make,
        bounded_total(initial),
        Expect::Linearizable,
    )
}

/// The control for a known-broken bounded counter with bound `max`: the same
/// workload and model as [`bounded_campaign`], no quiescent check, and the
/// checker must reject a history ([`Expect::Rejection`]).
pub fn bounded_rejection<C: BoundedLike>(
    name: &str,
    shape: Shape,
    max: u64,
    make: impl Fn() -> C,
) -> Tally {
    bounded_rounds(name, shape, max, make, |_, _| {}, Expect::Rejection)
}

fn bounded_rounds<C: BoundedLike>(
    name: &str,
    shape: Shape,
    max: u64,
    make: impl Fn() -> C,
    after: impl Fn(&C, &History<BoundedOp, Result<u64, u64>>),
    expect: Expect,
) -> Tally {
    campaign(
        name,
        shape,
        make,
        |c| BoundedModel {
            value: c.get(),
            max,
        },
        |c, t, r, rec| bounded_ops(c, t, r, rec, shape.ops),
        after,
        expect,
    )
    .0
}

// ---------------------------------------------------------------- stacks

/// A stack-shaped subject over `u32` items.
pub trait StackLike: Sync {
    /// `push(v)`; `Err(v)` when full.
    fn push(&self, v: u32) -> Result<(), u32>;
    /// `pop()`
    fn pop(&self) -> Option<u32>;
    /// `is_empty()`
    fn is_empty(&self) -> bool;
}

/// `ops` random stack operations; pushed values are unique (`thread * 1000 + i + 1`).
pub fn stack_ops<S: StackLike>(
    s: &S,
    thread: usize,
    rng: &mut Rng,
    rec: &mut Recorder<'_, StackOp, StackRet>,
    ops: usize,
) {
    for i in 0..ops {
        let op = match rng.below(10) {
            0..=4 => StackOp::Push((thread * 1000 + i + 1) as u32),
            5..=8 => StackOp::Pop,
            _ => StackOp::IsEmpty,
        };
        rec.record(op, || match op {
            StackOp::Push(v) => StackRet::Push(s.push(v)),
            StackOp::Pop => StackRet::Pop(s.pop()),
            StackOp::IsEmpty => StackRet::IsEmpty(s.is_empty()),
        });
    }
}

/// Quiescent check: drain the stack; every accepted push comes back exactly once
/// (popped during the round or drained now), and nothing else does.
pub fn stack_drain<S: StackLike>(s: &S, h: &History<StackOp, StackRet>) {
    let mut pushed: Vec<u32> = h
        .events
        .iter()
        .filter_map(|e| match (e.op, e.ret) {
            (StackOp::Push(v), StackRet::Push(Ok(()))) => Some(v),
            _ => None,
        })
        .collect();
    let mut out: Vec<u32> = h
        .events
        .iter()
        .filter_map(|e| match e.ret {
            StackRet::Pop(v) => v,
            _ => None,
        })
        .collect();
    while let Some(v) = s.pop() {
        out.push(v);
    }
    assert!(s.is_empty(), "stack not empty after draining");
    pushed.sort_unstable();
    out.sort_unstable();
    assert_eq!(pushed, out, "items lost or duplicated");
}

/// A [`campaign`] of [`stack_ops`] on fresh stacks from `make`, checked against
/// the `StackModel` that `model` gives for each and [`stack_drain`]; every
/// history must be linearizable.
pub fn stack_campaign<S: StackLike>(
    name: &str,
    shape: Shape,
    make: impl Fn() -> S,
    model: impl Fn(&S) -> StackModel,
) -> Tally {
    campaign(
        name,
        shape,
        make,
        model,
        |s, t, r, rec| stack_ops(s, t, r, rec, shape.ops),
        stack_drain,
        Expect::Linearizable,
    )
    .0
}

// ---------------------------------------------------------------- seat pool

/// A seat-pool-shaped subject. `Held` is whatever keeps seats booked (a guard or
/// a ticket); [`release`](PoolLike::release) gives it back.
pub trait PoolLike: Sync {
    /// A booking.
    type Held<'a>
    where
        Self: 'a;
    /// `capacity()`
    fn capacity(&self) -> usize;
    /// `try_reserve()`
    fn try_reserve(&self) -> Option<(usize, Self::Held<'_>)>;
    /// `try_reserve_seat(id)`
    fn try_reserve_seat(&self, id: usize) -> Result<Self::Held<'_>, SeatErr>;
    /// `try_reserve_many(k)`: ids sorted ascending.
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, Self::Held<'_>)>;
    /// Turns a guard into a confirmed booking (ticket); a no-op where there is none.
    fn confirm<'a>(&'a self, held: Self::Held<'a>) -> Self::Held<'a>;
    /// Drop the guard / cancel the ticket.
    fn release<'a>(&'a self, held: Self::Held<'a>);
    /// The separate atomic steps in which the subject releases `held` (seats
    /// `ids`), each to be recorded as its own `Release`. Default: one step, as a
    /// guard's drop or a tier's one-statement `cancel_many`. A subject that
    /// cancels a group's tickets one call at a time must say so here, or the
    /// model would demand an atomicity the subject never promised.
    fn release_steps<'a>(
        &'a self,
        ids: Vec<usize>,
        held: Self::Held<'a>,
    ) -> Vec<(Vec<usize>, Self::Held<'a>)> {
        vec![(ids, held)]
    }
    /// `available()`
    fn available(&self) -> usize;
}

/// `ops` random pool operations, then every seat still held is released, so the
/// pool ends all free. Seat ids asked for by `try_reserve_seat` include one out of
/// range.
pub fn pool_ops<P: PoolLike>(
    p: &P,
    _thread: usize,
    rng: &mut Rng,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    ops: usize,
) {
    let cap = p.capacity();
    let mut held: Bookings<'_, P> = Vec::new();
    for _ in 0..ops {
        match rng.below(20) {
            0..=4 => reserve_op(p, rec, &mut held),
            5..=8 => {
                let id = rng.below(cap as u64 + 1) as usize;
                rec.call(SeatOp::ReserveSeat(id), || match p.try_reserve_seat(id) {
                    Ok(g) => (SeatRet::ReserveSeat(Ok(id)), held.push((vec![id], g))),
                    Err(e) => (SeatRet::ReserveSeat(Err(e)), ()),
                })
            }
            9..=11 => reserve_many_op(p, rec, &mut held, 1 + rng.below(3) as usize),
            12..=16 if !held.is_empty() => release_one_op(p, rec, &mut held, rng),
            _ => rec.record(SeatOp::Available, || SeatRet::Available(p.available())),
        }
    }
    release_all(p, rec, held);
}

/// What a workload holds: each booking with its seat ids.
type Bookings<'a, P> = Vec<(Vec<usize>, <P as PoolLike>::Held<'a>)>;

/// `try_reserve`, recorded; a seat goes to `held`.
fn reserve_op<'a, P: PoolLike>(
    p: &'a P,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    held: &mut Bookings<'a, P>,
) {
    rec.call(SeatOp::Reserve, || match p.try_reserve() {
        Some((id, g)) => (SeatRet::Reserve(Some(id)), held.push((vec![id], g))),
        None => (SeatRet::Reserve(None), ()),
    });
}

/// `try_reserve_many(k)`, recorded; a group goes to `held`.
fn reserve_many_op<'a, P: PoolLike>(
    p: &'a P,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    held: &mut Bookings<'a, P>,
    k: usize,
) {
    rec.call(SeatOp::ReserveMany(k), || match p.try_reserve_many(k) {
        Some((ids, g)) => (SeatRet::ReserveMany(Some(ids.clone())), held.push((ids, g))),
        None => (SeatRet::ReserveMany(None), ()),
    });
}

/// Releases one booking of `held` (a random one), confirmed first half the
/// time: confirmed or not, the release must free exactly its seats.
fn release_one_op<'a, P: PoolLike>(
    p: &'a P,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    held: &mut Bookings<'a, P>,
    rng: &mut Rng,
) {
    let (ids, g) = held.swap_remove(rng.below(held.len() as u64) as usize);
    let g = if rng.below(2) == 0 { p.confirm(g) } else { g };
    release(p, rec, ids, g);
}

/// Releases everything still held, so the pool ends all free.
fn release_all<'a, P: PoolLike>(
    p: &'a P,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    held: Bookings<'a, P>,
) {
    for (ids, g) in held {
        release(p, rec, ids, g);
    }
}

/// Releases a booking, one recorded `Release` per step the subject takes.
fn release<'a, P: PoolLike>(
    p: &'a P,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    ids: Vec<usize>,
    held: P::Held<'a>,
) {
    for (ids, part) in p.release_steps(ids, held) {
        rec.record(SeatOp::Release(ids), || {
            p.release(part);
            SeatRet::Released
        });
    }
}

/// A [`campaign`] of [`pool_ops`] on fresh pools from `make`, checked against
/// `SeatModel` with `slack` (see its docs) and [`pool_all_free`], held to
/// `expect`; returns the tally and the first rejection.
pub fn pool_campaign<P: PoolLike>(
    name: &str,
    shape: Shape,
    slack: usize,
    make: impl Fn() -> P,
    expect: Expect,
) -> (Tally, Option<NotLinearizable>) {
    campaign(
        name,
        shape,
        make,
        |p| SeatModel::new(p.capacity(), slack),
        |p, t, r, rec| pool_ops(p, t, r, rec, shape.ops),
        pool_all_free,
        expect,
    )
}

/// Quiescent check: everything was released, so every seat is available again.
pub fn pool_all_free<P: PoolLike>(p: &P, _h: &History<SeatOp, SeatRet>) {
    assert_eq!(p.available(), p.capacity(), "seats leaked or double-freed");
    let (ids, g) = p
        .try_reserve_many(p.capacity())
        .expect("quiescent pool cannot book every seat");
    assert_eq!(ids, (0..p.capacity()).collect::<Vec<_>>());
    p.release(g);
}

// ---------------------------------------------------------------- waiting seat pool

/// A seat pool whose callers can also wait for seats (racefree's `wait` feature).
pub trait WaitPoolLike: PoolLike {
    /// `reserve_blocking()`
    fn reserve_blocking(&self) -> (usize, Self::Held<'_>);
    /// `reserve_timeout(timeout)`
    fn reserve_timeout(&self, timeout: Duration) -> Option<(usize, Self::Held<'_>)>;
    /// `reserve_many_blocking(k)` (`1 <= k <= capacity`): ids sorted ascending.
    fn reserve_many_blocking(&self, k: usize) -> (Vec<usize>, Self::Held<'_>);
}

/// A waiting pool with the round's count of waiting calls in flight, which tells
/// a timed call that gave up whether another waiting call may have been queued
/// during it ([`SeatRet::TimedOutBehind`]).
#[derive(Debug)]
pub struct Waiting<P> {
    /// The pool under test.
    pub pool: P,
    /// Waiting calls begun (each counts itself before its recorded call).
    begun: AtomicUsize,
    /// Waiting calls begun and not yet returned.
    in_flight: AtomicUsize,
}

impl<P> Waiting<P> {
    /// `pool`, with no waiting call in flight.
    pub fn new(pool: P) -> Self {
        Self {
            pool,
            begun: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Runs one waiting call, counted in flight around it.
    fn counted<R>(&self, call: impl FnOnce() -> R) -> R {
        // SeqCst, all of them: one total order of the counts. In flight first,
        // then begun, and a snapshot reads begun first, then in flight: a call
        // missed by the snapshot's read of `in_flight` counts itself in `begun`
        // after the snapshot read it, so `overlapped` sees it (or it began
        // after the timed call returned).
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.begun.fetch_add(1, Ordering::SeqCst);
        let out = call();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        out
    }

    /// A snapshot taken inside a waiting call, as it begins.
    fn others_at_start(&self) -> (usize, bool) {
        let begun = self.begun.load(Ordering::SeqCst);
        // This call counts itself in both.
        (begun, self.in_flight.load(Ordering::SeqCst) > 1)
    }

    /// Whether another waiting call may have run at any moment between the
    /// snapshot `at_start` and now (the caller is still in flight).
    fn overlapped(&self, (begun, others_then): (usize, bool)) -> bool {
        others_then || self.begun.load(Ordering::SeqCst) != begun
    }
}

/// `ops` random operations on a waiting pool: the try forms of [`pool_ops`],
/// releases, and waiting calls: `reserve_timeout(timeout)` at any time,
/// `reserve_blocking()` and `reserve_many_blocking(k)` (`k` up to 2, at most the
/// capacity) only while the thread holds nothing. So a blocking call always
/// ends: every seat is held by a thread that is not blocked, each such thread
/// releases everything by the end of its ops, and then the queue's head
/// (FIFO, asking at most the capacity) is served, and so on.
pub fn wait_pool_ops<P: WaitPoolLike>(
    w: &Waiting<P>,
    _thread: usize,
    rng: &mut Rng,
    rec: &mut Recorder<'_, SeatOp, SeatRet>,
    ops: usize,
    timeout: Duration,
) {
    let p = &w.pool;
    let cap = p.capacity();
    let mut held: Bookings<'_, P> = Vec::new();
    for _ in 0..ops {
        match rng.below(20) {
            0..=3 => reserve_op(p, rec, &mut held),
            4..=5 => reserve_many_op(p, rec, &mut held, 1 + rng.below(2) as usize),
            6..=9 => w.counted(|| {
                rec.call(SeatOp::ReserveTimeout, || {
                    let start = w.others_at_start();
                    match p.reserve_timeout(timeout) {
                        Some((id, g)) => (SeatRet::Reserve(Some(id)), held.push((vec![id], g))),
                        None if w.overlapped(start) => (SeatRet::TimedOutBehind, ()),
                        None => (SeatRet::Reserve(None), ()),
                    }
                })
            }),
            10..=11 if held.is_empty() => w.counted(|| {
                rec.call(SeatOp::ReserveBlocking, || {
                    let (id, g) = p.reserve_blocking();
                    (SeatRet::Reserve(Some(id)), held.push((vec![id], g)))
                })
            }),
            12..=13 if held.is_empty() => {
                let k = (1 + rng.below(2) as usize).min(cap);
                w.counted(|| {
                    rec.call(SeatOp::ReserveManyBlocking(k), || {
                        let (ids, g) = p.reserve_many_blocking(k);
                        (SeatRet::ReserveMany(Some(ids.clone())), held.push((ids, g)))
                    })
                })
            }
            10..=16 if !held.is_empty() => release_one_op(p, rec, &mut held, rng),
            _ => rec.record(SeatOp::Available, || SeatRet::Available(p.available())),
        }
    }
    release_all(p, rec, held);
}

/// A [`campaign`] of [`wait_pool_ops`] (timed calls waiting `timeout`) on
/// fresh waiting pools from `make`, checked against `SeatModel` with `slack`
/// and [`pool_all_free`]; every history must be linearizable.
pub fn wait_pool_campaign<P: WaitPoolLike>(
    name: &str,
    shape: Shape,
    slack: usize,
    timeout: Duration,
    make: impl Fn() -> P,
) -> Tally {
    // What the waiting calls did, over the campaign (printed, not asserted:
    // it depends on the schedule): timed calls booked / gave up / gave up
    // behind another waiting call, blocking calls, blocking groups.
    let seen: [AtomicUsize; 5] = Default::default();
    let tally = campaign(
        name,
        shape,
        || Waiting::new(make()),
        |w| SeatModel::new(w.pool.capacity(), slack),
        |w, t, r, rec| wait_pool_ops(w, t, r, rec, shape.ops, timeout),
        |w, h| {
            for e in &h.events {
                let kind = match (&e.op, &e.ret) {
                    (SeatOp::ReserveTimeout, SeatRet::Reserve(Some(_))) => 0,
                    (SeatOp::ReserveTimeout, SeatRet::Reserve(None)) => 1,
                    (SeatOp::ReserveTimeout, _) => 2,
                    (SeatOp::ReserveBlocking, _) => 3,
                    (SeatOp::ReserveManyBlocking(_), _) => 4,
                    _ => continue,
                };
                seen[kind].fetch_add(1, Ordering::Relaxed);
            }
            pool_all_free(&w.pool, h);
        },
        Expect::Linearizable,
    )
    .0;
    let [booked, gave_up, behind, blocking, groups] = seen.map(AtomicUsize::into_inner);
    println!(
        "lin {name}: reserve_timeout booked {booked}, gave up {gave_up} + {behind} behind \
         another waiting call; reserve_blocking {blocking}; reserve_many_blocking {groups}"
    );
    tally
}
