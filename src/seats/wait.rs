//! Waiting for seats (`wait` feature): `reserve_blocking`, `reserve_timeout`,
//! async `reserve`, and the group forms `reserve_many_blocking` / async
//! `reserve_many`.
//!
//! # Protocol
//! - **Fast path**: a waiting call first tries exactly what `try_reserve` does
//!   (one load and one CAS of the admission word), but refuses while the word's
//!   waiting flag is set, so it never overtakes a queued waiter.
//! - **Queue**: otherwise it joins a FIFO queue (a `VecDeque` under a mutex, kept
//!   in the pool, not in the storage). The first entry sets the admission
//!   word's waiting flag, the last one to leave clears it (both under the lock).
//!   Only the queue's **head** claims: under the lock it takes its `k` admission
//!   units (all or nothing) or stores its waker and sleeps.
//! - **Release**: a release gives its units back with the one `fetch_add` it
//!   always did; that returns the word as it was, flag included, so a release
//!   learns for free whether anyone waits. Only then does it lock the queue and
//!   wake the head. With nobody waiting, the release path is what it was.
//! - **No lost wakeup**: the head's count check and a release's return of units
//!   are two operations on one word, so one of them comes first in its
//!   modification order. If the release is first, the head (which reads under
//!   the lock, after the flag was set) sees the units; if the head's read is
//!   first, the release's `fetch_add` comes after the flag was set and before it
//!   can be cleared (the head is still queued), so it sees the flag, and its
//!   lock of the queue comes after the head stored its waker. No fence, no
//!   `SeqCst`: the loom models check exactly this.
//! - **Hand-on**: a head that leaves (served, or its future dropped) wakes the
//!   next head while seats are unpromised, so a release that freed several seats
//!   serves several waiters, and a cancelled waiter never swallows the wakeup
//!   that the next one needed.

use alloc::collections::VecDeque;
#[cfg(loom)]
use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::PoisonError;
#[cfg(loom)]
use std::task::Wake;
#[cfg(not(loom))]
use std::time::{Duration, Instant};

use super::parker::Parker;
use super::pool::{InProcessStorage, SeatPoolIn, SeatStorage};
use super::raw::Core;
use super::{Seat, SeatError, SeatGroup};
#[cfg(loom)]
use crate::sync::Condvar;
use crate::sync::{Mutex, MutexGuard};

/// When a timed wait gives up: an instant (`None`: never).
#[cfg(not(loom))]
type Deadline<'d> = Option<Instant>;
/// When a timed wait gives up, under loom (which has no clock): the model's
/// [`LoomTimer`], which a timer thread fires at a moment loom chooses.
#[cfg(loom)]
type Deadline<'d> = Option<&'d LoomTimer>;

/// A timed wait's clock and parking, under loom (test-only: it exists only
/// under `cfg(loom)`, for the models in tests/loom/wait.rs).
///
/// Loom has no clock and no `park_timeout`, so a timed wait parks here instead:
/// [`park`](Self::park) returns when the call's waker was woken (a release, or a
/// waiter that hands its wakeup on) or when a timer thread
/// [`fire`](Self::fire)s, whichever loom schedules first, which is what a real
/// `park_timeout` does; [`expired`](Self::expired) is then "the deadline
/// passed". It is a modelled mutex and condition variable, not loom's
/// thread `unpark`: loom's `unpark` of a thread blocked on a mutex (the waiter
/// re-polling the queue) makes it runnable while the lock is held, which loom
/// itself then rejects ("expected to be able to acquire lock").
#[cfg(loom)]
#[doc(hidden)]
#[derive(Debug)]
pub struct LoomTimer(alloc::sync::Arc<TimerState>);

#[cfg(loom)]
#[derive(Debug, Default)]
struct TimerState {
    /// `(expired, woken)`: the timer fired; a wakeup is pending (a park token).
    flags: Mutex<(bool, bool)>,
    changed: Condvar,
}

#[cfg(loom)]
impl LoomTimer {
    /// A timer that has not fired.
    #[must_use]
    pub fn new() -> Self {
        Self(Arc::default())
    }

    /// The deadline passes: wakes the waiter parked on this timer.
    pub fn fire(&self) {
        self.0.flags.lock().unwrap().0 = true;
        self.0.changed.notify_one();
    }

    fn expired(&self) -> bool {
        self.0.flags.lock().unwrap().0
    }

    /// Parks until a wakeup (consumed, like a park token) or the timer fired.
    fn park(&self) {
        let mut flags = self.0.flags.lock().unwrap();
        while !flags.0 && !flags.1 {
            flags = self.0.changed.wait(flags).unwrap();
        }
        flags.1 = false;
    }

    /// The waker of a wait parked on this timer.
    fn waker(&self) -> Waker {
        Waker::from(Arc::clone(&self.0))
    }
}

#[cfg(loom)]
impl Default for LoomTimer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(loom)]
impl Wake for TimerState {
    fn wake(self: Arc<Self>) {
        self.flags.lock().unwrap().1 = true;
        self.changed.notify_one();
    }
}

/// A pool's wait queue: FIFO, only the head claims.
pub(crate) struct Waiters {
    queue: Mutex<Queue>,
}

struct Queue {
    entries: VecDeque<Entry>,
    /// The next entry's id (a `u64` never wraps: 2^64 waits).
    next_id: u64,
}

/// One waiting call.
struct Entry {
    id: u64,
    /// `None` once a release took it to wake the call, until the call's next
    /// poll stores a new one.
    waker: Option<Waker>,
}

impl Waiters {
    crate::const_fn! {
        /// An empty queue (`const`: an `ArraySeatPool` lives in a `static`).
        pub(crate) const fn new() -> Self {
            Self {
                queue: Mutex::new(Queue {
                    entries: VecDeque::new(),
                    next_id: 0,
                }),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing under this lock can panic between two consistent states (a
        // failed allocation in `push_back` aborts), so a poisoned lock still
        // guards a consistent queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the queue's head: called by a release that saw the waiting flag.
    /// Cold and out of line, so that the release path (a `Seat`'s drop) stays
    /// as small as it was without waiting.
    #[cold]
    #[inline(never)]
    pub(crate) fn wake_head(&self) {
        let waker = self
            .lock()
            .entries
            .front_mut()
            .and_then(|head| head.waker.take());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// How many calls are queued.
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

impl fmt::Debug for Waiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never locks: `Debug` of a pool must not block.
        f.debug_struct("Waiters").finish_non_exhaustive()
    }
}

impl Queue {
    /// Appends a waiting call; the first one sets the pool's waiting flag.
    fn push(&mut self, core: Core<'_>, waker: &Waker) -> u64 {
        if self.entries.is_empty() {
            core.set_waiting();
        }
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_back(Entry {
            id,
            waker: Some(waker.clone()),
        });
        id
    }

    fn is_head(&self, id: u64) -> bool {
        self.entries.front().is_some_and(|head| head.id == id)
    }

    /// Stores the waker a call's latest poll was given.
    fn set_waker(&mut self, id: u64, waker: &Waker) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            match &entry.waker {
                Some(old) if old.will_wake(waker) => {}
                _ => entry.waker = Some(waker.clone()),
            }
        }
    }

    /// Removes call `id` (served or cancelled). When it was the head: the last
    /// one out clears the waiting flag; otherwise, while seats are unpromised,
    /// returns the new head's waker for the caller to wake after unlocking (a
    /// release that comes later sees the flag and wakes the head itself).
    fn remove(&mut self, core: Core<'_>, id: u64) -> Option<Waker> {
        let at = self.entries.iter().position(|e| e.id == id)?;
        self.entries.remove(at);
        if at != 0 {
            return None;
        }
        match self.entries.front_mut() {
            None => {
                core.clear_waiting();
                None
            }
            Some(head) if core.available() > 0 => head.waker.take(),
            Some(_) => None,
        }
    }
}

/// Where a waiting call is.
#[derive(Clone, Copy)]
enum State {
    /// Not yet polled; `true`: try the fast path first.
    Start(bool),
    /// In the queue.
    Queued(u64),
    /// Its units are taken (or it never will: a group size error).
    Done,
}

/// The waiting core of every waiting call: `k` admission units, taken fairly.
/// Dropping it while queued removes it from the queue and hands its wakeup on.
///
/// It keeps only the pool's address (not a `Core` view, five words): a future
/// is moved around by executors and combinators, and a small one moves cheaply.
struct Acquire<'a, S: SeatStorage> {
    pool: &'a SeatPoolIn<S>,
    k: usize,
    state: State,
}

impl<'a, S: SeatStorage> Acquire<'a, S> {
    #[inline]
    fn new(pool: &'a SeatPoolIn<S>, k: usize, fast: bool) -> Self {
        Self {
            pool,
            k,
            state: State::Start(fast),
        }
    }

    #[inline]
    fn core(&self) -> Core<'a> {
        self.pool.core()
    }

    /// `Ready` once the call holds its `k` units (then its seats are claimed
    /// without waiting: admission guarantees the bits). The fast path is
    /// inlined; the queue is not.
    #[inline]
    fn poll_admit(&mut self, waker: &Waker) -> Poll<()> {
        if let State::Start(true) = self.state {
            if self.core().admit_unless_waiting(self.k) {
                self.state = State::Done;
                return Poll::Ready(());
            }
        }
        self.poll_queue(waker)
    }

    /// The slow path: join the queue, or claim at its head, or wait.
    #[inline(never)]
    fn poll_queue(&mut self, waker: &Waker) -> Poll<()> {
        if let State::Done = self.state {
            panic!("racefree: a seat reservation future was polled after it completed");
        }
        let core = self.core();
        let mut queue = self.pool.waiters().lock();
        let id = match self.state {
            State::Queued(id) => id,
            _ => {
                let id = queue.push(core, waker);
                self.state = State::Queued(id);
                id
            }
        };
        if queue.is_head(id) && core.admit(self.k) {
            let next = queue.remove(core, id);
            drop(queue);
            self.state = State::Done;
            if let Some(next) = next {
                next.wake();
            }
            return Poll::Ready(());
        }
        queue.set_waker(id, waker);
        Poll::Pending
    }
}

impl<S: SeatStorage> Acquire<'_, S> {
    /// [`ReserveOne`] past its fast path (out of line, so that the fast path
    /// stays small): waits in the queue; the seat's id once admitted.
    #[inline(never)]
    fn poll_one_slow(&mut self, waker: &Waker) -> Poll<usize> {
        if let State::Start(true) = self.state {
            self.state = State::Start(false); // the fast path just failed
        }
        match self.poll_admit(waker) {
            Poll::Ready(()) => Poll::Ready(self.core().claim_admitted_one()),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Leaves the queue (a cancelled call), handing on a wakeup.
    #[inline(never)]
    fn leave(&mut self, id: u64) {
        let next = self.pool.waiters().lock().remove(self.core(), id);
        if let Some(next) = next {
            next.wake();
        }
    }
}

impl<S: SeatStorage> Drop for Acquire<'_, S> {
    #[inline]
    fn drop(&mut self) {
        if let State::Queued(id) = self.state {
            self.leave(id);
        }
    }
}

/// The future of [`SeatPoolIn::reserve`].
struct ReserveOne<'a, S: SeatStorage>(Acquire<'a, S>);

impl<'a, S: SeatStorage> Future for ReserveOne<'a, S> {
    type Output = Seat<'a>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Seat<'a>> {
        let acquire = &mut self.get_mut().0;
        let core = acquire.core();
        // The fast path in the shape of `try_reserve`, one `Seat` built at the
        // end (see `reserve_blocking`).
        let fast = match acquire.state {
            State::Start(true) => core.try_reserve_unless_waiting(),
            _ => None,
        };
        let id = match fast {
            Some(id) => {
                acquire.state = State::Done;
                id
            }
            None => match acquire.poll_one_slow(cx.waker()) {
                Poll::Ready(id) => id,
                Poll::Pending => return Poll::Pending,
            },
        };
        Poll::Ready(Seat::new(acquire.pool, id))
    }
}

/// The future of [`SeatPoolIn::reserve_many`].
enum ReserveMany<'a, S: SeatStorage> {
    Invalid(Option<SeatError>),
    Waiting(Acquire<'a, S>),
}

impl<'a, S: SeatStorage> Future for ReserveMany<'a, S> {
    type Output = Result<SeatGroup<'a>, SeatError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            ReserveMany::Invalid(error) => Poll::Ready(Err(error
                .take()
                .expect("racefree: a seat reservation future was polled after it completed"))),
            ReserveMany::Waiting(acquire) => match acquire.poll_admit(cx.waker()) {
                Poll::Ready(()) => Poll::Ready(Ok(claim_many(acquire.core(), acquire.k))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// The group for `k` admitted units.
fn claim_many(core: Core<'_>, k: usize) -> SeatGroup<'_> {
    SeatGroup::new(core, core.claim_admitted_many(k), k)
}

/// Drives `acquire` on this thread, parked between polls (a release that wakes
/// it unparks it; a spurious unpark only costs a poll). `false` if `deadline`
/// passed first (the caller drops `acquire`, which leaves the queue).
fn wait_blocking<S: SeatStorage>(acquire: &mut Acquire<'_, S>, deadline: Deadline<'_>) -> bool {
    #[cfg(loom)]
    if let Some(timer) = deadline {
        // The same loop as below with a deadline: a failed poll, the deadline
        // check, a park that the timer may end.
        let waker = timer.waker();
        loop {
            if acquire.poll_admit(&waker).is_ready() {
                return true;
            }
            if timer.expired() {
                return false;
            }
            timer.park();
        }
    }
    let parker = Parker::current();
    let waker = parker.waker();
    loop {
        if acquire.poll_admit(&waker).is_ready() {
            return true;
        }
        #[cfg(not(loom))]
        if let Some(deadline) = deadline {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            parker.park_timeout(deadline - now);
            continue;
        }
        parker.park();
    }
}

/// Waiting for seats: needs the `wait` feature (on by default; it implies
/// `std`). See "Waiting" in the [module docs](crate::seats) for the fairness
/// and cancellation guarantees. Pools in this process's memory only
/// ([`InProcessStorage`]).
impl<S: InProcessStorage> SeatPoolIn<S> {
    /// Books a seat, parking the thread until one is free (no spinning while
    /// parked; before it parks, a waiter spins about a microsecond for a
    /// wakeup that comes soon).
    ///
    /// When nobody waits and a seat is free this is exactly
    /// [`try_reserve`](Self::try_reserve). Otherwise the call queues behind
    /// every waiting call that came before it (FIFO, groups included) and is
    /// woken by a release.
    ///
    /// ```
    /// use std::thread;
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(1);
    /// let held = pool.try_reserve().unwrap();
    /// thread::scope(|s| {
    ///     let waiter = s.spawn(|| pool.reserve_blocking().id());
    ///     drop(held); // wakes the waiter
    ///     assert_eq!(waiter.join().unwrap(), 0);
    /// });
    /// ```
    #[inline]
    pub fn reserve_blocking(&self) -> Seat<'_> {
        let core = self.core();
        // The fast path in exactly `try_reserve`'s shape, so that it compiles
        // to the same code (measured: inlining the admission and the claim
        // separately cost ~10%). Both paths end in a seat id and the `Seat` is
        // built once: a `Seat` is eight words, and joining two of them cost a
        // copy (measured: a third of the gap to `try_reserve`).
        let id = match core.try_reserve_unless_waiting() {
            Some(id) => id,
            None => self.reserve_blocking_slow(),
        };
        Seat::new(self, id)
    }

    /// `reserve_blocking` past its fast path: queue and park; the seat's id.
    #[inline(never)]
    fn reserve_blocking_slow(&self) -> usize {
        let mut acquire = Acquire::new(self, 1, false);
        let admitted = wait_blocking(&mut acquire, None);
        debug_assert!(admitted);
        self.core().claim_admitted_one()
    }

    /// Books a seat, parking the thread for at most `timeout`; `None` if none
    /// became free for it in time (it then keeps nothing and leaves the queue).
    /// `Duration::ZERO` is a fair `try_reserve`: it refuses while others wait.
    /// (Under loom, which has no clock, it takes a `LoomTimer` instead.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(1);
    /// let held = pool.reserve_timeout(Duration::from_millis(10)).unwrap();
    /// assert!(pool.reserve_timeout(Duration::from_millis(10)).is_none());
    /// drop(held);
    /// assert!(pool.reserve_timeout(Duration::ZERO).is_some());
    /// ```
    #[cfg(not(loom))]
    pub fn reserve_timeout(&self, timeout: Duration) -> Option<Seat<'_>> {
        let core = self.core();
        let id = match core.try_reserve_unless_waiting() {
            Some(id) => id,
            // A deadline past `Instant`'s range is no deadline.
            None => self.reserve_until(Instant::now().checked_add(timeout))?,
        };
        Some(Seat::new(self, id))
    }

    /// `reserve_timeout` under loom, which has no clock: the wait gives up at
    /// its first deadline check after `timer` fired (see [`LoomTimer`]).
    /// Test-only: it exists only under `cfg(loom)`, for tests/loom/wait.rs.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn reserve_timeout(&self, timer: &LoomTimer) -> Option<Seat<'_>> {
        let core = self.core();
        let id = match core.try_reserve_unless_waiting() {
            Some(id) => id,
            None => self.reserve_until(Some(timer))?,
        };
        Some(Seat::new(self, id))
    }

    /// `reserve_timeout` past its fast path: queue and park until admitted or
    /// the deadline passes (then `acquire`'s drop leaves the queue, handing on
    /// any wakeup it received); the seat's id.
    #[inline(never)]
    fn reserve_until(&self, deadline: Deadline<'_>) -> Option<usize> {
        let mut acquire = Acquire::new(self, 1, false);
        wait_blocking(&mut acquire, deadline).then(|| self.core().claim_admitted_one())
    }

    /// Whether the admission word's waiting flag is set. Test-only: it exists
    /// only under `cfg(loom)`, so that the loom models can check that the last
    /// waiter out (served, cancelled or timed out) cleared it.
    #[cfg(loom)]
    #[doc(hidden)]
    #[must_use]
    pub fn waiting_flag(&self) -> bool {
        self.core().waiting_flag()
    }

    /// Books a seat, waiting asynchronously until one is free. Runs on any
    /// executor (it uses only the `Waker` it is polled with; no runtime, no
    /// timer).
    ///
    /// Cancel-safe: dropping the future before it completes (a timeout, a
    /// `select!` branch that lost) keeps no seat, leaves the queue, and passes
    /// on a wakeup it received to the next waiter.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(2);
    /// let seat = block_on(pool.reserve());
    /// assert_eq!(pool.available(), 1);
    /// # drop(seat);
    /// ```
    #[inline]
    pub fn reserve(&self) -> impl Future<Output = Seat<'_>> + '_ {
        ReserveOne(Acquire::new(self, 1, true))
    }

    /// Books `k` seats all-or-nothing, parking the thread until `k` are free
    /// for it. Fair to groups: single waiting calls that come later queue
    /// behind it (see "Waiting" in the [module docs](crate::seats)).
    ///
    /// # Errors
    /// [`SeatError::GroupSize`] at once if `k` is 0 or more than the capacity
    /// (such a group could never be booked).
    ///
    /// ```
    /// use racefree::{SeatError, SeatPool};
    ///
    /// let pool = SeatPool::new(4);
    /// let family = pool.reserve_many_blocking(3).unwrap();
    /// assert_eq!(family.len(), 3);
    /// assert_eq!(
    ///     pool.reserve_many_blocking(5).unwrap_err(),
    ///     SeatError::GroupSize { k: 5, capacity: 4 }
    /// );
    /// ```
    pub fn reserve_many_blocking(&self, k: usize) -> Result<SeatGroup<'_>, SeatError> {
        let core = self.core();
        check_group(k, core.capacity())?;
        if core.admit_unless_waiting(k) {
            return Ok(claim_many(core, k));
        }
        let mut acquire = Acquire::new(self, k, false);
        let admitted = wait_blocking(&mut acquire, None);
        debug_assert!(admitted);
        Ok(claim_many(core, k))
    }

    /// Books `k` seats all-or-nothing, waiting asynchronously until `k` are
    /// free for it; fair to groups and cancel-safe like
    /// [`reserve`](Self::reserve).
    ///
    /// # Errors
    /// [`SeatError::GroupSize`] (the future's output, on its first poll) if `k`
    /// is 0 or more than the capacity.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use racefree::{SeatError, SeatPool};
    ///
    /// let pool = SeatPool::new(4);
    /// let pair = block_on(pool.reserve_many(2)).unwrap();
    /// assert_eq!(pair.len(), 2);
    /// assert!(matches!(block_on(pool.reserve_many(0)), Err(SeatError::GroupSize { k: 0, .. })));
    /// ```
    pub fn reserve_many(
        &self,
        k: usize,
    ) -> impl Future<Output = Result<SeatGroup<'_>, SeatError>> + '_ {
        let core = self.core();
        match check_group(k, core.capacity()) {
            Ok(()) => ReserveMany::Waiting(Acquire::new(self, k, true)),
            Err(error) => ReserveMany::Invalid(Some(error)),
        }
    }

    /// How many waiting calls are queued for seats right now (a snapshot; it
    /// takes the queue's lock briefly).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// assert_eq!(SeatPool::new(1).waiting(), 0);
    /// ```
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.waiters().len()
    }
}

/// A waiting group must be bookable some day: `1..=capacity` seats.
fn check_group(k: usize, capacity: usize) -> Result<(), SeatError> {
    if k == 0 || k > capacity {
        Err(SeatError::GroupSize { k, capacity })
    } else {
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use alloc::sync::Arc;
    use core::future::Future;
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use std::task::Wake;

    use crate::{ArraySeatPool, SeatPool};

    /// The waiting flag is set exactly while someone is queued: the first
    /// waiter sets it, the last one out (served or cancelled) clears it, so a
    /// pool nobody waits on has a release path with no lock.
    #[test]
    fn the_waiting_flag_follows_the_queue() {
        let pool = SeatPool::new(2);
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let all = pool.try_reserve_many(2).unwrap();
        assert!(!pool.core().waiting_flag());
        {
            let mut a = pin!(pool.reserve());
            let mut b = pin!(pool.reserve_many(2));
            assert!(a.as_mut().poll(&mut cx).is_pending());
            assert!(pool.core().waiting_flag());
            assert!(b.as_mut().poll(&mut cx).is_pending());
            drop(all);
            // The flag never shows in the count.
            assert_eq!(pool.available(), 2);
            let Poll::Ready(seat) = a.as_mut().poll(&mut cx) else {
                panic!("the head is served")
            };
            assert!(pool.core().waiting_flag(), "b still waits");
            assert!(b.as_mut().poll(&mut cx).is_pending());
            drop(seat);
        } // b dropped while queued: cancelled
        assert!(!pool.core().waiting_flag());
        assert_eq!(pool.waiting(), 0);
        assert_eq!(pool.available(), 2);

        static SLOTS: ArraySeatPool<1> = ArraySeatPool::new(1);
        let held = SLOTS.try_reserve().unwrap();
        assert!(SLOTS
            .reserve_timeout(core::time::Duration::from_millis(1))
            .is_none());
        assert!(!SLOTS.core().waiting_flag());
        drop(held);
    }
}
