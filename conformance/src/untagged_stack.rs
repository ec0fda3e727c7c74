//! # A DELIBERATELY BROKEN lock-free stack — for demonstrating ABA only
//!
//! **Do not use this stack.** It exists so tests, loom models and the demo can show
//! the ABA problem happening, next to the same algorithm with a tag, which does not
//! suffer it.
//!
//! [`IndexStack`] is `racefree::ArrayStack`'s list algorithm reduced to its core:
//! a Treiber stack of the slot indices `0..N` (think "free object ids"), linked by
//! atomic `next` words. The items *are* the indices, so a corrupted stack shows up
//! as an index that is lost or handed to two owners at once — no `unsafe`, no
//! undefined behaviour, just wrong answers.
//!
//! - [`UntaggedStack`] (`TAGGED = false`): the head is the bare link. A pop that
//!   read `head = A, A.next = B`, slept while others popped `A` and `B` and pushed
//!   `A` back, still sees `head = A` and its CAS installs `B` — which is not on the
//!   stack any more. Corruption.
//! - [`TaggedStack`] (`TAGGED = true`): the head is `tag << 16 | link` and every pop
//!   bumps the tag, so the sleeper's CAS fails and it retries on fresh state.
//!
//! [`IndexStack::pop_with`] runs a closure between the pop's read of the head and
//! its CAS, which makes the ABA interleaving reproducible on one thread.
//!
//! The one copy, used by the stack tests, the loom models and the races demo:
//! std atomics normally, loom's under `cfg(loom)`.

#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bits of the link (`index + 1`, `0` = empty) in the tagged head.
const LINK_BITS: u32 = 16;
const LINK_MASK: usize = (1 << LINK_BITS) - 1;

/// A Treiber stack of the indices `0..N`; `TAGGED = false` is the broken one.
pub struct IndexStack<const N: usize, const TAGGED: bool> {
    /// `link` (untagged) or `tag << LINK_BITS | link` (tagged).
    head: AtomicUsize,
    /// `next[i]`: link of the index below `i`.
    next: [AtomicUsize; N],
}

/// **Broken on purpose**: suffers ABA (see the module docs).
pub type UntaggedStack<const N: usize> = IndexStack<N, false>;
/// The same algorithm with a generation tag in the head: ABA-safe.
pub type TaggedStack<const N: usize> = IndexStack<N, true>;

impl<const N: usize, const TAGGED: bool> IndexStack<N, TAGGED> {
    /// An empty stack.
    pub fn empty() -> Self {
        assert!(
            N < LINK_MASK,
            "IndexStack supports fewer than 65535 indices"
        );
        Self {
            head: AtomicUsize::new(0),
            next: core::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }

    /// A stack holding every index, `0` on top.
    pub fn full() -> Self {
        let s = Self::empty();
        for i in (0..N).rev() {
            s.push(i);
        }
        s
    }

    /// Pushes `index` (which the caller owns) on top.
    pub fn push(&self, index: usize) {
        assert!(index < N, "index {index} out of range 0..{N}");
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // Relaxed: published by the Release CAS below.
            self.next[index].store(head & LINK_MASK, Ordering::Relaxed);
            // The tag (if any) is kept: only removals bump it.
            let new = (head & !LINK_MASK) | (index + 1);
            // Release: pairs with the Acquire load / CAS in `pop_with`.
            match self
                .head
                .compare_exchange(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// Pops the top index.
    pub fn pop(&self) -> Option<usize> {
        self.pop_with(|| {})
    }

    /// Pops the top index, running `between` once, after the first read of the head
    /// and of the top's `next` and before the CAS that relies on them: whatever
    /// `between` does to the stack is exactly what a preempted thread sleeps through.
    pub fn pop_with(&self, between: impl FnOnce()) -> Option<usize> {
        let mut between = Some(between);
        // Acquire: pairs with the Release CAS in `push`.
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let link = head & LINK_MASK;
            if link == 0 {
                return None;
            }
            let next = self.next[link - 1].load(Ordering::Relaxed);
            if let Some(f) = between.take() {
                f();
            }
            let new = if TAGGED {
                // Bump the tag of the value compared against.
                (((head >> LINK_BITS) + 1) << LINK_BITS) | next
            } else {
                // THE BUG: nothing tells "A again" from "A, as I saw it".
                next
            };
            // Acquire: pairs with the Release CAS in `push`.
            match self
                .head
                .compare_exchange(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => return Some(link - 1),
                Err(actual) => head = actual,
            }
        }
    }

    /// Pops until empty, but at most `N + 1` times (a corrupted stack may have a
    /// cycle), returning what came out.
    pub fn drain(&self) -> Vec<usize> {
        drain_at_most(N, || self.pop())
    }
}

/// Calls `pop` until it returns `None`, but at most `limit + 1` times (a
/// corrupted stack may have a cycle), returning what came out in order.
pub fn drain_at_most(limit: usize, mut pop: impl FnMut() -> Option<usize>) -> Vec<usize> {
    let mut out = Vec::new();
    while out.len() <= limit {
        match pop() {
            Some(i) => out.push(i),
            None => break,
        }
    }
    out
}

/// Checks that `items` holds every index `0..n` exactly once; describes the
/// corruption otherwise.
pub fn check_exactly_once(n: usize, items: &[usize]) -> Result<(), String> {
    let mut count = vec![0usize; n];
    for &i in items {
        count[i] += 1;
    }
    let lost: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    let duplicated: Vec<usize> = (0..n).filter(|&i| count[i] > 1).collect();
    if lost.is_empty() && duplicated.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stack corrupted: lost {lost:?}, duplicated {duplicated:?} (items {items:?})"
        ))
    }
}
