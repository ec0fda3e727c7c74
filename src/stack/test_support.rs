//! What the two stacks' unit tests share: items that count their drops or panic
//! in them, and each check written once over both stacks.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::vec::Vec;

use super::ArrayStack;
#[cfg(racefree_double_word_cas)]
use super::TreiberStack;

/// Read sections are process-wide: a test that holds one open makes every grace
/// period in the test binary fail meanwhile. Such a test holds this for writing;
/// a test that expects a grace period to pass holds it for reading.
#[cfg(all(racefree_double_word_cas, feature = "std"))]
static OPEN_SECTIONS: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// For a test that holds a read section open on purpose.
#[cfg(all(racefree_double_word_cas, feature = "std"))]
pub(super) fn holding_a_section_open() -> std::sync::RwLockWriteGuard<'static, ()> {
    OPEN_SECTIONS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// For a test that expects every grace period it starts to pass.
#[cfg(all(racefree_double_word_cas, feature = "std"))]
pub(super) fn expecting_grace_periods() -> std::sync::RwLockReadGuard<'static, ()> {
    OPEN_SECTIONS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A stack as the shared checks see it.
pub(super) trait TestStack<T>: Sync {
    /// `Err(value)` when full (only `ArrayStack` ever is).
    fn try_push(&self, value: T) -> Result<(), T>;
    fn pop(&self) -> Option<T>;

    /// Pushes where the check leaves room.
    fn push(&self, value: T) {
        assert!(self.try_push(value).is_ok(), "the check left no room");
    }
}

impl<T: Send, const N: usize> TestStack<T> for ArrayStack<T, N> {
    fn try_push(&self, value: T) -> Result<(), T> {
        ArrayStack::push(self, value)
    }
    fn pop(&self) -> Option<T> {
        ArrayStack::pop(self)
    }
}

#[cfg(racefree_double_word_cas)]
impl<T: Send> TestStack<T> for TreiberStack<T> {
    fn try_push(&self, value: T) -> Result<(), T> {
        TreiberStack::push(self, value);
        Ok(())
    }
    fn pop(&self) -> Option<T> {
        TreiberStack::pop(self)
    }
}

/// An item that counts its drops, and panics in its `Drop` when `boom` is set.
pub(super) struct Loud {
    drops: Arc<AtomicUsize>,
    boom: bool,
}

impl Drop for Loud {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
        if self.boom {
            panic!("item drop panicked");
        }
    }
}

/// A 256-byte-aligned item.
#[derive(Debug, PartialEq)]
#[repr(align(256))]
pub(super) struct Aligned(u8);

/// Items popped are dropped by their taker; the stack's `Drop` drops each item
/// it still holds exactly once. `stack` is empty with room for 7.
pub(super) fn drops_remaining_items_once(stack: impl TestStack<Loud>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let item = || Loud {
        drops: Arc::clone(&drops),
        boom: false,
    };
    for _ in 0..6 {
        stack.push(item());
    }
    drop(stack.pop());
    drop(stack.pop());
    stack.push(item());
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    drop(stack);
    assert_eq!(drops.load(Ordering::Relaxed), 7);
}

/// Issue 18, finding 3: 0.1 stopped at the first panicking item and leaked the
/// rest (and, for `TreiberStack`, every node). Under miri a leaked node is an
/// error of its own. `stack` is empty with room for 6.
pub(super) fn drop_continues_after_a_panicking_item(stack: impl TestStack<Loud>) {
    let drops = Arc::new(AtomicUsize::new(0));
    for i in 0..6 {
        stack.push(Loud {
            drops: Arc::clone(&drops),
            boom: i == 3,
        });
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(stack)));
    assert!(r.is_err(), "the item's panic goes on");
    assert_eq!(drops.load(Ordering::Relaxed), 6, "every item dropped once");
}

/// Zero-sized and over-aligned items keep LIFO order and their alignment. Both
/// stacks are empty with room for 4.
pub(super) fn zero_sized_and_over_aligned_items(
    zst: impl TestStack<()>,
    big: impl TestStack<Aligned>,
) {
    for i in 0..4 {
        zst.push(());
        big.push(Aligned(i));
    }
    for i in (0..4).rev() {
        assert_eq!(zst.pop(), Some(()));
        let item = big.pop().unwrap();
        assert_eq!(item, Aligned(i));
        assert_eq!(&item as *const Aligned as usize % 256, 0);
    }
    assert_eq!(zst.pop(), None);
    assert_eq!(big.pop(), None);
}

/// Three threads push distinct values and pop some (a full `ArrayStack` is
/// drained a little and the push retried); every value comes back exactly once.
/// Small enough for miri with many seeds.
pub(super) fn concurrent_push_pop_unique(stack: impl TestStack<usize>) {
    const THREADS: usize = 3;
    const PER: usize = if cfg!(miri) { 20 } else { 2_000 };
    let s = &stack;
    let popped: Vec<Vec<usize>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                sc.spawn(move || {
                    let mut got = Vec::new();
                    for i in 0..PER {
                        let mut v = t * PER + i;
                        while let Err(back) = s.try_push(v) {
                            v = back;
                            got.extend(s.pop());
                        }
                        if i % 2 == 0 {
                            got.extend(s.pop());
                        }
                    }
                    got
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<usize> = popped.into_iter().flatten().collect();
    while let Some(v) = s.pop() {
        all.push(v);
    }
    all.sort_unstable();
    assert_eq!(all, (0..THREADS * PER).collect::<Vec<_>>());
}
