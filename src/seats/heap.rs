//! [`SeatPool`]: the heap form, any capacity chosen at run time.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use super::bits::words_for;
use super::raw::{free_word, Core, Header, Word};
use super::{Seat, SeatError, Seats, Ticket};

/// A bounded pool of `capacity` seats (ids `0..capacity`) that no two holders can
/// ever share: the last seat is sold once, a group is booked all-or-nothing.
///
/// Lock-free (see [`is_lock_free`](SeatPool::is_lock_free)): a bitmap of
/// `usize` words (1 bit = taken) behind an admission count of seats not yet
/// promised to anyone. A claim takes admission first, then sets bits with
/// `fetch_or`; a release clears its bits with `fetch_and`, then gives the count
/// back. See the [module docs](crate::seats) for what [`available`](Self::available)
/// shows while claims are in flight.
///
/// A booking service:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use racefree::{SeatPool, Ticket};
///
/// struct Concert {
///     seats: SeatPool,
///     holders: Mutex<HashMap<usize, String>>, // just the guest list
/// }
///
/// impl Concert {
///     /// Books any seat; `None` when sold out. Never sells a seat twice.
///     fn book(&self, guest: &str) -> Option<Ticket> {
///         let seat = self.seats.try_reserve()?;
///         self.holders.lock().unwrap().insert(seat.id(), guest.to_owned());
///         Some(seat.confirm())
///     }
///
///     fn refund(&self, ticket: Ticket) {
///         self.holders.lock().unwrap().remove(&ticket.id());
///         self.seats.cancel(ticket).expect("a ticket of this concert");
///     }
/// }
///
/// let concert = Concert { seats: SeatPool::new(2), holders: Mutex::default() };
/// let a = concert.book("ada").unwrap();
/// let b = concert.book("bob").unwrap();
/// assert!(concert.book("cy").is_none()); // sold out, not oversold
/// concert.refund(a);
/// assert!(concert.book("cy").is_some());
/// # drop(b);
/// ```
pub struct SeatPool {
    header: Header,
    /// The bitmap, one logical word every [`STRIDE`] words.
    words: Box<[Word]>,
}

/// Words from one bitmap word to the next in a heap pool: 128 bytes apart, so
/// claimers working in different words never share a cache line (nor an
/// adjacent-line prefetch pair). Measured by `cargo bench --bench summary`: it is
/// what lets a nearly full pool, whose free seats cluster in a few neighbouring
/// words, keep ahead of a mutex. The cost is 128 bytes per `usize::BITS` seats: 2
/// bytes a seat on 64-bit targets, 4 on 32-bit ones; `ArraySeatPool`, sized for
/// firmware, stays packed.
const STRIDE: usize = 128 / core::mem::size_of::<Word>();

/// A free bitmap for `capacity` seats, one logical word every [`STRIDE`] words.
///
/// Every size is checked (a wrapped `words * STRIDE` on a 32-bit target would
/// give an empty bitmap for a huge capacity), and the allocation is fallible: a
/// bitmap that cannot be sized or allocated is [`SeatError::CapacityTooLarge`],
/// not an abort.
fn padded_words(capacity: usize) -> Result<Box<[Word]>, SeatError> {
    let len = words_for(capacity)
        .checked_mul(STRIDE)
        .ok_or(SeatError::CapacityTooLarge)?;
    // A slice of more than `isize::MAX` bytes cannot exist.
    core::alloc::Layout::array::<Word>(len).map_err(|_| SeatError::CapacityTooLarge)?;
    let mut words = Vec::new();
    words
        .try_reserve_exact(len)
        .map_err(|_| SeatError::CapacityTooLarge)?;
    words.resize_with(len, free_word);
    Ok(words.into_boxed_slice())
}

impl SeatPool {
    /// A pool of `capacity` free seats, ids `0..capacity`.
    ///
    /// # Panics
    /// If `capacity` is 0 (`"racefree::SeatPool::new: capacity must be at least
    /// 1"`), or if its bitmap (128 bytes per `usize::BITS` seats: 2 bytes a seat
    /// on 64-bit targets, 4 on 32-bit ones) is too large to size or to allocate.
    /// Use [`try_new`](Self::try_new) to get an error instead.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(1_000);
    /// assert_eq!(pool.capacity(), 1_000);
    /// assert_eq!(pool.available(), 1_000);
    /// ```
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        match Self::try_new(capacity) {
            Ok(pool) => pool,
            Err(SeatError::ZeroCapacity) => {
                panic!("racefree::SeatPool::new: capacity must be at least 1")
            }
            Err(_) => panic!("racefree::SeatPool::new: capacity too large for a bitmap"),
        }
    }

    /// Like [`new`](Self::new), with an error instead of a panic.
    ///
    /// # Errors
    /// [`SeatError::ZeroCapacity`] for 0; [`SeatError::CapacityTooLarge`] when
    /// the bitmap's size overflows `usize` or `isize::MAX` bytes, or its
    /// allocation fails (checked before and during allocation: never a wrapped
    /// size, never an abort).
    ///
    /// ```
    /// use racefree::{SeatError, SeatPool};
    ///
    /// assert_eq!(SeatPool::try_new(0).unwrap_err(), SeatError::ZeroCapacity);
    /// assert_eq!(SeatPool::try_new(3).unwrap().capacity(), 3);
    /// assert_eq!(
    ///     SeatPool::try_new(usize::MAX).unwrap_err(),
    ///     SeatError::CapacityTooLarge
    /// );
    /// ```
    pub fn try_new(capacity: usize) -> Result<Self, SeatError> {
        if capacity == 0 {
            return Err(SeatError::ZeroCapacity);
        }
        Ok(Self {
            header: Header::new(capacity),
            words: padded_words(capacity)?,
        })
    }

    /// The whole bitmap, padding included (for the size tests).
    #[cfg(test)]
    pub(crate) fn bitmap(&self) -> &[Word] {
        &self.words
    }

    #[inline]
    fn core(&self) -> Core<'_> {
        Core::new(&self.header, &self.words, STRIDE)
    }

    /// How many seats the pool has.
    ///
    /// ```
    /// assert_eq!(racefree::SeatPool::new(12).capacity(), 12);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.header.capacity()
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
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(1);
    /// let last = pool.try_reserve().unwrap();
    /// assert!(pool.try_reserve().is_none());
    /// drop(last);
    /// assert!(pool.try_reserve().is_some());
    /// ```
    #[inline]
    pub fn try_reserve(&self) -> Option<Seat<'_>> {
        let core = self.core();
        core.try_reserve().map(|id| Seat::new(core, id))
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
        core.try_reserve_seat(id).map(|id| Seat::new(core, id))
    }

    /// Books `k` seats, all or nothing: `Some` with exactly `k` seats, or `None`
    /// and the call kept nothing. `None` when fewer than `k` seats are
    /// unpromised at its admission check, and always when `k > capacity`.
    /// `k == 0` always gives `Some` of an empty group, touching nothing.
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
    pub fn try_reserve_many(&self, k: usize) -> Option<Seats<'_>> {
        let core = self.core();
        if k == 0 {
            return Some(Seats::new(core, alloc::vec::Vec::new(), 0));
        }
        core.try_reserve_many(k)
            .map(|parts| Seats::new(core, parts, k))
    }

    /// Releases a confirmed seat. A ticket issued by another pool comes back
    /// untouched in `Err` (and nothing is released).
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
    /// a.cancel(ticket).unwrap();
    /// assert_eq!(a.available(), 1);
    /// ```
    pub fn cancel(&self, ticket: Ticket) -> Result<(), Ticket> {
        self.core().cancel(ticket)
    }

    /// Whether the pool's atomics are lock-free on this target (`false` only
    /// where they are emulated with critical sections, e.g. thumbv6m with the
    /// `critical-section` feature).
    ///
    /// ```
    /// # #[cfg(target_has_atomic = "ptr")]
    /// assert!(racefree::SeatPool::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        super::IS_LOCK_FREE
    }
}

impl fmt::Debug for SeatPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeatPool")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}
