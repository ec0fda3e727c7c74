//! Sequential specifications, written from the public API contract and nothing else.

use crate::checker::SequentialModel;

// ---------------------------------------------------------------- counters

/// `Counter` operations. Every result is a `Result<u64, u64>`: `Ok(previous)` for
/// `increment`/`add`, `Ok(value)` for `get`, and `update`'s own `Ok(prev)`/`Err(cur)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// `increment() -> previous`
    Increment,
    /// `add(n) -> previous`
    Add(u64),
    /// `get() -> value`
    Get,
    /// `update(|v| (v + n <= limit).then_some(v + n))`: a conditional add.
    AddUpTo {
        /// Amount added.
        n: u64,
        /// The value must not exceed this afterwards.
        limit: u64,
    },
}

/// Sequential `Counter`: one `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CounterModel(pub u64);

impl CounterModel {
    /// The one legal result of `op` here, and the next state.
    pub fn apply(&self, op: &CounterOp) -> (Result<u64, u64>, Self) {
        let v = self.0;
        let (ret, next) = match *op {
            CounterOp::Increment => (Ok(v), v + 1),
            CounterOp::Add(n) => (Ok(v), v + n),
            CounterOp::Get => (Ok(v), v),
            CounterOp::AddUpTo { n, limit } if v + n <= limit => (Ok(v), v + n),
            CounterOp::AddUpTo { .. } => (Err(v), v),
        };
        (ret, CounterModel(next))
    }
}

impl SequentialModel for CounterModel {
    type Op = CounterOp;
    type Ret = Result<u64, u64>;

    fn step(&self, op: &CounterOp, ret: &Result<u64, u64>) -> Option<Self> {
        let (expected, next) = self.apply(op);
        (*ret == expected).then_some(next)
    }
}

/// `BoundedCounter` operations; results as for [`CounterOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundedOp {
    /// `try_add(n)`: `Ok(previous)` or `Err(current)` when it would pass `max`.
    TryAdd(u64),
    /// `try_sub(n)`: `Ok(previous)` or `Err(current)` when it would go below 0.
    TrySub(u64),
    /// `get()`, as `Ok(value)`.
    Get,
}

/// Sequential `BoundedCounter`: a value in `0..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BoundedModel {
    /// Current value.
    pub value: u64,
    /// Inclusive upper bound.
    pub max: u64,
}

impl SequentialModel for BoundedModel {
    type Op = BoundedOp;
    type Ret = Result<u64, u64>;

    fn step(&self, op: &BoundedOp, ret: &Result<u64, u64>) -> Option<Self> {
        let v = self.value;
        let (expected, next) = match *op {
            BoundedOp::TryAdd(n) if n <= self.max - v => (Ok(v), v + n),
            BoundedOp::TrySub(n) if n <= v => (Ok(v), v - n),
            BoundedOp::TryAdd(_) | BoundedOp::TrySub(_) | BoundedOp::Get => (
                if matches!(op, BoundedOp::Get) {
                    Ok(v)
                } else {
                    Err(v)
                },
                v,
            ),
        };
        (*ret == expected).then_some(BoundedModel {
            value: next,
            ..*self
        })
    }
}

/// The two withdrawals of the story, `try_sub(80)` and `try_sub(50)` racing on a
/// balance of 100: exactly one succeeds (having seen 100) and the other is
/// refused with what the first left. Returns the balance that must remain, or
/// `None` when the two results are anything else.
pub fn one_of_two_withdrawals(w80: Result<u64, u64>, w50: Result<u64, u64>) -> Option<u64> {
    match (w80, w50) {
        (Ok(100), Err(20)) => Some(20),
        (Err(50), Ok(100)) => Some(50),
        _ => None,
    }
}

// ---------------------------------------------------------------- stacks

/// Stack operations on `u32` items (each pushed value is unique in a history).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackOp {
    /// `push(v)`
    Push(u32),
    /// `pop()`
    Pop,
    /// `is_empty()`
    IsEmpty,
}

/// Stack results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackRet {
    /// `push`: `Err(v)` hands the item back when a bounded stack is full.
    Push(Result<(), u32>),
    /// `pop`
    Pop(Option<u32>),
    /// `is_empty`
    IsEmpty(bool),
}

/// Sequential LIFO stack, optionally bounded (`ArrayStack<T, N>`).
///
/// `slack`: a bounded stack built on a slot arena may refuse a push while fewer
/// than `N` items are on it, because other threads hold slots in transit (a pop
/// that has unlinked its item but not yet freed the slot — documented in
/// `ArrayStack`'s "Full stacks" — or a push that has taken a free slot but not
/// yet linked it). Each other thread holds at most one, so `slack = threads − 1`.
/// With `slack = 0` a push fails only when exactly `N` items are on the stack.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StackModel {
    /// Items, bottom first.
    pub items: Vec<u32>,
    /// `Some(N)` for a bounded stack.
    pub capacity: Option<usize>,
    /// Slots that other in-flight calls may hold (bounded stacks only).
    pub slack: usize,
}

impl StackModel {
    /// An empty stack whose pushes fail only when it is full.
    pub fn new(capacity: Option<usize>) -> Self {
        Self::with_slack(capacity, 0)
    }

    /// An empty stack whose pushes may also fail with `slack` slots in transit.
    pub fn with_slack(capacity: Option<usize>, slack: usize) -> Self {
        Self {
            items: Vec::new(),
            capacity,
            slack,
        }
    }
}

impl StackModel {
    /// The one legal result of `op` here, and the next state (with `slack = 0`).
    pub fn apply(&self, op: &StackOp) -> (StackRet, Self) {
        let mut next = self.clone();
        let ret = match *op {
            StackOp::Push(v) if Some(self.items.len()) == self.capacity => StackRet::Push(Err(v)),
            StackOp::Push(v) => {
                next.items.push(v);
                StackRet::Push(Ok(()))
            }
            StackOp::Pop => StackRet::Pop(next.items.pop()),
            StackOp::IsEmpty => StackRet::IsEmpty(self.items.is_empty()),
        };
        (ret, next)
    }
}

impl SequentialModel for StackModel {
    type Op = StackOp;
    type Ret = StackRet;

    fn step(&self, op: &StackOp, ret: &StackRet) -> Option<Self> {
        if let (StackOp::Push(v), StackRet::Push(Err(back)), Some(n)) = (op, ret, self.capacity) {
            // A refused push: legal when full, or within the slack of it.
            return (v == back && self.items.len() + self.slack >= n).then(|| self.clone());
        }
        let (expected, next) = self.apply(op);
        (*ret == expected).then_some(next)
    }
}

// ---------------------------------------------------------------- seat pool

/// `SeatError`, mirrored so the model does not depend on the crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeatErr {
    /// The seat is booked.
    Taken,
    /// No such seat.
    OutOfRange,
}

/// Seat pool operations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SeatOp {
    /// `try_reserve()`
    Reserve,
    /// `try_reserve_seat(id)`
    ReserveSeat(usize),
    /// `try_reserve_many(k)`
    ReserveMany(usize),
    /// Dropping a `Seat`/`Seats` guard, or `cancel(ticket)`: these seats are free again.
    Release(Vec<usize>),
    /// `available()`
    Available,
    /// `reserve_blocking()`: waits until it books a seat, so it returns
    /// `Reserve(Some(id))`, `id` free at its linearization point.
    ReserveBlocking,
    /// `reserve_timeout(t)`: `Reserve(Some(id))` as a `Reserve`; when it gives
    /// up, `Reserve(None)` if no other waiting call could have been queued
    /// during it (then, as `try_reserve() -> None`, the pool was full within the
    /// slack at some point: its last failed admission, at the queue's head), or
    /// [`SeatRet::TimedOutBehind`] if one could (see there).
    ReserveTimeout,
    /// `reserve_many_blocking(k)`: waits until it books `k` seats, so it
    /// returns `ReserveMany(Some(ids))`.
    ReserveManyBlocking(usize),
}

/// Seat pool results.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SeatRet {
    /// `try_reserve`: the seat id, or `None`.
    Reserve(Option<usize>),
    /// `try_reserve_seat`
    ReserveSeat(Result<usize, SeatErr>),
    /// `try_reserve_many`: the ids, sorted, or `None`.
    ReserveMany(Option<Vec<usize>>),
    /// A release returns nothing.
    Released,
    /// `available()`
    Available(usize),
    /// A `reserve_timeout` that gave up while another waiting call may have
    /// been queued (its interval overlapped one, by the workload's count). The
    /// queue is FIFO and only its head claims, so such a call may time out
    /// behind a waiter that was woken but has not run yet, with any number of
    /// seats free all along: its `None` says nothing about the count. What
    /// stays checked is that it books nothing (the state is unchanged, so a
    /// seat it kept would show in later calls and in the quiescent check).
    TimedOutBehind,
}

/// Sequential seat pool: a set of held seats (capacity ≤ 64).
///
/// `slack` is how many seats may be *promised* to claims or releases still in
/// flight without being held or free yet. racefree's `SeatPool` puts an admission
/// counter in front of its bitmap (claims take units before setting bits, releases
/// clear bits before giving units back), and its docs say `available()` is that
/// counter. So while other calls are in flight, `available()` may read up to
/// `slack` fewer than the free seats, and `try_reserve()` / `try_reserve_many(k)` /
/// a `Taken` from `try_reserve_seat` may fail with up to `slack` seats free.
/// With `slack = 0` the model is exact: what the API contract states for `try_reserve`
/// ("`None` only when every seat is taken") and what a Mutex pool does.
/// Seats themselves are never relaxed: no seat is ever held twice, a group is all
/// or nothing, and a release frees exactly the seats it held.
///
/// Waiting calls (`ReserveBlocking`, `ReserveTimeout`, `ReserveManyBlocking`)
/// take effect at one point of their interval like the try forms; what they
/// wait for is not in the model (a blocking call's interval simply ends when it
/// got its seats). A timed call that gave up is `Reserve(None)`, held to the
/// same "full within the slack" rule, unless another waiting call may have been
/// queued ahead of it ([`SeatRet::TimedOutBehind`]: FIFO fairness lets it fail
/// with seats free).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeatModel {
    /// Bit i set = seat i is held.
    pub held: u64,
    /// Number of seats.
    pub capacity: usize,
    /// Seats that in-flight calls may have promised (see above).
    pub slack: usize,
}

impl SeatModel {
    /// An all-free pool.
    ///
    /// # Panics
    /// If `capacity` is 0 or above 64.
    pub fn new(capacity: usize, slack: usize) -> Self {
        assert!((1..=64).contains(&capacity), "SeatModel holds 1..=64 seats");
        Self {
            held: 0,
            capacity,
            slack,
        }
    }

    fn free(&self) -> usize {
        self.capacity - self.held.count_ones() as usize
    }

    fn is_free(&self, id: usize) -> bool {
        id < self.capacity && self.held & (1 << id) == 0
    }

    fn with(&self, ids: &[usize]) -> Self {
        Self {
            held: ids.iter().fold(self.held, |h, &i| h | 1 << i),
            ..*self
        }
    }
}

impl SequentialModel for SeatModel {
    type Op = SeatOp;
    type Ret = SeatRet;

    fn step(&self, op: &SeatOp, ret: &SeatRet) -> Option<Self> {
        match (op, ret) {
            (SeatOp::Reserve, SeatRet::Reserve(None)) => {
                (self.free() <= self.slack).then_some(*self)
            }
            (SeatOp::Reserve, SeatRet::Reserve(Some(id))) => {
                self.is_free(*id).then(|| self.with(&[*id]))
            }
            (SeatOp::ReserveSeat(id), SeatRet::ReserveSeat(r)) => match r {
                Err(SeatErr::OutOfRange) => (*id >= self.capacity).then_some(*self),
                Err(SeatErr::Taken) => (*id < self.capacity
                    && (!self.is_free(*id) || self.free() <= self.slack))
                    .then_some(*self),
                Ok(got) => (got == id && self.is_free(*id)).then(|| self.with(&[*id])),
            },
            (SeatOp::ReserveMany(k), SeatRet::ReserveMany(None)) => {
                (self.free() < *k + self.slack).then_some(*self)
            }
            (SeatOp::ReserveMany(k), SeatRet::ReserveMany(Some(ids))) => {
                let distinct = ids.windows(2).all(|w| w[0] < w[1]);
                (ids.len() == *k && distinct && ids.iter().all(|&i| self.is_free(i)))
                    .then(|| self.with(ids))
            }
            (SeatOp::Release(ids), SeatRet::Released) => {
                let mask = ids.iter().fold(0u64, |m, &i| m | 1 << i);
                // Releasing a seat nobody holds would be a double release: illegal.
                (ids.iter().all(|&i| i < self.capacity) && self.held & mask == mask).then_some(
                    Self {
                        held: self.held & !mask,
                        ..*self
                    },
                )
            }
            (SeatOp::Available, SeatRet::Available(n)) => {
                (*n <= self.free() && *n + self.slack >= self.free()).then_some(*self)
            }
            // A waiting call books what the try form would have booked; a
            // blocking one never comes back empty-handed.
            (SeatOp::ReserveBlocking, SeatRet::Reserve(Some(_)))
            | (SeatOp::ReserveTimeout, SeatRet::Reserve(_)) => self.step(&SeatOp::Reserve, ret),
            (SeatOp::ReserveTimeout, SeatRet::TimedOutBehind) => Some(*self),
            (SeatOp::ReserveManyBlocking(k), SeatRet::ReserveMany(Some(_))) => {
                self.step(&SeatOp::ReserveMany(*k), ret)
            }
            _ => None,
        }
    }
}
