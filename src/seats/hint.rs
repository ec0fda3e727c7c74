//! Where a scan starts (Linux sbitmap's idea): a nearly full pool of thousands of
//! seats must not be scanned from word 0 on every claim, and threads should not
//! all fight over the same word.
//!
//! - With `std` (and off-loom) each thread keeps its own starting word in a
//!   thread-local, seeded from the thread's ticket (`sync::thread_ticket`, the
//!   striped counter's cell index too) so that consecutive threads start on
//!   different words;
//!   a claim moves it to the word where the seat was found, or one word on when
//!   it lost a bit there to another claimer (so claimers spread over the words
//!   that have free seats instead of piling into the first one). Releases leave
//!   it alone: moving a thread back to the word it freed undid that spreading
//!   (measured: a 95%-full pool fell behind a mutex). Nothing shared is written.
//! - Without `std` (and under loom) the pool keeps one shared hint, read and
//!   written with `Relaxed` (a stale hint only costs a longer scan), and written
//!   only when a claim had to move past the hinted word.

#[cfg(any(loom, not(feature = "std")))]
use crate::sync::{AtomicUsize, Ordering};

#[cfg(all(feature = "std", not(loom)))]
mod local {
    use core::cell::Cell;

    /// Fibonacci hashing: an odd multiplier is a permutation of the low bits, so
    /// with a power-of-two word count the first threads start on distinct words.
    const GOLDEN: usize = (0x9E37_79B9_7F4A_7C15_u64 >> (64 - usize::BITS)) as usize | 1;

    std::thread_local! {
        static WORD: Cell<usize> = Cell::new(
            crate::sync::thread_ticket().unwrap_or(0).wrapping_mul(GOLDEN),
        );
    }

    #[inline]
    pub(super) fn get() -> usize {
        WORD.try_with(Cell::get).unwrap_or(0)
    }

    #[inline]
    pub(super) fn set(word: usize) {
        // During thread-local destruction there is nothing worth remembering.
        let _ = WORD.try_with(|w| w.set(word));
    }
}

/// A pool's scan hint (zero-sized with `std`).
#[derive(Debug)]
pub(crate) struct Hint {
    #[cfg(any(loom, not(feature = "std")))]
    word: AtomicUsize,
}

impl Hint {
    crate::const_fn! {
        pub(crate) const fn new() -> Self {
            Self {
                #[cfg(any(loom, not(feature = "std")))]
                word: AtomicUsize::new(0),
            }
        }
    }

    /// The word a scan over `words` words (at least 1) starts at.
    #[inline]
    pub(crate) fn start(&self, words: usize) -> usize {
        #[cfg(all(feature = "std", not(loom)))]
        let raw = local::get();
        // Relaxed: a hint only; the claim itself is the fetch_or on the word.
        #[cfg(any(loom, not(feature = "std")))]
        let raw = self.word.load(Ordering::Relaxed);
        if raw < words {
            raw
        } else {
            // A thread's first hint is its seed, spread over all of `usize`
            // (or a word of a larger pool): scale it into range with a
            // multiply-high (Lemire's reduction) rather than a division, which
            // cost a fifth of an uncontended claim.
            ((raw as u128 * words as u128) >> usize::BITS) as usize
        }
    }

    /// A claim that started at `start` found its seat(s) in `word`.
    #[inline]
    pub(crate) fn found(&self, start: usize, word: usize) {
        if start != word {
            #[cfg(all(feature = "std", not(loom)))]
            local::set(word);
            // Relaxed: a hint only, nothing is published through it.
            #[cfg(any(loom, not(feature = "std")))]
            self.word.store(word, Ordering::Relaxed);
        }
    }
}
