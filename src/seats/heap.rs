//! [`HeapStorage`] and [`SeatPool`]: the heap form, any capacity chosen at run
//! time.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::bits::words_for;
use super::pool::{sealed, SeatPoolIn};
use super::raw::{free_admission, free_word, summary_words, Core, Header, Word};
use super::SeatError;
use crate::sync::AtomicUsize;

/// A bounded pool of `capacity` seats (ids `0..capacity`), any capacity chosen at
/// run time, its bitmap on the heap (needs `alloc`): the last seat is sold once,
/// a group is booked all-or-nothing. It is [`SeatPoolIn`] over [`HeapStorage`]:
/// the operations are documented there, the constructors are
/// `SeatPool::new` and `SeatPool::try_new`, in the
/// `impl SeatPoolIn<HeapStorage>` block.
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
pub type SeatPool = SeatPoolIn<HeapStorage>;

/// The storage of a [`SeatPool`]: the header inline; the admission count and
/// the bitmap words on the heap, each word on a 128-byte line of its own and
/// the admission count on word 0's line (see "Layout" in the
/// [module docs](crate::seats)). Built only by `SeatPool::new` and
/// `SeatPool::try_new`.
///
/// ```
/// use racefree::{HeapStorage, SeatPool, SeatPoolIn};
///
/// let pool: SeatPoolIn<HeapStorage> = SeatPool::new(2);
/// assert_eq!(pool.capacity(), 2);
/// ```
pub struct HeapStorage {
    header: Header,
    /// The admission count, then the bitmap (see [`count_and_bitmap`]).
    count_and_bitmap: Box<[Word]>,
    /// The full-word summary, packed: one bit per logical word (see
    /// `Core::claim`), so that the last free seat of a large pool is found
    /// without reading every word.
    summary: Box<[Word]>,
}

/// Shows the capacity; the bitmap is the pool's business (see `SeatPoolIn`'s
/// `Debug`).
impl core::fmt::Debug for HeapStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeapStorage")
            .field("capacity", &self.header.capacity())
            .finish_non_exhaustive()
    }
}

impl sealed::InProcess for HeapStorage {}

impl HeapStorage {
    /// The admission count and the bitmap.
    #[inline]
    fn split(&self) -> (&AtomicUsize, &[Word]) {
        self.count_and_bitmap
            .split_first()
            .expect("racefree: a heap pool's words start with its admission count")
    }
}

impl sealed::Storage for HeapStorage {
    const NAME: &'static str = "SeatPool";

    #[inline]
    fn core(&self) -> Core<'_> {
        let (admission, words) = self.split();
        Core::new(admission, &self.header, words, STRIDE).with_summary(&self.summary)
    }
}

#[cfg(all(test, not(loom)))]
impl HeapStorage {
    /// The whole allocation: the bitmap, padding included, and the admission
    /// count (for the size tests).
    pub(crate) fn bitmap(&self) -> &[Word] {
        &self.count_and_bitmap
    }
}

/// Words from one bitmap word to the next in a heap pool: 128 bytes apart, so
/// claimers working in different words never share a cache line (nor an
/// adjacent-line prefetch pair). Measured by `cargo bench --bench summary`: it is
/// what lets a nearly full pool, whose free seats cluster in a few neighbouring
/// words, keep ahead of a mutex. The cost is 128 bytes per `usize::BITS` seats: 2
/// bytes a seat on 64-bit targets, 4 on 32-bit ones; `ArraySeatPool`, sized for
/// firmware, stays packed.
const STRIDE: usize = 128 / core::mem::size_of::<Word>();

/// The admission count and the free bitmap of a pool of `capacity` seats, in one
/// allocation: the count at index 0, then logical bitmap word `w` at index
/// `1 + w * STRIDE`.
///
/// So the count shares bitmap word 0's cache line whenever the allocation is
/// aligned to two words (16 bytes on 64-bit targets, 8 on 32-bit ones), as
/// C's `malloc` (and so `std`'s `System` allocator), jemalloc and mimalloc
/// align every allocation of this size: a pool of up to `usize::BITS` seats
/// touches one line per claim and per release, not two, which is what its
/// contended throughput follows (`cargo bench --bench wait -- peers_ratio`).
/// An allocator that aligns less only makes it slower, never wrong. (Choosing
/// the count's place from the address at run time cost ~12 instructions per
/// reserve + release: measured, and not worth it.)
///
/// Every size is checked (a wrapped `words * STRIDE` on a 32-bit target would
/// give an empty bitmap for a huge capacity), and the allocation is fallible: a
/// bitmap that cannot be sized or allocated is [`SeatError::CapacityTooLarge`],
/// not an abort.
fn count_and_bitmap(capacity: usize) -> Result<Box<[Word]>, SeatError> {
    let len = words_for(capacity)
        .checked_mul(STRIDE)
        .and_then(|bitmap| bitmap.checked_add(1))
        .ok_or(SeatError::CapacityTooLarge)?;
    new_words(len, |i| {
        if i == 0 {
            free_admission(capacity)
        } else {
            free_word()
        }
    })
}

/// `len` words, word `i` made by `init(i)`, allocated fallibly.
fn new_words(len: usize, init: impl FnMut(usize) -> Word) -> Result<Box<[Word]>, SeatError> {
    // A slice of more than `isize::MAX` bytes cannot exist.
    core::alloc::Layout::array::<Word>(len).map_err(|_| SeatError::CapacityTooLarge)?;
    let mut words = Vec::new();
    words
        .try_reserve_exact(len)
        .map_err(|_| SeatError::CapacityTooLarge)?;
    words.extend((0..len).map(init));
    Ok(words.into_boxed_slice())
}

impl SeatPoolIn<HeapStorage> {
    /// A pool of `capacity` free seats, ids `0..capacity`.
    ///
    /// # Panics
    /// If `capacity` is 0 (`"racefree::SeatPool::new: capacity must be at least
    /// 1"`), or if its bitmap (128 bytes per `usize::BITS` seats: 2 bytes a seat
    /// on 64-bit targets, 4 on 32-bit ones) is too large to size or to allocate.
    /// Use `try_new` to get an error instead.
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

    /// Like `new`, with an error instead of a panic.
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
        Ok(Self::from_storage(HeapStorage {
            header: Header::new(capacity),
            count_and_bitmap: count_and_bitmap(capacity)?,
            summary: new_words(summary_words(capacity), |_| free_word())?,
        }))
    }
}
