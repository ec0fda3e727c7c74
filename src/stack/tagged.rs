//! Tag packing, in one place.
//!
//! Both stacks keep their heads as *tagged* words: a link (which node is on top)
//! and a generation tag that every removal bumps, packed into one word that a
//! single compare-and-swap reads and writes. A thread that read the head, was
//! preempted, and comes back with a stale view fails its CAS even when the same
//! node is on top again, because the tag moved on: the ABA problem needs the tag
//! to wrap all the way around, which takes `2^tag_bits` removals from that one
//! head while the thread sleeps.
//!
//! - [`Index`] words (used by `ArrayStack`) are one `usize`:
//!   `tag << index_bits | link`, where `link = index + 1` and `0` means empty.
//! - [`Pointer`] words (used by `TreiberStack`) are one [`DoubleWord`]: the low half
//!   an exposed address (`0` means empty), the high half the tag (64 bits on 64-bit
//!   targets, 32 bits on 32-bit targets).
//!
//! The new tag is always computed from the word the CAS compares against, never
//! from a re-read of the head.

#[allow(unused_imports)]
use crate::sync::DoubleWord;

/// The number of bits needed for a link to any of `n` slots (links run `0..=n`).
pub(crate) const fn index_bits(n: usize) -> u32 {
    usize::BITS - n.leading_zeros()
}

/// Packing of a tagged index head: `tag << bits | link`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Index {
    /// Bits of the link field; the tag takes the remaining `usize::BITS - bits`.
    bits: u32,
}

impl Index {
    /// The packing for a stack of `n` slots. `n` must leave at least one tag bit
    /// (callers assert far more than that).
    pub(crate) const fn for_capacity(n: usize) -> Self {
        Self {
            bits: index_bits(n),
        }
    }

    /// Bits of the tag field.
    pub(crate) const fn tag_bits(self) -> u32 {
        usize::BITS - self.bits
    }

    const fn mask(self) -> usize {
        // `bits < usize::BITS` is guaranteed by the capacity assertion.
        (1usize << self.bits) - 1
    }

    /// The link (`index + 1`, or `0` for empty) stored in `word`.
    #[inline]
    pub(crate) const fn link(self, word: usize) -> usize {
        word & self.mask()
    }

    /// `word` with its link replaced by `link` and its tag kept (a push).
    #[inline]
    pub(crate) const fn with_link(self, word: usize, link: usize) -> usize {
        (word & !self.mask()) | link
    }

    /// `word` with its link replaced by `link` and its tag bumped by one,
    /// wrapping within the tag bits (a removal).
    #[inline]
    pub(crate) const fn bumped_with_link(self, word: usize, link: usize) -> usize {
        // The shifts drop the bits that overflow the tag field: the tag wraps.
        (((word >> self.bits).wrapping_add(1)) << self.bits) | link
    }

    /// The tag stored in `word`.
    #[cfg(test)]
    pub(crate) const fn tag(self, word: usize) -> usize {
        word >> self.bits
    }
}

/// Packing of a tagged pointer head: address in the low half, tag in the high half.
#[allow(dead_code)]
pub(crate) struct Pointer;

#[allow(dead_code)]
impl Pointer {
    /// Bits of the tag (and of the address) half.
    pub(crate) const TAG_BITS: u32 = DoubleWord::BITS / 2;

    /// The address (`0` for empty) stored in `word`.
    #[inline]
    pub(crate) const fn addr(word: DoubleWord) -> usize {
        // Truncation keeps exactly the low half, where the address lives.
        word as usize
    }

    /// The tag stored in `word`.
    #[inline]
    pub(crate) const fn tag(word: DoubleWord) -> DoubleWord {
        word >> Self::TAG_BITS
    }

    /// `word` with its address replaced by `addr` and its tag kept (a push).
    #[inline]
    pub(crate) const fn with_addr(word: DoubleWord, addr: usize) -> DoubleWord {
        (Self::tag(word) << Self::TAG_BITS) | addr as DoubleWord
    }

    /// `word` with its address replaced by `addr` and its tag bumped by one,
    /// wrapping within the tag half (a removal).
    #[inline]
    pub(crate) const fn bumped_with_addr(word: DoubleWord, addr: usize) -> DoubleWord {
        (Self::tag(word).wrapping_add(1) << Self::TAG_BITS) | addr as DoubleWord
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_packing_round_trips_and_wraps() {
        let p = Index::for_capacity(64);
        assert_eq!(index_bits(64), 7);
        assert_eq!(p.tag_bits(), usize::BITS - 7);
        let w = p.with_link(0, 64);
        assert_eq!(p.link(w), 64);
        assert_eq!(p.tag(w), 0);
        let w = p.bumped_with_link(w, 3);
        assert_eq!((p.link(w), p.tag(w)), (3, 1));
        // The tag of the all-ones word wraps to zero and never touches the link.
        let w = p.bumped_with_link(usize::MAX, 5);
        assert_eq!((p.link(w), p.tag(w)), (5, 0));
        assert_eq!(index_bits(0), 0);
        assert_eq!(index_bits(1), 1);
        assert_eq!(index_bits(4), 3);
    }

    #[test]
    fn pointer_packing_round_trips_and_wraps() {
        let w = Pointer::with_addr(0, 0x1000);
        assert_eq!((Pointer::addr(w), Pointer::tag(w)), (0x1000, 0));
        let w = Pointer::bumped_with_addr(w, usize::MAX);
        assert_eq!((Pointer::addr(w), Pointer::tag(w)), (usize::MAX, 1));
        let w = Pointer::bumped_with_addr(DoubleWord::MAX, 8);
        assert_eq!((Pointer::addr(w), Pointer::tag(w)), (8, 0));
        assert_eq!(Pointer::TAG_BITS, usize::BITS);
    }
}
