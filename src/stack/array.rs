//! [`ArrayStack`]: a fixed-capacity Treiber stack over an in-place slot arena.

use core::fmt;
use core::mem::MaybeUninit;
use core::ptr;

use super::iter::{IntoIter, PopIter};
use super::tagged::{Index, Packing};
use crate::sync::{AtomicUsize, CachePadded, Ordering, UnsafeCell};

/// One arena slot: an atomic link, kept apart from the payload so that a stale
/// reader of `next` never touches the value.
struct Slot<T> {
    /// Link (`index + 1`, `0` = end) of the slot below this one on its list.
    next: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Slot<T> {
    crate::const_fn! {
        const fn new() -> Self {
            Self {
                next: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }
    }
}

/// A lock-free, fixed-capacity LIFO stack that needs no allocator.
///
/// The `N` slots live inside the stack itself, so an `ArrayStack` can be a
/// `static` on `no_std` targets. Internally it is two Treiber stacks of slot
/// indices — the *used* list (slots holding items, top = last pushed) and the
/// *free* list (emptied slots) — plus a bump counter that hands out never-used
/// slots, so a new stack is all zeroes and [`new`](Self::new) is O(1).
///
/// # ABA safety and the tag's wrap-around bound
///
/// Each list head is one `usize` holding `tag << INDEX_BITS | link`, where the
/// link names the top slot and the tag is bumped by every removal from that list.
/// A thread that read a head and was preempted can only have its stale
/// compare-and-swap succeed if the head's tag wrapped all the way around, that is,
/// if the thread slept through **`2^TAG_BITS` removals from that one list** (see
/// [`TAG_BITS`](Self::TAG_BITS)).
///
/// - On 64-bit targets `N < 2^32` is required, so `TAG_BITS ≥ 32`: a thread must
///   be preempted across at least 4,294,967,296 pops from the same head.
/// - On 32-bit targets (thumbv6m, thumbv7em, riscv32imac) the head is still one
///   native 32-bit word; the tag gets the `32 - INDEX_BITS` bits the index does
///   not use, where `INDEX_BITS` is the number of bits of `N`. For example
///   `N = 64` gives a 25-bit tag (33,554,432 removals), `N = 1024` a 21-bit tag.
///   `N < 2^16` is required there, so the tag always has at least 16 bits; pick a
///   small `N` on targets whose interrupt handlers or threads can be starved for
///   long.
///
/// # Full stacks
///
/// [`push`](Self::push) hands the value back as `Err` when no slot is free.
/// Slots in transit count as used, so under concurrency `push` can fail while the
/// stack holds fewer than `N` items: a concurrent [`pop`](Self::pop) that has
/// removed its item but not yet returned the slot to the free list, or a
/// concurrent `push` that holds a slot it has not yet linked, each keeps one slot
/// for a few instructions. With `t` threads, a refused push means at least
/// `N - (t - 1)` items were stored at that moment. Size `N` with that headroom
/// (or retry) where a spurious "full" matters.
///
/// # Lock-freedom
///
/// Lock-free wherever `usize` CAS is native; on thumbv6m it goes through
/// `portable-atomic`'s `critical-section` feature and [`is_lock_free`](Self::is_lock_free)
/// says `false`.
///
/// # Examples
///
/// ```
/// use racefree::ArrayStack;
///
/// static FREE_BUFFERS: ArrayStack<u32, 4> = ArrayStack::new();
///
/// assert_eq!(FREE_BUFFERS.push(1), Ok(()));
/// assert_eq!(FREE_BUFFERS.push(2), Ok(()));
/// assert_eq!(FREE_BUFFERS.pop(), Some(2));
/// assert_eq!(FREE_BUFFERS.pop(), Some(1));
/// assert_eq!(FREE_BUFFERS.pop(), None);
/// ```
pub struct ArrayStack<T, const N: usize> {
    /// Tagged head of the list of slots that hold items.
    used: CachePadded<AtomicUsize>,
    /// Tagged head of the list of emptied slots.
    free: CachePadded<AtomicUsize>,
    /// Slots `fresh..N` have never been used.
    fresh: AtomicUsize,
    slots: [Slot<T>; N],
}

// SAFETY: the stack owns its items and only ever moves them between threads (it
// never hands out `&T`), so `T: Send` suffices for both.
unsafe impl<T: Send, const N: usize> Send for ArrayStack<T, N> {}
// SAFETY: as above: every item is written by one pusher and moved out by exactly
// one popper (the tagged CAS hands each slot to one thread), never shared.
unsafe impl<T: Send, const N: usize> Sync for ArrayStack<T, N> {}

impl<T, const N: usize> ArrayStack<T, N> {
    /// The bits of each head's generation tag for this capacity: a thread must be
    /// preempted across `2^TAG_BITS` removals from one head before ABA becomes
    /// possible.
    ///
    /// ```
    /// use racefree::ArrayStack;
    /// # #[cfg(target_pointer_width = "64")]
    /// assert!(ArrayStack::<u8, 1024>::TAG_BITS >= 32);
    /// # #[cfg(target_pointer_width = "32")]
    /// assert_eq!(ArrayStack::<u8, 64>::TAG_BITS, 25);
    /// ```
    pub const TAG_BITS: u32 = Self::PACK.tag_bits();

    /// The largest supported capacity plus one: `2^32` on 64-bit targets, `2^16`
    /// on 32-bit targets (so the tag keeps at least half of the word).
    const CAPACITY_LIMIT: usize = 1 << (usize::BITS / 2);

    const PACK: Index = {
        assert!(
            N < Self::CAPACITY_LIMIT,
            "racefree::ArrayStack: capacity N is too large: it must be below 2^(usize::BITS / 2) \
             (2^32 on 64-bit targets, 2^16 on 32-bit targets) so that the ABA tag keeps \
             at least half of the head word"
        );
        Index::for_capacity(N)
    };

    crate::const_fn! {
        /// An empty stack of capacity `N`; `const`, so usable in a `static`.
        ///
        /// # Panics
        ///
        /// Compilation fails (a `const` evaluation error) if `N ≥ 2^32` on 64-bit
        /// targets or `N ≥ 2^16` on 32-bit targets:
        ///
        /// ```compile_fail,E0080
        /// let too_big = racefree::ArrayStack::<u8, { 1 << 32 }>::new();
        /// ```
        ///
        /// ```
        /// use racefree::ArrayStack;
        ///
        /// let stack: ArrayStack<String, 8> = ArrayStack::new();
        /// assert!(stack.is_empty());
        /// ```
        pub const fn new() -> Self {
            let _capacity_check: Index = Self::PACK;
            Self {
                used: CachePadded::new(AtomicUsize::new(0)),
                free: CachePadded::new(AtomicUsize::new(0)),
                fresh: AtomicUsize::new(0),
                slots: Self::new_slots(),
            }
        }
    }

    #[cfg(not(loom))]
    const fn new_slots() -> [Slot<T>; N] {
        [const { Slot::new() }; N]
    }

    #[cfg(loom)]
    fn new_slots() -> [Slot<T>; N] {
        core::array::from_fn(|_| Slot::new())
    }

    /// The fixed capacity `N`.
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// assert_eq!(ArrayStack::<u8, 16>::new().capacity(), 16);
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Whether `usize` compare-and-swap, and so this stack, is lock-free on this
    /// target (`false` only where CAS is emulated with a critical section).
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// # #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    /// assert!(ArrayStack::<u8, 4>::is_lock_free());
    /// ```
    #[must_use]
    pub const fn is_lock_free() -> bool {
        crate::sync::WORD_IS_LOCK_FREE
    }

    /// Whether the stack held no items at the moment of the call (a snapshot
    /// under concurrency).
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// let stack = ArrayStack::<u8, 2>::new();
    /// assert!(stack.is_empty());
    /// stack.push(7).unwrap();
    /// assert!(!stack.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        Self::PACK.is_empty(&self.used)
    }

    /// Pushes `value` on top, or hands it back as `Err(value)` when no slot is
    /// free (see "Full stacks" in the type docs).
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// let stack = ArrayStack::<&str, 1>::new();
    /// assert_eq!(stack.push("a"), Ok(()));
    /// assert_eq!(stack.push("b"), Err("b"));
    /// ```
    pub fn push(&self, value: T) -> Result<(), T> {
        let Some(index) = self.take_slot() else {
            return Err(value);
        };
        self.slots[index].value.with_mut(|p| {
            // `take_slot` popped `index` off the free list with a tagged CAS (or
            // `fresh` handed it out once); its Acquire pairs with the Release push
            // that followed the previous reader's move-out.
            // SAFETY: so this thread alone owns the empty slot `index`.
            unsafe { p.write(MaybeUninit::new(value)) }
        });
        self.push_list(&self.used, index);
        Ok(())
    }

    /// Pops the most recently pushed item, or `None` if the stack is empty.
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// let stack = ArrayStack::<u8, 4>::new();
    /// stack.push(1).unwrap();
    /// assert_eq!(stack.pop(), Some(1));
    /// assert_eq!(stack.pop(), None);
    /// ```
    pub fn pop(&self) -> Option<T> {
        let index = self.pop_list(&self.used)?;
        let value = self.slots[index].value.with_mut(|p| {
            // The value was written before the Release push that the Acquire CAS
            // in `pop_list` synchronised with.
            // SAFETY: that tagged CAS removed `index` from the used list, so this
            // thread alone owns the slot and its initialised value.
            unsafe { ptr::read(p).assume_init() }
        });
        self.push_list(&self.free, index);
        Some(value)
    }

    /// Pops items until the stack is found empty, newest first (see
    /// [`PopIter`]: other threads may keep pushing and popping meanwhile).
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// static BUFFERS: ArrayStack<u32, 8> = ArrayStack::new();
    /// for b in 0..3 {
    ///     BUFFERS.push(b).unwrap();
    /// }
    /// assert_eq!(BUFFERS.pop_iter().sum::<u32>(), 3);
    /// assert!(BUFFERS.is_empty());
    /// ```
    #[inline]
    pub fn pop_iter(&self) -> PopIter<'_, Self> {
        PopIter::new(self)
    }

    /// Takes an empty slot: from the free list, else a never-used one.
    fn take_slot(&self) -> Option<usize> {
        if let Some(index) = self.pop_list(&self.free) {
            return Some(index);
        }
        // Relaxed: the RMW hands each never-used index out once; such a slot was
        // never touched by another thread, so there is no write to synchronise with.
        self.fresh
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                (f < N).then_some(f + 1)
            })
            .ok()
    }

    /// Pushes slot `index`, owned by the caller, onto the list at `head` (the
    /// list algorithm and its orderings: `stack::tagged`).
    fn push_list(&self, head: &AtomicUsize, index: usize) {
        Self::PACK.push(head, index + 1, &self.slots[index].next);
    }

    /// Pops the top slot of the list at `head`, giving the caller ownership of it.
    fn pop_list(&self, head: &AtomicUsize) -> Option<usize> {
        let link = Self::PACK.pop(head, |link| &self.slots[link - 1].next)?;
        Some(link - 1)
    }
}

impl<T, const N: usize> Drop for ArrayStack<T, N> {
    /// Drops every item still held. If an item's `Drop` panics, the rest are still
    /// dropped before the panic goes on (a second panic aborts), as `Vec` does.
    fn drop(&mut self) {
        let rest = DropRest(self);
        rest.0.drop_items();
        core::mem::forget(rest);
    }
}

/// Finishes [`ArrayStack`]'s `Drop` while an item's `Drop` unwinds.
struct DropRest<'a, T, const N: usize>(&'a mut ArrayStack<T, N>);

impl<T, const N: usize> Drop for DropRest<'_, T, N> {
    fn drop(&mut self) {
        self.0.drop_items();
    }
}

impl<T, const N: usize> ArrayStack<T, N> {
    /// Pops and drops every item (`&mut self`: no other thread is inside any
    /// operation). Each item is moved out of its slot before it is dropped, so a
    /// panicking item is never dropped twice.
    fn drop_items(&mut self) {
        while let Some(item) = self.pop() {
            drop(item);
        }
    }
}

/// Pops the owned stack empty, newest first.
///
/// ```
/// use racefree::ArrayStack;
///
/// let stack = ArrayStack::<char, 4>::new();
/// stack.push('x').unwrap();
/// stack.push('y').unwrap();
/// assert_eq!(stack.into_iter().collect::<String>(), "yx");
/// ```
impl<T, const N: usize> IntoIterator for ArrayStack<T, N> {
    type Item = T;
    type IntoIter = IntoIter<Self>;

    fn into_iter(self) -> IntoIter<Self> {
        IntoIter::new(self)
    }
}

impl<T, const N: usize> Default for ArrayStack<T, N> {
    /// Same as [`ArrayStack::new`].
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// let stack: ArrayStack<u8, 3> = Default::default();
    /// assert_eq!(stack.capacity(), 3);
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for ArrayStack<T, N> {
    /// Shows the capacity and an emptiness snapshot; never reads an item.
    ///
    /// ```
    /// use racefree::ArrayStack;
    ///
    /// let s = format!("{:?}", ArrayStack::<u8, 2>::new());
    /// assert!(s.contains("capacity: 2"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayStack")
            .field("capacity", &N)
            .field("is_empty", &self.is_empty())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support;
    use super::ArrayStack;

    #[test]
    fn lifo_and_full() {
        let s = ArrayStack::<u32, 3>::new();
        for i in 0..3 {
            assert_eq!(s.push(i), Ok(()));
        }
        assert_eq!(s.push(9), Err(9));
        assert_eq!(s.pop(), Some(2));
        assert_eq!(s.push(5), Ok(()));
        assert_eq!(s.pop(), Some(5));
        assert_eq!(s.pop(), Some(1));
        assert_eq!(s.pop(), Some(0));
        assert_eq!(s.pop(), None);
        assert!(s.is_empty());
    }

    #[test]
    fn zero_capacity() {
        let s = ArrayStack::<u32, 0>::new();
        assert_eq!(s.push(1), Err(1));
        assert_eq!(s.pop(), None);
    }

    #[test]
    fn drops_remaining_items_once() {
        test_support::drops_remaining_items_once(ArrayStack::<_, 8>::new());
    }

    #[test]
    fn drop_continues_after_a_panicking_item() {
        test_support::drop_continues_after_a_panicking_item(ArrayStack::<_, 8>::new());
    }

    #[test]
    fn zero_sized_and_over_aligned_items() {
        test_support::zero_sized_and_over_aligned_items(
            ArrayStack::<_, 4>::new(),
            ArrayStack::<_, 4>::new(),
        );
    }

    /// A 4-slot stack, so pushes often find it full.
    #[test]
    fn miri_concurrent_push_pop_unique() {
        test_support::concurrent_push_pop_unique(ArrayStack::<_, 4>::new());
    }
}
