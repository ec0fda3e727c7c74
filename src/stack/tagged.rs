//! Tagged Treiber lists, in one place: the packing of a tagged head, and the one
//! push and pop that both stacks run on it.
//!
//! Both stacks keep their lists' heads as *tagged* words: a link (which node is on
//! top) and a generation tag that every removal bumps, packed into one word that a
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
//! # The list algorithm and its orderings
//!
//! [`Packing::push`] links a node that the caller owns on top; [`Packing::pop`]
//! unlinks the top node and gives the caller ownership of it. A link is a `usize`
//! (`0` = the end of the list); each node's `next` is an atomic [`LinkCell`], kept
//! apart from the node's payload so that a stale reader of `next` never touches
//! the payload.
//!
//! - Every write to a head is a CAS. A push's CAS is `Release`; a pop's load and
//!   CAS are `Acquire`. So a pop synchronises with every push before it, and sees
//!   the popped node's `next` and payload as that push published them (on the free
//!   lists, the previous owner's move-out).
//! - A pop reads `next` of the top node *before* its CAS proves that node is still
//!   on top. The read may be stale: the node was popped, reused and pushed again
//!   meanwhile. Then the removal bumped the head's tag, and the CAS fails. The
//!   node's memory must stay valid for that read: `ArrayStack`'s slots live as
//!   long as the stack; `TreiberStack` frees nodes only with `&mut self` or
//!   after a grace period (`stack::grace`).
//! - The new tag is always computed from the word the CAS compares against, never
//!   from a re-read of the head.

#[cfg(racefree_double_word_cas)]
use crate::sync::{cas_update, AtomicDoubleWord, AtomicPtr, DoubleWord};
use crate::sync::{AtomicUsize, Backoff, CasAtomic, Ordering};

/// The number of bits needed for a link to any of `n` slots (links run `0..=n`).
pub(crate) const fn index_bits(n: usize) -> u32 {
    usize::BITS - n.leading_zeros()
}

/// A node's atomic `next`: a link (`0` = end of list) to the node below it.
pub(crate) trait LinkCell {
    fn load_link(&self, order: Ordering) -> usize;
    fn store_link(&self, link: usize, order: Ordering);
}

impl LinkCell for AtomicUsize {
    #[inline]
    fn load_link(&self, order: Ordering) -> usize {
        self.load(order)
    }
    #[inline]
    fn store_link(&self, link: usize, order: Ordering) {
        self.store(link, order);
    }
}

#[cfg(racefree_double_word_cas)]
/// Links of `TreiberStack` are node addresses, exposed so that they round-trip
/// through the integer head (see `TreiberStack`'s docs on provenance).
impl<T> LinkCell for AtomicPtr<T> {
    #[inline]
    fn load_link(&self, order: Ordering) -> usize {
        self.load(order).expose_provenance()
    }
    #[inline]
    fn store_link(&self, link: usize, order: Ordering) {
        self.store(core::ptr::with_exposed_provenance_mut(link), order);
    }
}

/// How a link and a tag share one head word, and the list algorithm over it.
pub(crate) trait Packing: Copy {
    /// The atomic head this packing is stored in.
    type Head: CasAtomic;

    /// The link (`0` = empty) stored in `word`.
    fn link(self, word: <Self::Head as CasAtomic>::Value) -> usize;

    /// `word` with its link replaced by `link` and its tag kept (a push).
    fn with_link(
        self,
        word: <Self::Head as CasAtomic>::Value,
        link: usize,
    ) -> <Self::Head as CasAtomic>::Value;

    /// `word` with its link replaced by `link` and its tag bumped by one, wrapping
    /// within the tag bits (a removal).
    fn bumped_with_link(
        self,
        word: <Self::Head as CasAtomic>::Value,
        link: usize,
    ) -> <Self::Head as CasAtomic>::Value;

    /// Whether the list at `head` was empty at the moment of the call (a snapshot).
    #[inline]
    fn is_empty(self, head: &Self::Head) -> bool {
        // Relaxed: a snapshot of the head; nothing is read through it.
        self.link(head.load(Ordering::Relaxed)) == 0
    }

    /// Pushes the node at `link` (not `0`), whose `next` is `next`, onto the list
    /// at `head`. The caller owns the node until the CAS publishes it.
    #[inline]
    fn push(self, head: &Self::Head, link: usize, next: &impl LinkCell) {
        let backoff = Backoff::new();
        // Relaxed: only the link is used, and the CAS below re-checks the word.
        let mut current = head.load(Ordering::Relaxed);
        loop {
            // Relaxed: published by the Release CAS below.
            next.store_link(self.link(current), Ordering::Relaxed);
            match head.compare_exchange_weak(
                current,
                self.with_link(current, link),
                // Release: pairs with the Acquire load and CAS in `pop`, publishing
                // `next` and the node's payload (on a free list, the move-out).
                Ordering::Release,
                // Relaxed: the failure value is only compared again.
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => {
                    current = actual;
                    backoff.spin();
                }
            }
        }
    }

    /// Pops the top node of the list at `head` and returns its link, giving the
    /// caller ownership of the node; `None` if the list is empty. `next_of(link)`
    /// is the `next` of the node at `link`, which must be readable for any link
    /// ever pushed on this list (see the module docs).
    #[inline]
    fn pop<'n, C: LinkCell + 'n>(
        self,
        head: &Self::Head,
        next_of: impl Fn(usize) -> &'n C,
    ) -> Option<usize> {
        let backoff = Backoff::new();
        // Acquire: pairs with the Release CAS in `push` (every write to a head is
        // an RMW, so this synchronises with every earlier push), making the top
        // node's `next` and payload visible.
        let mut current = head.load(Ordering::Acquire);
        loop {
            let link = self.link(current);
            if link == 0 {
                return None;
            }
            // Relaxed: sees at least the write published by the push we synchronised
            // with; a newer one means the node was removed and pushed again, which
            // bumped the tag, so the CAS below fails.
            let next = next_of(link).load_link(Ordering::Relaxed);
            match head.compare_exchange_weak(
                current,
                // The tag is bumped from `current`, the value compared against.
                self.bumped_with_link(current, next),
                // Acquire: pairs with the Release CAS in `push` (see above).
                Ordering::Acquire,
                // Acquire: the new top's `next` is read on the next attempt.
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(link),
                Err(actual) => {
                    current = actual;
                    backoff.spin();
                }
            }
        }
    }
    /// Unlinks the whole list at `head` and returns the link of its top node,
    /// giving the caller ownership of every node on it; `None` if it is empty.
    /// Each node's `next` links the rest, as its push wrote it.
    #[cfg(racefree_double_word_cas)]
    fn take_all(self, head: &Self::Head) -> Option<usize> {
        cas_update(
            head,
            // Acquire: as in `pop`: the taken nodes' `next` fields are read after.
            Ordering::Acquire,
            // Acquire: pairs with the Release CAS of every push before it.
            Ordering::Acquire,
            // Acquire: the retried top is read as in `pop`.
            Ordering::Acquire,
            // A removal: the tag is bumped, so a stale pop's CAS fails.
            |word| (self.link(word) != 0).then(|| self.bumped_with_link(word, 0)),
        )
        .ok()
        .map(|taken| self.link(taken))
    }
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

    /// The tag stored in `word`.
    #[cfg(test)]
    pub(crate) const fn tag(self, word: usize) -> usize {
        word >> self.bits
    }
}

impl Packing for Index {
    type Head = AtomicUsize;

    #[inline]
    fn link(self, word: usize) -> usize {
        word & self.mask()
    }

    #[inline]
    fn with_link(self, word: usize, link: usize) -> usize {
        (word & !self.mask()) | link
    }

    #[inline]
    fn bumped_with_link(self, word: usize, link: usize) -> usize {
        // The shifts drop the bits that overflow the tag field: the tag wraps.
        (((word >> self.bits).wrapping_add(1)) << self.bits) | link
    }
}

/// Packing of a tagged pointer head: address in the low half, tag in the high half.
#[cfg(racefree_double_word_cas)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pointer;

#[cfg(racefree_double_word_cas)]
impl Pointer {
    /// Bits of the tag (and of the address) half.
    pub(crate) const TAG_BITS: u32 = DoubleWord::BITS / 2;

    /// The tag stored in `word`.
    #[inline]
    const fn tag(word: DoubleWord) -> DoubleWord {
        word >> Self::TAG_BITS
    }
}

#[cfg(racefree_double_word_cas)]
impl Packing for Pointer {
    type Head = AtomicDoubleWord;

    #[inline]
    fn link(self, word: DoubleWord) -> usize {
        // Truncation keeps exactly the low half, where the address lives.
        word as usize
    }

    #[inline]
    fn with_link(self, word: DoubleWord, addr: usize) -> DoubleWord {
        (Self::tag(word) << Self::TAG_BITS) | addr as DoubleWord
    }

    #[inline]
    fn bumped_with_link(self, word: DoubleWord, addr: usize) -> DoubleWord {
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

    #[cfg(racefree_double_word_cas)]
    #[test]
    fn pointer_packing_round_trips_and_wraps() {
        let p = Pointer;
        let w = p.with_link(0, 0x1000);
        assert_eq!((p.link(w), Pointer::tag(w)), (0x1000, 0));
        let w = p.bumped_with_link(w, usize::MAX);
        assert_eq!((p.link(w), Pointer::tag(w)), (usize::MAX, 1));
        let w = p.bumped_with_link(DoubleWord::MAX, 8);
        assert_eq!((p.link(w), Pointer::tag(w)), (8, 0));
        assert_eq!(Pointer::TAG_BITS, usize::BITS);
    }
}
