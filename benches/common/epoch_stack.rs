//! The peer for `TreiberStack`: a textbook Treiber stack whose memory is reclaimed
//! with crossbeam-epoch (every operation pins the epoch; popped nodes are retired
//! and freed once no pinned thread can still see them). It needs no tag: a node
//! cannot be freed and reused at the same address while a thread that read it is
//! still pinned, so ABA cannot happen.

use core::mem::ManuallyDrop;
use core::ptr;
use core::sync::atomic::Ordering;
use crossbeam_epoch::{self as epoch, Atomic, Owned};

struct Node<T> {
    value: ManuallyDrop<T>,
    next: Atomic<Node<T>>,
}

/// An unbounded lock-free stack reclaimed by crossbeam-epoch.
pub struct EpochStack<T> {
    head: Atomic<Node<T>>,
}

impl<T> Default for EpochStack<T> {
    fn default() -> Self {
        Self {
            head: Atomic::null(),
        }
    }
}

impl<T> EpochStack<T> {
    /// Pushes `value` on top.
    pub fn push(&self, value: T) {
        let mut node = Owned::new(Node {
            value: ManuallyDrop::new(value),
            next: Atomic::null(),
        });
        let guard = epoch::pin();
        loop {
            // Relaxed: the CAS below re-validates `head`; only its Release matters.
            let head = self.head.load(Ordering::Relaxed, &guard);
            node.next.store(head, Ordering::Relaxed);
            // Release: publishes the node's contents to the Acquire load in `pop`.
            match self.head.compare_exchange(
                head,
                node,
                Ordering::Release,
                Ordering::Relaxed,
                &guard,
            ) {
                Ok(_) => return,
                Err(e) => node = e.new,
            }
        }
    }

    /// Pops the top value, if any.
    pub fn pop(&self) -> Option<T> {
        let guard = epoch::pin();
        loop {
            // Acquire: pairs with the Release CAS in `push` that published the node.
            let head = self.head.load(Ordering::Acquire, &guard);
            // SAFETY: `head` was loaded under `guard`; a node retired by another
            // pop is not freed before our guard is dropped.
            let node = unsafe { head.as_ref() }?;
            let next = node.next.load(Ordering::Relaxed, &guard);
            // Relaxed: the Acquire load above already synchronised with the push.
            if self
                .head
                .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed, &guard)
                .is_ok()
            {
                // SAFETY: our CAS unlinked `head`, so only we move its value out
                // and retire it; it is freed after every current guard is dropped.
                unsafe {
                    let value = ptr::read(&*node.value);
                    guard.defer_destroy(head);
                    return Some(value);
                }
            }
        }
    }
}

impl<T> Drop for EpochStack<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}
