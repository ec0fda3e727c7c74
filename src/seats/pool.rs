//! [`SeatPoolIn`]: the one pool type, generic over its [`SeatStorage`]. Every
//! operation is written here once; a storage adds only its constructors.

use core::fmt;

use super::raw::Core;
#[cfg(feature = "wait")]
use super::wait::Waiters;
#[cfg(feature = "alloc")]
use super::SeatGroup;
use super::{Seat, SeatError, Ticket};

/// Where a pool's header (admission count, capacity, scan hint, identity) and
/// bitmap words live. Sealed: the storages are [`HeapStorage`](crate::HeapStorage)
/// (behind [`SeatPool`](crate::SeatPool)) and
/// [`InlineStorage`](crate::InlineStorage) (behind
/// [`ArraySeatPool`](crate::ArraySeatPool)); see "Adding a storage" in the
/// [module docs](crate::seats).
///
/// Code that takes any pool is generic over it:
///
/// ```
/// use racefree::{ArraySeatPool, SeatPool, SeatPoolIn, SeatStorage};
///
/// fn book_two<S: SeatStorage>(pool: &SeatPoolIn<S>) -> bool {
///     pool.try_reserve_many(2).map(|group| group.confirm()).is_some()
/// }
///
/// static FIRMWARE: ArraySeatPool<1> = ArraySeatPool::new(3);
/// assert!(book_two(&SeatPool::new(3)));
/// assert!(book_two(&FIRMWARE));
/// assert!(!book_two(&FIRMWARE)); // one seat left
/// ```
pub trait SeatStorage: sealed::Storage {}

impl<S: sealed::Storage> SeatStorage for S {}

/// A storage in this process's own memory ([`HeapStorage`](crate::HeapStorage),
/// [`InlineStorage`](crate::InlineStorage)): the pools that can wait for seats
/// (`reserve_blocking`, async `reserve`, ...). A shared-memory pool cannot: a
/// release in another process could not wake this one's waiters, and its claims
/// must stay inside the window its crash recovery watches. Sealed.
///
/// ```
/// use racefree::{InProcessStorage, SeatPool, SeatPoolIn};
///
/// # #[cfg(feature = "wait")]
/// fn take_one<S: InProcessStorage>(pool: &SeatPoolIn<S>) -> usize {
///     pool.reserve_blocking().confirm().id()
/// }
/// # #[cfg(feature = "wait")]
/// assert_eq!(take_one(&SeatPool::new(1)), 0);
/// ```
pub trait InProcessStorage: SeatStorage + sealed::InProcess {}

impl<S: SeatStorage + sealed::InProcess> InProcessStorage for S {}

pub(crate) mod sealed {
    use super::Core;

    /// What a storage provides: the header and the words, as one view. `Sync`:
    /// a pool is shared by the threads that hold its seats.
    pub trait Storage: Sync {
        /// The name `Debug` prints for a pool in this storage (its alias).
        const NAME: &'static str;

        /// The pool's header and bitmap, as the core works on them.
        fn core(&self) -> Core<'_>;
    }

    /// A storage in this process's own memory (see `InProcessStorage`).
    pub trait InProcess {}
}

/// A bounded pool of `capacity` seats (ids `0..capacity`) that no two holders can
/// ever share, with its header and bitmap in the storage `S`: the last seat is
/// sold once, a group is booked all-or-nothing.
///
/// Use it through its aliases, which also carry the constructors:
/// [`SeatPool`](crate::SeatPool) (heap, any capacity at run time) and
/// [`ArraySeatPool<WORDS>`](crate::ArraySeatPool) (inline, `const fn new`, for a
/// `static` without `alloc`). Every operation below is the same for both.
///
/// Lock-free (see [`is_lock_free`](Self::is_lock_free)): a bitmap of `usize`
/// words (1 bit = taken) behind an admission count of seats not yet promised to
/// anyone. A claim takes admission first, then sets bits with `fetch_or`; a
/// release clears its bits with `fetch_and`, then gives the count back. See the
/// [module docs](crate::seats) for what [`available`](Self::available) shows
/// while claims are in flight.
///
/// ```
/// use racefree::{ArraySeatPool, SeatPool, SeatPoolIn, SeatStorage};
///
/// /// Any free seat, whatever the pool's storage.
/// fn first_free<S: SeatStorage>(pool: &SeatPoolIn<S>) -> Option<usize> {
///     pool.try_reserve().map(|seat| seat.id())
/// }
///
/// static SLOTS: ArraySeatPool<1> = ArraySeatPool::new(4);
/// assert!(first_free(&SLOTS).is_some());
/// assert!(first_free(&SeatPool::new(4)).is_some());
/// ```
pub struct SeatPoolIn<S: SeatStorage> {
    storage: S,
    /// Callers waiting for seats (`wait` feature): kept in the pool, not in the
    /// storage, so every storage gets waiting without a change to its layout.
    #[cfg(feature = "wait")]
    waiters: Waiters,
}

/// What a held [`Seat`] keeps of its pool: a trait object (two words), not the
/// pool's seven-word [`Core`] view, so that a `Seat` is three words and cheap to
/// move (out of a future's `poll`, through an executor). Implemented once, for
/// every storage; a release costs one indirect call into code made for the
/// pool's storage.
pub(crate) trait SeatOwner: Sync {
    /// Frees seat `id`, held by the caller.
    fn release_seat(&self, id: usize);
    /// The pool's view (for the rarer operations on a held seat).
    fn view(&self) -> Core<'_>;
}

impl<S: SeatStorage> SeatOwner for SeatPoolIn<S> {
    #[inline]
    fn release_seat(&self, id: usize) {
        self.core().release_id(id);
    }

    #[inline]
    fn view(&self) -> Core<'_> {
        self.core()
    }
}

impl<S: SeatStorage> SeatPoolIn<S> {
    crate::const_fn! {
        /// A pool over a storage that its constructor has just built (all seats
        /// free).
        #[inline]
        pub(crate) const fn from_storage(storage: S) -> Self {
            Self {
                storage,
                #[cfg(feature = "wait")]
                waiters: Waiters::new(),
            }
        }
    }

    /// The storage, for the tests of its layout and for a storage's own
    /// methods (the shared-memory pool's).
    #[cfg(all(not(loom), any(all(test, feature = "alloc"), feature = "shm")))]
    pub(crate) fn storage(&self) -> &S {
        &self.storage
    }

    /// The view every operation works on; with `wait`, its releases wake this
    /// pool's waiters.
    #[inline]
    pub(super) fn core(&self) -> Core<'_> {
        #[cfg(feature = "wait")]
        return self.storage.core().with_waiters(&self.waiters);
        #[cfg(not(feature = "wait"))]
        return self.storage.core();
    }

    /// The pool's wait queue.
    #[cfg(feature = "wait")]
    #[inline]
    pub(super) fn waiters(&self) -> &Waiters {
        &self.waiters
    }

    /// How many seats the pool has.
    ///
    /// ```
    /// use racefree::{ArraySeatPool, SeatPool};
    ///
    /// assert_eq!(SeatPool::new(12).capacity(), 12);
    /// assert_eq!(ArraySeatPool::<1>::new(5).capacity(), 5);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.core().capacity()
    }

    /// Seats not promised to any claimer: free seats, minus seats that claims in
    /// flight have already been admitted for. A group claim of `k` counts as
    /// taken from the moment its admission succeeds, before its bits are set; a
    /// `try_reserve_seat` that is about to lose its seat to another thread holds
    /// one unit for a few instructions and then gives it back. A snapshot:
    /// other threads may change it at once.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(3);
    /// let _seat = pool.try_reserve().unwrap();
    /// assert_eq!(pool.available(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn available(&self) -> usize {
        self.core().available()
    }

    /// Books any free seat. `None` only when every seat is taken or promised to
    /// an in-flight claim at the moment of the admission check (see the module
    /// docs for the one transient of `try_reserve_seat`).
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    ///
    /// static POOL: ArraySeatPool<1> = ArraySeatPool::new(1);
    /// let last = POOL.try_reserve().unwrap();
    /// assert!(POOL.try_reserve().is_none());
    /// drop(last);
    /// assert!(POOL.try_reserve().is_some());
    /// ```
    #[inline]
    pub fn try_reserve(&self) -> Option<Seat<'_>> {
        let core = self.core();
        core.try_reserve().map(|id| Seat::new(self, id))
    }

    /// Books seat `id` exactly.
    ///
    /// # Errors
    /// [`SeatError::OutOfRange`] if `id >= capacity`; [`SeatError::Taken`] if
    /// someone holds it (or every seat is already promised).
    ///
    /// ```
    /// use racefree::{SeatError, SeatPool};
    ///
    /// let pool = SeatPool::new(10);
    /// let window = pool.try_reserve_seat(3).unwrap();
    /// assert_eq!(pool.try_reserve_seat(3).unwrap_err(), SeatError::Taken);
    /// assert_eq!(
    ///     pool.try_reserve_seat(10).unwrap_err(),
    ///     SeatError::OutOfRange { id: 10, capacity: 10 }
    /// );
    /// # drop(window);
    /// ```
    #[inline]
    pub fn try_reserve_seat(&self, id: usize) -> Result<Seat<'_>, SeatError> {
        let core = self.core();
        core.try_reserve_seat(id).map(|id| Seat::new(self, id))
    }

    /// Books `k` seats, all or nothing: `Some` with exactly `k` seats, or `None`
    /// and the call kept nothing. `None` when fewer than `k` seats are
    /// unpromised at its admission check, and always when `k > capacity`.
    /// `k == 0` always gives `Some` of an empty group, touching nothing. Needs
    /// `alloc` (for the group's parts), whatever the storage.
    ///
    /// While the call runs, [`available`](Self::available) already reads `k`
    /// less (from its admission on); its seats' bits are set one word at a time,
    /// so a concurrent `try_reserve_seat(id)` can still find a seat of the group
    /// clear and win it (the group then takes another free seat: it was
    /// promised `k` seats, not particular ones).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(5);
    /// let family = pool.try_reserve_many(4).unwrap();
    /// assert!(pool.try_reserve_many(2).is_none()); // only 1 left: nothing taken
    /// assert_eq!(pool.available(), 1);
    /// # drop(family);
    /// ```
    #[cfg(feature = "alloc")]
    pub fn try_reserve_many(&self, k: usize) -> Option<SeatGroup<'_>> {
        let core = self.core();
        core.try_reserve_many(k)
            .map(|parts| SeatGroup::new(core, parts, k))
    }

    /// Releases a confirmed seat. A ticket issued by another pool comes back
    /// untouched in `Err` (and nothing is released). Moving the pool while
    /// tickets are out is fine: its identity moves with it.
    ///
    /// # Errors
    /// `Err(ticket)` if `ticket` was not issued by this pool.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let (a, b) = (SeatPool::new(1), SeatPool::new(1));
    /// let ticket = a.try_reserve().unwrap().confirm();
    /// let ticket = b.cancel(ticket).unwrap_err(); // not b's: untouched
    /// let moved = a; // tickets survive a move
    /// moved.cancel(ticket).unwrap();
    /// assert_eq!(moved.available(), 1);
    /// ```
    pub fn cancel(&self, ticket: Ticket) -> Result<(), Ticket> {
        self.core().cancel(ticket)
    }

    /// Whether the pool's atomics are lock-free on this target (`false` only
    /// where they are emulated with critical sections, e.g. thumbv6m with the
    /// `critical-section` feature, where every atomic operation briefly disables
    /// interrupts).
    ///
    /// ```
    /// # #[cfg(target_has_atomic = "ptr")]
    /// assert!(racefree::SeatPool::is_lock_free() && racefree::ArraySeatPool::<1>::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        super::IS_LOCK_FREE
    }
}

impl<S: SeatStorage> fmt::Debug for SeatPoolIn<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(S::NAME)
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}
