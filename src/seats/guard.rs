//! [`Seat`] (a held seat, released on drop) and [`Ticket`] (a confirmed seat,
//! released only by `cancel`).

use core::fmt;
use core::mem::ManuallyDrop;
use core::num::NonZeroUsize;

use super::pool::SeatOwner;

/// One held seat. Dropping it frees the seat; [`confirm`](Seat::confirm) keeps it
/// booked and turns it into a [`Ticket`].
///
/// `Seat` borrows its pool, so the pool outlives it. Leaking a `Seat`
/// (`core::mem::forget`, an `Rc` cycle) leaks its seat: it stays taken until the
/// pool is dropped, and [`available`](crate::SeatPool::available) never counts it
/// again. That is safe, only wasteful.
///
/// ```
/// use racefree::SeatPool;
///
/// let pool = SeatPool::new(1);
/// {
///     let seat = pool.try_reserve().expect("a free seat");
///     assert_eq!(seat.id(), 0);
///     assert!(pool.try_reserve().is_none()); // the last seat is held
/// } // dropped: released
/// assert_eq!(pool.available(), 1);
/// ```
#[must_use = "dropping a Seat releases it at once; call `confirm` to keep it"]
pub struct Seat<'a> {
    pool: &'a dyn SeatOwner,
    id: usize,
}

impl<'a> Seat<'a> {
    #[inline]
    pub(crate) fn new(pool: &'a dyn SeatOwner, id: usize) -> Self {
        Self { pool, id }
    }

    /// The seat's id, in `0..capacity`.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(10);
    /// let seat = pool.try_reserve_seat(7).unwrap();
    /// assert_eq!(seat.id(), 7);
    /// ```
    #[inline]
    #[must_use]
    pub fn id(&self) -> usize {
        self.id
    }

    /// Keeps the seat booked past this guard: the returned [`Ticket`] releases it
    /// only through the pool's `cancel`. A `Ticket` is neither `Clone` nor `Copy`,
    /// so a confirmed seat can be released at most once.
    ///
    /// # Panics
    /// Only if the pool is the first of more than `usize::MAX - 1` pools to issue
    /// a ticket (pool identities never wrap; reachable only on 32-bit targets).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(2);
    /// let ticket = pool.try_reserve().unwrap().confirm();
    /// assert_eq!(pool.available(), 1); // still booked after the guard is gone
    /// pool.cancel(ticket).unwrap();
    /// assert_eq!(pool.available(), 2);
    /// ```
    pub fn confirm(self) -> Ticket {
        let this = ManuallyDrop::new(self);
        let core = this.pool.view();
        core.confirm(this.id, core.identity("Seat::confirm"))
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.pool.release_seat(self.id);
    }
}

impl fmt::Debug for Seat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seat").field("id", &self.id).finish()
    }
}

/// A confirmed seat: proof of a booking that outlives any guard and can be stored
/// or sent anywhere. Only [`cancel`](crate::SeatPoolIn::cancel) on the pool that
/// issued it releases the seat, and it consumes the ticket, so no seat is released
/// twice. A ticket handed to another pool's `cancel` comes back untouched in
/// `Err`.
///
/// A ticket records its seat id and its pool's identity: a number drawn once per
/// pool and never reused, kept inside the pool (so moving an `ArraySeatPool` does
/// not invalidate its tickets, and a ticket of a dropped pool is never accepted
/// by a later pool at the same address).
///
/// Dropping or leaking a ticket keeps its seat booked forever (for the pool's
/// lifetime).
///
/// With the `serde` feature a ticket is `Serialize` (as `{ seat, pool }`, for
/// logs and audit records) but deliberately not `Deserialize`: a deserialized
/// copy would be a second ticket for one booking, and its seat could be
/// released twice. A booking that must outlive the process or cross into
/// another belongs to a tier whose tickets are fenced: `racefree::shm`'s
/// `SharedTicket`, or the Redis and PostgreSQL tiers' tickets.
///
/// ```
/// use racefree::SeatPool;
///
/// let concert = SeatPool::new(100);
/// let ticket = concert.try_reserve_seat(42).unwrap().confirm();
/// assert_eq!(ticket.id(), 42);
/// concert.cancel(ticket).unwrap();
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use = "dropping a Ticket keeps its seat booked forever; pass it to `cancel` to release it"]
pub struct Ticket {
    pub(crate) seat: usize,
    pub(crate) pool: NonZeroUsize,
    /// The booking's number in a storage whose bookings can be cancelled by
    /// other routes too (shared memory: the generation in the seat's owner
    /// word), so that a stale ticket cancels nothing. Only with `shm`.
    #[cfg(feature = "shm")]
    pub(crate) booking: u64,
}

impl Ticket {
    /// `booking` is the storage's booking number (0 where it keeps none).
    #[inline]
    pub(crate) fn new(seat: usize, pool: NonZeroUsize, booking: u64) -> Self {
        #[cfg(not(feature = "shm"))]
        let _ = booking;
        Self {
            seat,
            pool,
            #[cfg(feature = "shm")]
            booking,
        }
    }

    /// The booking's number (see the field); 0 without `shm`.
    #[inline]
    pub(crate) fn booking(&self) -> u64 {
        #[cfg(feature = "shm")]
        return self.booking;
        #[cfg(not(feature = "shm"))]
        return 0;
    }

    /// The booked seat's id.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(3);
    /// let ticket = pool.try_reserve_seat(2).unwrap().confirm();
    /// assert_eq!(ticket.id(), 2);
    /// # pool.cancel(ticket).unwrap();
    /// ```
    #[inline]
    #[must_use]
    pub fn id(&self) -> usize {
        self.seat
    }
}
