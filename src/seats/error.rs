//! [`SeatError`]: why a seat could not be booked or a pool not built.

use core::fmt;

/// Why [`SeatPool::try_reserve_seat`](crate::SeatPool::try_reserve_seat) (or the
/// same method on [`ArraySeatPool`](crate::ArraySeatPool)) or a fallible
/// constructor failed.
///
/// ```
/// use racefree::{ArraySeatPool, SeatError};
///
/// let pool: ArraySeatPool<1> = ArraySeatPool::new(2);
/// let _held = pool.try_reserve_seat(1).unwrap();
/// assert_eq!(pool.try_reserve_seat(1).unwrap_err(), SeatError::Taken);
/// assert_eq!(
///     pool.try_reserve_seat(7).unwrap_err(),
///     SeatError::OutOfRange { id: 7, capacity: 2 }
/// );
/// assert_eq!(SeatError::Taken.to_string(), "the seat is already taken");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SeatError {
    /// The seat is held by someone else (or, when the pool is full, every seat is
    /// already promised to a claimer).
    Taken,
    /// The seat id is not below the pool's capacity.
    OutOfRange {
        /// The requested seat id.
        id: usize,
        /// The pool's capacity: valid ids are `0..capacity`.
        capacity: usize,
    },
    /// A pool was asked for with capacity 0.
    ZeroCapacity,
    /// An [`ArraySeatPool`](crate::ArraySeatPool) was asked for more seats than
    /// its `WORDS` words hold.
    TooLarge {
        /// The requested capacity.
        capacity: usize,
        /// The most seats the pool's storage holds (`WORDS * usize::BITS`).
        max: usize,
    },
    /// The bitmap a [`SeatPool`](crate::SeatPool) of this capacity needs is too
    /// large to size in `usize` or to allocate.
    CapacityTooLarge,
    /// A waiting group booking (`reserve_many`, `reserve_many_blocking`) asked
    /// for a group that can never be booked: `k` is 0 or more than the pool's
    /// capacity. Returned at once, instead of waiting forever.
    GroupSize {
        /// The requested group size.
        k: usize,
        /// The pool's capacity: a group has `1..=capacity` seats.
        capacity: usize,
    },
}

impl fmt::Display for SeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SeatError::Taken => f.write_str("the seat is already taken"),
            SeatError::OutOfRange { id, capacity } => write!(
                f,
                "seat {id} is out of range for a pool of {capacity} seats (valid ids are 0..{capacity})"
            ),
            SeatError::ZeroCapacity => f.write_str("a seat pool needs a capacity of at least 1"),
            SeatError::TooLarge { capacity, max } => write!(
                f,
                "a capacity of {capacity} seats exceeds this pool's storage of {max} seats"
            ),
            SeatError::CapacityTooLarge => {
                f.write_str("the bitmap for this capacity is too large to size or allocate")
            }
            SeatError::GroupSize { k, capacity } => write!(
                f,
                "a group of {k} seats can never be booked from a pool of {capacity} seats (a group has 1..={capacity})"
            ),
        }
    }
}

impl core::error::Error for SeatError {}
