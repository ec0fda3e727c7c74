//! [`TreiberStack`]: an unbounded Treiber stack with a tagged-pointer head.
//!
//! # Why a type-stable node free-list (and not epoch reclamation)
//!
//! A pop reads `top.next` *before* its CAS proves that `top` is still the head.
//! In a classic Treiber stack another thread may already have popped `top` and
//! freed it, making that read a use-after-free. Tags stop the stale CAS from
//! succeeding (ABA) but not the read itself. This stack never frees a node that
//! a running pop may still read:
//!
//! - A popped node goes to a second tagged Treiber list, the *node free-list*, and
//!   [`push`](TreiberStack::push) takes nodes from there before allocating.
//! - Nodes are freed by [`shrink`](TreiberStack::shrink) and by `Drop`, both of
//!   which take `&mut self`, so no other thread can be inside a `pop`; and by
//!   [`trim`](TreiberStack::trim), which takes `&self` and first waits out every
//!   list read that may still hold one of the nodes (a grace period,
//!   `stack::grace`).
//!
//! So every address a pop can have read from a head points to a live `Node<T>`
//! (type-stable memory), and its `next` is an atomic that may be read at any time.
//! The value it reads may be stale; then the head's tag has moved on (a removal
//! bumped it) and the CAS fails. The memory retained is the high-water mark of
//! items plus in-flight pushes, until `shrink`, `trim` or drop.
//!
//! A grace period needs each list read to announce itself. With `std` on Linux that
//! is two plain stores to the thread's own cache line (the trimmer pays a
//! `membarrier` system call instead of the readers paying fences). crossbeam-epoch
//! pins with a fence-strength RMW per operation and never reuses a node before a
//! grace period; `benches/stacks.rs` measures an epoch-based Treiber stack beside
//! this one.
//!
//! # Heads and provenance
//!
//! Each head is one double-width word (`u128` on 64-bit targets, `u64` on 32-bit
//! ones): the node address in the low half (from [`expose_provenance`], back with
//! [`with_exposed_provenance_mut`]) and a tag in the high half (64 bits on 64-bit
//! targets, bumped on every removal: a preempted thread would have to sleep through
//! 2^64 pops of one head for ABA; 2^32 on 32-bit targets). Tags are never packed
//! into unused pointer bits. Because addresses round-trip through integers, miri's
//! `-Zmiri-strict-provenance` rejects this type; its miri tests run with miri's
//! default (permissive) provenance, everything else in the crate under strict.
//!
//! [`expose_provenance`]: https://doc.rust-lang.org/core/primitive.pointer.html#method.expose_provenance
//! [`with_exposed_provenance_mut`]: core::ptr::with_exposed_provenance_mut

use alloc::boxed::Box;
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};

use super::grace;
use super::iter::{IntoIter, PopIter};
use super::tagged::{LinkCell, Packing, Pointer};
use crate::sync::{AtomicDoubleWord, AtomicPtr, CachePadded, Ordering, UnsafeCell};

/// A marker for a container that owns `T`s (drop check) and is **invariant** in
/// `T`. `push` takes `&self`, so a covariant stack would let
/// `&TreiberStack<&'static str>` coerce to `&TreiberStack<&'short str>`, take a
/// short-lived reference, and hand it back later as `&'static str`: a
/// use-after-free in safe code (found in 0.1, whose marker was a plain `PhantomData` of `T`).
/// The `fn(T) -> T` makes the type invariant, as `UnsafeCell<T>` makes `Mutex`
/// and `ArrayStack`; `tests/compile-fail/treiber_stack_*.rs` prove it.
type OwnsInvariant<T> = PhantomData<(T, fn(T) -> T)>;

struct Node<T> {
    /// The node below this one on its list; atomic because a stale popper may read
    /// it while its owner rewrites it.
    next: AtomicPtr<Node<T>>,
    value: UnsafeCell<MaybeUninit<T>>,
    /// Loom only: the node's memory as loom sees it. Every list read of the node
    /// reads it and freeing writes it, so loom reports a free that does not happen
    /// after every read (a broken grace period).
    #[cfg(loom)]
    memory: UnsafeCell<()>,
}

impl<T> Node<T> {
    /// A new empty node, on the heap.
    fn alloc() -> *mut Self {
        Box::into_raw(Box::new(Node {
            next: AtomicPtr::new(ptr::null_mut()),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            #[cfg(loom)]
            memory: UnsafeCell::new(()),
        }))
    }

    /// Frees `node`.
    ///
    /// # Safety
    ///
    /// `node` came from [`Node::alloc`], holds no value, is on no list, and no
    /// thread can still read it: the stack is borrowed mutably, or a grace period
    /// passed since it was unlinked.
    unsafe fn free(node: *mut Self) {
        // SAFETY: the caller's contract.
        let node = unsafe { Box::from_raw(node) };
        #[cfg(loom)]
        {
            node.memory.with_mut(|_| ());
            // Not deallocated under loom: in a model without a grace period, a
            // stale reader's access must reach loom's check, not freed memory.
            core::mem::forget(node);
        }
        #[cfg(not(loom))]
        drop(node);
    }
}

/// A lock-free, unbounded LIFO stack on the heap, safe against ABA and against
/// use-after-free without a garbage collector.
///
/// The head is a tagged pointer (address + 64-bit generation tag, one 128-bit
/// compare-and-swap on x86_64 and aarch64); popped nodes are recycled through a
/// second tagged list and freed on drop, by [`shrink`](Self::shrink) or, on a
/// shared stack, by [`trim`](Self::trim).
///
/// # ABA and the tag's wrap-around bound
///
/// Every removal from a head bumps its tag, so a preempted pop's stale CAS fails
/// unless the thread slept through `2^64` removals from that head (`2^32` on 32-bit
/// targets with 64-bit CAS). Tags are never packed into unused pointer bits.
///
/// # Memory: a type-stable node free-list
///
/// A pop reads the top node's `next` before its CAS proves the node is still on
/// top, so that node must not have been freed meanwhile. Popped nodes therefore go
/// to a second tagged list and are reused by later pushes. They are freed by
/// [`shrink`](Self::shrink) and `Drop`, which take `&mut self`, so no pop can be in
/// flight, and by [`trim`](Self::trim) (`std`), which takes `&self` and waits
/// until no push or pop can still be reading them. The memory retained is the
/// high-water mark of items (plus in-flight pushes) until one of those runs.
/// With `std`, each thread that pushes or pops also holds a cache line of its own
/// (where it announces its reads to `trim`), handed on to a later thread when it
/// exits: the process keeps one per thread alive at once, for all stacks.
/// crossbeam-epoch was measured as the alternative (`benches/stacks.rs`).
///
/// # Provenance
///
/// Node addresses round-trip through the integer head with `expose_provenance` /
/// `with_exposed_provenance_mut`. Miri's `-Zmiri-strict-provenance` rejects that,
/// so this type is checked under miri's default (permissive) provenance.
///
/// # Lock-freedom
///
/// See [`is_lock_free`](Self::is_lock_free): a run-time answer on x86_64.
///
/// # Examples
///
/// ```
/// use racefree::TreiberStack;
/// use std::sync::Arc;
///
/// let stack = Arc::new(TreiberStack::new());
/// let handles: Vec<_> = (0..4)
///     .map(|t| {
///         let stack = Arc::clone(&stack);
///         std::thread::spawn(move || stack.push(t))
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// let mut items: Vec<_> = std::iter::from_fn(|| stack.pop()).collect();
/// items.sort();
/// assert_eq!(items, [0, 1, 2, 3]);
/// ```
pub struct TreiberStack<T> {
    /// Tagged head of the list of nodes that hold items.
    head: CachePadded<AtomicDoubleWord>,
    /// Tagged head of the list of emptied nodes kept for reuse.
    free: CachePadded<AtomicDoubleWord>,
    /// The stack owns `T`s and is invariant in `T` (see [`OwnsInvariant`]).
    _items: OwnsInvariant<T>,
}

// SAFETY: the stack owns its items and only moves them between threads (it never
// hands out `&T`), so `T: Send` suffices; the nodes are owned by the stack.
unsafe impl<T: Send> Send for TreiberStack<T> {}
// SAFETY: as above: each item is written by one pusher and moved out by exactly one
// popper (the tagged CAS hands each node to one thread).
unsafe impl<T: Send> Sync for TreiberStack<T> {}

impl<T> TreiberStack<T> {
    /// An empty stack; allocates nothing until the first push.
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let stack: TreiberStack<u64> = TreiberStack::new();
    /// assert!(stack.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            head: CachePadded::new(AtomicDoubleWord::new(0)),
            free: CachePadded::new(AtomicDoubleWord::new(0)),
            _items: PhantomData,
        }
    }

    /// Whether the double-width CAS of the heads is lock-free on this CPU: always
    /// on aarch64; on x86_64 when the CPU has `cmpxchg16b` (checked at run time;
    /// without it `portable-atomic` falls back to a lock, and this says `false`).
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// println!("lock-free: {}", TreiberStack::<u8>::is_lock_free());
    /// ```
    #[must_use]
    pub fn is_lock_free() -> bool {
        crate::sync::double_word_is_lock_free()
    }

    /// Whether the stack held no items at the moment of the call (a snapshot
    /// under concurrency).
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// stack.push('x');
    /// assert!(!stack.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        Pointer.is_empty(&self.head)
    }

    /// Pushes `value` on top; reuses a recycled node or allocates one.
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// stack.push(1);
    /// stack.push(2);
    /// assert_eq!(stack.pop(), Some(2));
    /// ```
    pub fn push(&self, value: T) {
        let recycled = grace::read(|| Self::pop_list(&self.free));
        // Allocated outside the read section: a custom allocator may use a stack.
        let node = recycled.map_or_else(Node::alloc, NonNull::as_ptr);
        // `node` is owned by this thread alone: fresh from the allocator, or removed
        // from the free list by a tagged CAS whose Acquire pairs with the Release
        // push that followed the previous owner's move-out.
        // SAFETY: `node` is live: this thread owns it, and only an owner frees.
        let cell = unsafe { &(*node).value };
        cell.with_mut(|p| {
            // SAFETY: exclusive access to the empty slot, as above.
            unsafe { p.write(MaybeUninit::new(value)) }
        });
        Self::push_list(&self.head, node);
    }

    /// Pops items until the stack is found empty, newest first (see
    /// [`PopIter`]: other threads may keep pushing and popping meanwhile).
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let jobs = TreiberStack::new();
    /// jobs.push("build");
    /// jobs.push("test");
    /// assert_eq!(jobs.pop_iter().collect::<Vec<_>>(), ["test", "build"]);
    /// ```
    #[inline]
    pub fn pop_iter(&self) -> PopIter<'_, Self> {
        PopIter::new(self)
    }

    /// Pops the most recently pushed item, or `None` if the stack is empty.
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// assert_eq!(stack.pop(), None::<u8>);
    /// stack.push(3);
    /// assert_eq!(stack.pop(), Some(3));
    /// ```
    pub fn pop(&self) -> Option<T> {
        let node = grace::read(|| Self::pop_list(&self.head))?.as_ptr();
        // SAFETY: the tagged CAS in `pop_list` removed `node` from the item list, so
        // this thread alone owns it and its initialised value (written before the
        // Release push that the Acquire pop synchronised with).
        let value = unsafe { &(*node).value }.with_mut(|p| unsafe {
            // SAFETY: exclusive ownership of an initialised value, as above.
            ptr::read(p).assume_init()
        });
        Self::push_list(&self.free, node);
        Some(value)
    }

    /// Frees every recycled node (memory held for reuse after pops); items stay.
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let mut stack = TreiberStack::new();
    /// for i in 0..100 {
    ///     stack.push(i);
    /// }
    /// while stack.pop().is_some() {}
    /// stack.shrink(); // the 100 recycled nodes are freed
    /// stack.push(1);
    /// assert_eq!(stack.pop(), Some(1));
    /// ```
    pub fn shrink(&mut self) {
        // `&mut self`: no other thread is inside any operation.
        self.free_recycled_after(|| true);
    }

    /// Frees every recycled node of a shared stack, as [`shrink`](Self::shrink)
    /// does with `&mut self`, and returns how many it freed; items stay.
    ///
    /// It first waits until no push or pop still running can be reading one of
    /// those nodes: every push and pop announces its list read (on Linux with
    /// plain stores, the price of this method on the hot path), and `trim` waits
    /// for the reads that were open when it unlinked the nodes. That wait is a few
    /// instructions long unless such a thread is preempted, and `trim` never makes
    /// a push or pop wait. Pushes and pops keep recycling meanwhile; nodes they
    /// recycle after the unlink stay for the next call.
    ///
    /// It returns 0 and frees nothing (the nodes stay recycled; call it again
    /// later) when it cannot prove the wait: a push or pop stayed inside its read
    /// through about a thousand yields of `trim`'s thread (preempted for long, or
    /// in a `fork` child, a thread of the parent that was inside one), or, on
    /// Linux, the kernel refuses the `membarrier` system call (before 4.14, or a
    /// seccomp filter).
    ///
    /// ```
    /// use racefree::TreiberStack;
    /// use std::sync::Arc;
    ///
    /// let stack = Arc::new(TreiberStack::new());
    /// let worker = {
    ///     let stack = Arc::clone(&stack);
    ///     std::thread::spawn(move || {
    ///         for i in 0..1000 {
    ///             stack.push(i);
    ///         }
    ///         while stack.pop().is_some() {}
    ///     })
    /// };
    /// worker.join().unwrap();
    /// // 1000 nodes were recycled; `shrink` would need the `Arc` to be unique.
    /// assert_eq!(stack.trim(), 1000);
    /// assert_eq!(stack.trim(), 0);
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn trim(&self) -> usize {
        self.free_recycled_after(grace::wait_for_readers)
    }

    /// Unlinks the free list, lets `grace_period` prove that no list read can
    /// still hold one of its nodes, and frees them; if it cannot (`false`), pushes
    /// them back. Returns the number freed.
    fn free_recycled_after(&self, grace_period: impl FnOnce() -> bool) -> usize {
        let Some(top) = Pointer.take_all(&self.free) else {
            return 0;
        };
        let mut node: *mut Node<T> = ptr::with_exposed_provenance_mut(top);
        if !grace_period() {
            while !node.is_null() {
                let next = Self::next_taken(node);
                Self::push_list(&self.free, node);
                node = next;
            }
            return 0;
        }
        let mut freed = 0;
        while !node.is_null() {
            let next = Self::next_taken(node);
            // SAFETY: from `Node::alloc`; empty (free-list nodes are); unlinked by
            // `take_all`, which made this thread its only owner; and no list read
            // can still hold it (`grace_period` returned true).
            unsafe { Node::free(node) };
            freed += 1;
            node = next;
        }
        freed
    }

    /// The node after `node` on a list that `take_all` handed to this thread.
    fn next_taken(node: *mut Node<T>) -> *mut Node<T> {
        // SAFETY: `node` is live and owned by this thread (`take_all`).
        let next = unsafe { &(*node).next };
        // Relaxed: written before the Release push that `take_all`'s Acquire CAS
        // synchronised with; nobody else writes it while this thread owns it.
        ptr::with_exposed_provenance_mut(next.load_link(Ordering::Relaxed))
    }

    /// Pushes `node`, owned by the caller, onto the list at `head` (the list
    /// algorithm and its orderings: `stack::tagged`).
    fn push_list(head: &AtomicDoubleWord, node: *mut Node<T>) {
        // SAFETY: `node` is live and owned by this thread (only an owner frees).
        let next = unsafe { &(*node).next };
        Pointer.push(head, node.expose_provenance(), next);
    }

    /// Pops the top node of the list at `head`, giving the caller ownership of it.
    /// Call it inside a [`grace::read`] section.
    fn pop_list(head: &AtomicDoubleWord) -> Option<NonNull<Node<T>>> {
        let addr = Pointer.pop(head, |addr| {
            let node: *const Node<T> = ptr::with_exposed_provenance(addr);
            // SAFETY: `addr` came from `push_list` (a live node), and a node is freed
            // only with `&mut self` or after a grace period that the caller's read
            // section holds off; `next` is atomic: a stale read races nothing.
            let next = unsafe { &(*node).next };
            #[cfg(loom)]
            {
                // SAFETY: live, as above; loom's record of a read of the node.
                unsafe { &(*node).memory }.with(|_| ());
            }
            next
        })?;
        // A non-null link (`0` means empty); `NonNull` lets the `Option` stay one
        // word on the way out of the read section.
        NonNull::new(ptr::with_exposed_provenance_mut(addr))
    }
}

impl<T> Drop for TreiberStack<T> {
    /// Drops every item still held, then frees every node. If an item's `Drop`
    /// panics, the rest are still dropped and every node freed before the panic
    /// goes on (a second panic aborts), as `Vec` does.
    fn drop(&mut self) {
        let rest = DropRest(self);
        rest.0.drop_items_and_nodes();
        core::mem::forget(rest);
    }
}

/// Finishes [`TreiberStack`]'s `Drop` while an item's `Drop` unwinds.
struct DropRest<'a, T>(&'a mut TreiberStack<T>);

impl<T> Drop for DropRest<'_, T> {
    fn drop(&mut self) {
        self.0.drop_items_and_nodes();
    }
}

impl<T> TreiberStack<T> {
    /// Pops and drops every item, then frees every node (`&mut self`: no other
    /// thread is inside any operation). `pop` returns each node to the free list
    /// before its item is dropped, so a panicking item leaks no node.
    fn drop_items_and_nodes(&mut self) {
        while let Some(item) = self.pop() {
            drop(item);
        }
        self.shrink();
    }
}

/// Pops the owned stack empty, newest first.
///
/// ```
/// use racefree::TreiberStack;
///
/// let stack = TreiberStack::new();
/// stack.push(1);
/// stack.push(2);
/// assert_eq!(stack.into_iter().collect::<Vec<_>>(), [2, 1]);
/// ```
impl<T> IntoIterator for TreiberStack<T> {
    type Item = T;
    type IntoIter = IntoIter<Self>;

    fn into_iter(self) -> IntoIter<Self> {
        IntoIter::new(self)
    }
}

impl<T> Default for TreiberStack<T> {
    /// Same as [`TreiberStack::new`].
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// let stack: TreiberStack<u8> = Default::default();
    /// assert!(stack.is_empty());
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for TreiberStack<T> {
    /// Shows an emptiness snapshot; never reads an item.
    ///
    /// ```
    /// use racefree::TreiberStack;
    ///
    /// assert!(format!("{:?}", TreiberStack::<u8>::new()).contains("is_empty: true"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreiberStack")
            .field("is_empty", &self.is_empty())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support;
    use super::TreiberStack;
    use std::vec::Vec;

    #[test]
    fn lifo_and_reuse() {
        let mut s = TreiberStack::new();
        for i in 0..5 {
            s.push(i);
        }
        assert_eq!(s.pop(), Some(4));
        s.push(7);
        let rest: Vec<_> = core::iter::from_fn(|| s.pop()).collect();
        assert_eq!(rest, [7, 3, 2, 1, 0]);
        assert!(s.is_empty());
        s.shrink();
        s.push(1);
        assert_eq!(s.pop(), Some(1));
    }

    #[test]
    fn drops_remaining_items_once() {
        test_support::drops_remaining_items_once(TreiberStack::new());
    }

    /// Issue 18, finding 1, the run-time half (`tests/compile-fail` holds the
    /// exploit, which no longer compiles): a stack of short-lived references used
    /// within their scope, clean under miri.
    #[test]
    fn short_lived_references() {
        let words = [
            std::string::String::from("a"),
            std::string::String::from("b"),
        ];
        let s: TreiberStack<&str> = TreiberStack::new();
        for w in &words {
            s.push(w.as_str());
        }
        assert_eq!(s.pop(), Some("b"));
        drop(s);
        drop(words);
    }

    #[test]
    fn drop_continues_after_a_panicking_item() {
        test_support::drop_continues_after_a_panicking_item(TreiberStack::new());
    }

    #[test]
    fn zero_sized_and_over_aligned_items() {
        test_support::zero_sized_and_over_aligned_items(TreiberStack::new(), TreiberStack::new());
    }

    #[test]
    fn miri_concurrent_push_pop_unique() {
        test_support::concurrent_push_pop_unique(TreiberStack::new());
    }

    #[cfg(feature = "std")]
    #[test]
    fn trim_frees_recycled_nodes_and_keeps_items() {
        let _grace = test_support::expecting_grace_periods();
        let s = TreiberStack::new();
        assert_eq!(s.trim(), 0);
        for i in 0..10 {
            s.push(i);
        }
        for _ in 0..4 {
            s.pop();
        }
        assert_eq!(s.trim(), 4);
        assert_eq!(s.trim(), 0);
        // The next pushes allocate again; the items are untouched.
        s.push(10);
        assert_eq!(s.pop_iter().collect::<Vec<_>>(), [10, 5, 4, 3, 2, 1, 0]);
        assert_eq!(s.trim(), 7);
    }

    #[cfg(feature = "std")]
    #[test]
    fn trim_keeps_the_nodes_while_a_read_stays_open() {
        let _open = test_support::holding_a_section_open();
        let s = TreiberStack::new();
        s.push(1);
        s.pop();
        let (opened, close) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|sc| {
            sc.spawn(|| {
                // A push or pop preempted inside its list read, held open.
                super::grace::read(|| {
                    opened.wait();
                    close.wait();
                });
            });
            opened.wait();
            assert_eq!(s.trim(), 0, "a read is open: nothing may be freed");
            close.wait();
        });
        // The node stayed recycled, and goes now.
        assert_eq!(s.trim(), 1);
    }

    /// Trims race pushes and pops: every item comes back exactly once, and (under
    /// miri) no list read touches a freed node.
    #[cfg(feature = "std")]
    #[test]
    fn miri_trim_races_push_pop() {
        const THREADS: usize = 2;
        const PER: usize = if cfg!(miri) { 15 } else { 3_000 };
        let s = TreiberStack::new();
        let done = core::sync::atomic::AtomicUsize::new(0);
        let popped = std::thread::scope(|sc| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (s, done) = (&s, &done);
                    sc.spawn(move || {
                        let mut got = Vec::new();
                        for i in 0..PER {
                            s.push(t * PER + i);
                            if i % 3 != 0 {
                                got.extend(s.pop());
                            }
                        }
                        done.fetch_add(1, core::sync::atomic::Ordering::Release);
                        got
                    })
                })
                .collect();
            sc.spawn(|| {
                while done.load(core::sync::atomic::Ordering::Acquire) < THREADS {
                    s.trim();
                    std::thread::yield_now();
                }
            });
            workers
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<Vec<usize>>>()
        });
        let mut all: Vec<usize> = popped.into_iter().flatten().collect();
        all.extend(s.pop_iter());
        all.sort_unstable();
        assert_eq!(all, (0..THREADS * PER).collect::<Vec<_>>());
    }
}

/// Loom models of `trim`: its grace period against a concurrent push's read of
/// the free list. The same model with no grace period must fail: loom reports the
/// free racing the read.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::TreiberStack;
    use loom::thread;
    use std::mem::ManuallyDrop;
    use std::sync::Arc;
    use std::vec::Vec;

    type Shared = Arc<ManuallyDrop<TreiberStack<usize>>>;

    /// Runs `setup`, then `others` on their own threads while the main thread frees
    /// the recycled nodes after `grace_period`, then `check`.
    fn trim_model(
        grace_period: fn() -> bool,
        setup: fn(&Shared),
        others: &'static [fn(&Shared)],
        check: fn(&Shared),
    ) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(move || {
            // Dropped by hand at the end: when loom reports a violation, the stack
            // must not run loom operations while the panic unwinds out of the model.
            let s: Shared = Arc::new(ManuallyDrop::new(TreiberStack::new()));
            setup(&s);
            let threads: Vec<_> = others
                .iter()
                .map(|&op| {
                    let s = Arc::clone(&s);
                    thread::spawn(move || op(&s))
                })
                .collect();
            s.free_recycled_after(grace_period);
            for t in threads {
                t.join().unwrap();
            }
            check(&s);
            let mut s = Arc::into_inner(s).expect("the other threads have exited");
            // SAFETY: taken out of the `Arc` once and never used again.
            unsafe { ManuallyDrop::drop(&mut s) };
        });
    }

    /// One recycled node; a push reads the free list while it is trimmed.
    fn trim_races_a_push(grace_period: fn() -> bool) {
        trim_model(
            grace_period,
            |s| {
                s.push(1);
                s.pop();
            },
            &[|s| s.push(2)],
            |s| assert_eq!(s.pop(), Some(2)),
        );
    }

    #[test]
    fn trim_waits_for_a_push_reading_the_free_list() {
        trim_races_a_push(super::grace::wait_for_readers);
    }

    /// Two pops race for one item: the loser may still be reading the winner's
    /// node after the winner recycled it and the trim took it.
    #[test]
    fn trim_waits_for_a_stale_pop() {
        trim_model(
            super::grace::wait_for_readers,
            |s| s.push(1),
            &[|s| _ = s.pop(), |s| _ = s.pop()],
            |s| assert_eq!(s.pop(), None),
        );
    }

    #[test]
    #[should_panic(expected = "Causality violation")]
    fn freeing_without_a_grace_period_is_caught() {
        trim_races_a_push(|| true);
    }
}
