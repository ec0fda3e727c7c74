//! [`InlineStorage`] and [`ArraySeatPool`]: the no-alloc form,
//! `const`-constructible in a `static`.

use super::bits::{words_for, BITS};
use super::pool::{sealed, SeatPoolIn};
use super::raw::{free_admission, free_word, Core, Header, Word};
use super::SeatError;
use crate::sync::AtomicUsize;

/// A seat pool with its bitmap inline: `WORDS` words of `usize::BITS` seats, no
/// allocation, `const fn new`, so it can live in a `static` on `no_std`. It is
/// [`SeatPoolIn`] over [`InlineStorage<WORDS>`]: the same operations, guards and
/// guarantees as [`SeatPool`](crate::SeatPool), documented on [`SeatPoolIn`]; the
/// constructors are `ArraySeatPool::new` and `ArraySeatPool::try_new`, in the
/// `impl SeatPoolIn<InlineStorage<WORDS>>` block. Size it with
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
pub type ArraySeatPool<const WORDS: usize> = SeatPoolIn<InlineStorage<WORDS>>;

/// The storage of an [`ArraySeatPool<WORDS>`]: the header and `WORDS` packed
/// bitmap words inline (1 bit a seat; see "Layout" in the
/// [module docs](crate::seats)), no allocation. Built only by
/// `ArraySeatPool::new` and `ArraySeatPool::try_new`.
///
/// ```
/// use racefree::{words_for, ArraySeatPool, InlineStorage, SeatPoolIn};
///
/// static POOL: SeatPoolIn<InlineStorage<{ words_for(100) }>> = ArraySeatPool::new(100);
/// assert_eq!(POOL.capacity(), 100);
/// ```
///
/// Layout: the admission count first, then the words, then the header, aligned
/// to 16 bytes. So the count and word 0 always share a cache line: a pool of up
/// to `usize::BITS` seats touches one line per claim and per release, not two
/// (the contended cost; see "Layout" in the module docs). It costs at most 12
/// bytes of padding.
#[repr(C, align(16))]
pub struct InlineStorage<const WORDS: usize> {
    admission: AtomicUsize,
    words: [Word; WORDS],
    header: Header,
}

/// Shows the capacity and `WORDS`; the bitmap is the pool's business.
impl<const WORDS: usize> core::fmt::Debug for InlineStorage<WORDS> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InlineStorage")
            .field("capacity", &self.header.capacity())
            .field("words", &WORDS)
            .finish_non_exhaustive()
    }
}

impl<const WORDS: usize> sealed::InProcess for InlineStorage<WORDS> {}

impl<const WORDS: usize> sealed::Storage for InlineStorage<WORDS> {
    const NAME: &'static str = "ArraySeatPool";

    #[inline]
    fn core(&self) -> Core<'_> {
        // Spare words past `words_for(capacity)` are never touched.
        Core::new(
            &self.admission,
            &self.header,
            &self.words[..words_for(self.header.capacity())],
            1,
        )
    }
}

#[cfg(all(test, not(loom), feature = "alloc"))]
impl<const WORDS: usize> InlineStorage<WORDS> {
    /// The whole bitmap, spare words included (for the size tests).
    pub(crate) fn bitmap(&self) -> &[Word] {
        &self.words
    }
}

impl<const WORDS: usize> SeatPoolIn<InlineStorage<WORDS>> {
    crate::const_fn! {
        /// A pool of `capacity` free seats, ids `0..capacity`. `const`: usable in
        /// a `static` (off `loom`).
        ///
        /// # Panics
        /// If `capacity` is 0 or more than `WORDS * usize::BITS` (in a `static`
        /// or `const`, a compile error). Use `try_new` for an
        /// error value instead.
        ///
        /// ```
        /// use racefree::{words_for, ArraySeatPool};
        ///
        /// static SLOTS: ArraySeatPool<{ words_for(100) }> = ArraySeatPool::new(100);
        /// assert_eq!(SLOTS.capacity(), 100);
        /// ```
        ///
        /// ```compile_fail
        /// use racefree::ArraySeatPool;
        /// // 65 seats do not fit in one word on any target: a compile error.
        /// static TOO_MANY: ArraySeatPool<1> = ArraySeatPool::new(65);
        /// ```
        #[must_use]
        pub const fn new(capacity: usize) -> Self {
            if capacity == 0 {
                panic!("racefree::ArraySeatPool::new: capacity must be at least 1");
            }
            if capacity > WORDS.saturating_mul(BITS) {
                panic!("racefree::ArraySeatPool::new: capacity exceeds WORDS * usize::BITS; size it with words_for(capacity)");
            }
            Self::build(capacity)
        }
    }

    crate::const_fn! {
        /// Like `new`, with an error instead of a panic.
        ///
        /// # Errors
        /// [`SeatError::ZeroCapacity`] for 0; [`SeatError::TooLarge`] when
        /// `capacity > WORDS * usize::BITS` (that product saturates at `usize::MAX`).
        ///
        /// ```
        /// use racefree::{ArraySeatPool, SeatError};
        ///
        /// // Usable in a `static` too.
        /// static SPARE: Result<ArraySeatPool<1>, SeatError> = ArraySeatPool::try_new(8);
        /// assert_eq!(SPARE.as_ref().unwrap().capacity(), 8);
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
            Self::from_storage(InlineStorage {
                admission: free_admission(capacity),
                #[cfg(not(loom))]
                words: [const { free_word() }; WORDS],
                #[cfg(loom)]
                words: core::array::from_fn(|_| free_word()),
                header: Header::new(capacity),
            })
        }
    }
}
