//! [`ArraySeatPool`]: the no-alloc form, `const`-constructible in a `static`.

use core::fmt;

use super::bits::{words_for, BITS};
use super::raw::{Core, Header, Word};
#[cfg(feature = "alloc")]
use super::Seats;
use super::{Seat, SeatError, Ticket};

/// A seat pool with its bitmap inline: `WORDS` words of `usize::BITS` seats, no
/// allocation, `const fn new`, so it can live in a `static` on `no_std`. Same
/// algorithm, guards and guarantees as [`SeatPool`](crate::SeatPool). Size it with
/// [`words_for`](crate::words_for).
///
/// Firmware with a fixed set of DMA buffers, handed out to interrupt handlers and
/// tasks without a lock:
///
/// ```
/// use racefree::{words_for, ArraySeatPool};
///
/// const BUFFERS: usize = 24;
/// static RX_BUFFERS: ArraySeatPool<{ words_for(BUFFERS) }> = ArraySeatPool::new(BUFFERS);
///
/// fn on_packet() -> Option<usize> {
///     // Any free buffer, or drop the packet: never two users of one buffer.
///     let seat = RX_BUFFERS.try_reserve()?;
///     let buffer = seat.id(); // index into a `static` array of buffers
///     // ... fill the buffer, hand it on; keep it booked past this function:
///     let ticket = seat.confirm();
///     // later, when the consumer is done:
///     RX_BUFFERS.cancel(ticket).unwrap();
///     Some(buffer)
/// }
///
/// assert!(on_packet().is_some());
/// assert_eq!(RX_BUFFERS.available(), BUFFERS);
/// ```
///
/// A capacity of 0, or more than `WORDS * usize::BITS`, fails to compile when the
/// pool is a `static` or `const`:
///
/// ```compile_fail
/// use racefree::ArraySeatPool;
/// static EMPTY: ArraySeatPool<1> = ArraySeatPool::new(0); // error: capacity must be at least 1
/// ```
pub struct ArraySeatPool<const WORDS: usize> {
    header: Header,
    words: [Word; WORDS],
}

impl<const WORDS: usize> ArraySeatPool<WORDS> {
    crate::const_fn! {
        /// A pool of `capacity` free seats, ids `0..capacity`. `const`: usable in
        /// a `static` (off `loom`).
        ///
        /// # Panics
        /// If `capacity` is 0 or more than `WORDS * usize::BITS` (in a `static`
        /// or `const`, a compile error). Use [`try_new`](Self::try_new) for an
        /// error value instead.
        ///
        /// ```
        /// use racefree::{words_for, ArraySeatPool};
        ///
        /// static SLOTS: ArraySeatPool<{ words_for(100) }> = ArraySeatPool::new(100);
        /// assert_eq!(SLOTS.capacity(), 100);
        /// ```
        #[must_use]
        pub const fn new(capacity: usize) -> Self {
            if capacity == 0 {
                panic!("ArraySeatPool::new: capacity must be at least 1");
            }
            if capacity > WORDS.saturating_mul(BITS) {
                panic!("ArraySeatPool::new: capacity exceeds WORDS * usize::BITS; size it with words_for(capacity)");
            }
            Self::build(capacity)
        }
    }

    crate::const_fn! {
        /// Like [`new`](Self::new), with an error instead of a panic.
        ///
        /// # Errors
        /// [`SeatError::ZeroCapacity`] for 0; [`SeatError::TooLarge`] when
        /// `capacity > WORDS * usize::BITS` (that product saturates at `usize::MAX`).
        ///
        /// ```
        /// use racefree::{ArraySeatPool, SeatError};
        ///
        /// let bits = usize::BITS as usize;
        /// assert!(ArraySeatPool::<2>::try_new(2 * bits).is_ok());
        /// assert_eq!(
        ///     ArraySeatPool::<2>::try_new(2 * bits + 1).unwrap_err(),
        ///     SeatError::TooLarge { capacity: 2 * bits + 1, max: 2 * bits }
        /// );
        /// assert_eq!(ArraySeatPool::<2>::try_new(0).unwrap_err(), SeatError::ZeroCapacity);
        /// ```
        pub const fn try_new(capacity: usize) -> Result<Self, SeatError> {
            if capacity == 0 {
                return Err(SeatError::ZeroCapacity);
            }
            let max = WORDS.saturating_mul(BITS);
            if capacity > max {
                return Err(SeatError::TooLarge { capacity, max });
            }
            Ok(Self::build(capacity))
        }
    }

    crate::const_fn! {
        const fn build(capacity: usize) -> Self {
            Self {
                header: Header::new(capacity),
                #[cfg(not(loom))]
                words: [const { super::raw::free_word() }; WORDS],
                #[cfg(loom)]
                words: core::array::from_fn(|_| super::raw::free_word()),
            }
        }
    }

    /// The whole bitmap, padding included (for the size tests).
    #[cfg(test)]
    pub(crate) fn bitmap(&self) -> &[Word] {
        &self.words
    }

    #[inline]
    fn core(&self) -> Core<'_> {
        Core::new(
            &self.header,
            &self.words[..words_for(self.header.capacity())],
            1,
        )
    }

    /// How many seats the pool has.
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    /// assert_eq!(ArraySeatPool::<1>::new(5).capacity(), 5);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.header.capacity()
    }

    /// Seats not promised to any claimer; exactly as
    /// [`SeatPool::available`](crate::SeatPool::available).
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    ///
    /// let pool = ArraySeatPool::<1>::new(3);
    /// let _seat = pool.try_reserve().unwrap();
    /// assert_eq!(pool.available(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn available(&self) -> usize {
        self.core().available()
    }

    /// Books any free seat; exactly as
    /// [`SeatPool::try_reserve`](crate::SeatPool::try_reserve).
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    ///
    /// static POOL: ArraySeatPool<1> = ArraySeatPool::new(1);
    /// let last = POOL.try_reserve().unwrap();
    /// assert!(POOL.try_reserve().is_none());
    /// drop(last);
    /// ```
    #[inline]
    pub fn try_reserve(&self) -> Option<Seat<'_>> {
        let core = self.core();
        core.try_reserve().map(|id| Seat::new(core, id))
    }

    /// Books seat `id` exactly; as
    /// [`SeatPool::try_reserve_seat`](crate::SeatPool::try_reserve_seat).
    ///
    /// # Errors
    /// [`SeatError::OutOfRange`] if `id >= capacity`; [`SeatError::Taken`] if
    /// someone holds it (or every seat is already promised).
    ///
    /// ```
    /// use racefree::{ArraySeatPool, SeatError};
    ///
    /// let pool = ArraySeatPool::<1>::new(4);
    /// let seat = pool.try_reserve_seat(0).unwrap();
    /// assert_eq!(pool.try_reserve_seat(0).unwrap_err(), SeatError::Taken);
    /// assert!(matches!(pool.try_reserve_seat(4), Err(SeatError::OutOfRange { .. })));
    /// # drop(seat);
    /// ```
    #[inline]
    pub fn try_reserve_seat(&self, id: usize) -> Result<Seat<'_>, SeatError> {
        let core = self.core();
        core.try_reserve_seat(id).map(|id| Seat::new(core, id))
    }

    /// Books `k` seats, all or nothing; exactly as
    /// [`SeatPool::try_reserve_many`](crate::SeatPool::try_reserve_many)
    /// (needs `alloc` for the group's id list).
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    ///
    /// let pool = ArraySeatPool::<1>::new(3);
    /// let pair = pool.try_reserve_many(2).unwrap();
    /// assert!(pool.try_reserve_many(2).is_none());
    /// # drop(pair);
    /// ```
    #[cfg(feature = "alloc")]
    pub fn try_reserve_many(&self, k: usize) -> Option<Seats<'_>> {
        let core = self.core();
        if k == 0 {
            return Some(Seats::new(core, alloc::vec::Vec::new(), 0));
        }
        core.try_reserve_many(k)
            .map(|parts| Seats::new(core, parts, k))
    }

    /// Releases a confirmed seat; a ticket of another pool comes back in `Err`.
    /// Moving the pool while tickets are out is fine: its identity moves with it.
    ///
    /// # Errors
    /// `Err(ticket)` if `ticket` was not issued by this pool.
    ///
    /// ```
    /// use racefree::ArraySeatPool;
    ///
    /// let pool = ArraySeatPool::<1>::new(2);
    /// let ticket = pool.try_reserve().unwrap().confirm();
    /// let moved = pool; // tickets survive a move
    /// moved.cancel(ticket).unwrap();
    /// assert_eq!(moved.available(), 2);
    /// ```
    pub fn cancel(&self, ticket: Ticket) -> Result<(), Ticket> {
        self.core().cancel(ticket)
    }

    /// Whether the pool's atomics are lock-free on this target (`false` on
    /// thumbv6m with `critical-section`, where every atomic operation briefly
    /// disables interrupts).
    ///
    /// ```
    /// # #[cfg(target_has_atomic = "ptr")]
    /// assert!(racefree::ArraySeatPool::<1>::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        super::IS_LOCK_FREE
    }
}

impl<const WORDS: usize> fmt::Debug for ArraySeatPool<WORDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArraySeatPool")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}
