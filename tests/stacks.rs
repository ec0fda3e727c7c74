//! Integration tests for `ArrayStack` and `TreiberStack`: order, capacity, exactly-once
//! delivery under MPMC stress, drop counting, auto traits, and the ABA demonstration.
// Uses std threads; the loom models live in tests/loom/stacks.rs.
#![cfg(not(loom))]

use racefree_conformance::untagged_stack;

use racefree::{ArrayStack, TreiberStack};
use static_assertions::{assert_impl_all, assert_not_impl_any};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use untagged_stack::{check_exactly_once, IndexStack, TaggedStack, UntaggedStack};

// A stack only moves items between threads: `T: Send` is enough for both traits
// (`Cell` is `Send + !Sync`); a `!Send` item makes the stack neither.
assert_impl_all!(ArrayStack<u32, 4>: Send, Sync, Default, std::fmt::Debug);
assert_impl_all!(ArrayStack<Cell<u32>, 4>: Send, Sync);
assert_not_impl_any!(ArrayStack<Rc<u32>, 4>: Send, Sync);
assert_impl_all!(TreiberStack<u32>: Send, Sync, Default, std::fmt::Debug);
assert_impl_all!(TreiberStack<Cell<u32>>: Send, Sync);
assert_not_impl_any!(TreiberStack<Rc<u32>>: Send, Sync);

/// Scale iteration counts down under miri.
const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        n / 500 + 4
    } else {
        n
    }
}

static STATIC_STACK: ArrayStack<u32, 8> = ArrayStack::new();

#[test]
fn array_stack_in_a_static() {
    assert!(STATIC_STACK.is_empty());
    STATIC_STACK.push(1).unwrap();
    STATIC_STACK.push(2).unwrap();
    assert_eq!(STATIC_STACK.pop(), Some(2));
    assert_eq!(STATIC_STACK.pop(), Some(1));
    assert_eq!(STATIC_STACK.pop(), None);
}

#[test]
fn array_stack_lifo_and_capacity() {
    let s = ArrayStack::<u32, 4>::new();
    assert_eq!(s.capacity(), 4);
    for i in 0..4 {
        assert_eq!(s.push(i), Ok(()));
    }
    assert_eq!(s.push(99), Err(99));
    assert!(!s.is_empty());
    assert_eq!(s.pop(), Some(3));
    assert_eq!(s.push(4), Ok(()));
    let rest: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
    assert_eq!(rest, [4, 2, 1, 0]);
    assert!(s.is_empty());
    // Many rounds through the recycled slots keep LIFO order.
    for round in 0..100 {
        s.push(round).unwrap();
        s.push(round + 1).unwrap();
        assert_eq!(s.pop(), Some(round + 1));
        assert_eq!(s.pop(), Some(round));
    }
}

#[test]
fn array_stack_tag_bits() {
    assert_eq!(ArrayStack::<u8, 64>::TAG_BITS, usize::BITS - 7);
    assert_eq!(ArrayStack::<u8, 4>::TAG_BITS, usize::BITS - 3);
    #[cfg(target_pointer_width = "64")]
    assert_eq!(ArrayStack::<u8, { (1 << 32) - 1 }>::TAG_BITS, 32);
}

#[test]
fn treiber_stack_lifo() {
    let s = TreiberStack::new();
    assert!(s.is_empty());
    for i in 0..10 {
        s.push(i);
    }
    assert_eq!(s.pop(), Some(9));
    s.push(42);
    let rest: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
    assert_eq!(rest, [42, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert!(s.is_empty());
}

#[test]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn stacks_are_lock_free_here() {
    assert!(ArrayStack::<u8, 4>::is_lock_free());
    // x86_64: every CPU since ~2008 has cmpxchg16b; aarch64: LDXP/STXP or CASP.
    // (Under miri portable-atomic cannot use the instruction and says `false`.)
    if !cfg!(miri) {
        assert!(TreiberStack::<u8>::is_lock_free());
    }
}

/// Runs `threads` workers; worker `t` pushes the values `t * per .. (t + 1) * per`
/// (retrying through `push` until accepted, popping while it waits) and pops after
/// every other push. Then everything popped plus what the stack still holds must
/// be every value exactly once.
fn churn_returns_each_once(
    threads: usize,
    per: usize,
    push: &(dyn Fn(usize) -> Result<(), usize> + Sync),
    pop: &(dyn Fn() -> Option<usize> + Sync),
) {
    let popped: Vec<Vec<usize>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                sc.spawn(move || {
                    let mut got = Vec::new();
                    for i in 0..per {
                        let mut v = t * per + i;
                        while let Err(back) = push(v) {
                            v = back;
                            got.extend(pop());
                        }
                        if i % 2 == 1 {
                            got.extend(pop());
                        }
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<usize> = popped.into_iter().flatten().collect();
    all.extend(std::iter::from_fn(pop));
    let total = threads * per;
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "an item came out twice");
    assert_eq!(all.len(), total, "an item was lost");
    assert_eq!(all, (0..total).collect::<Vec<_>>());
}

#[test]
fn array_stack_mpmc_unique_values() {
    let s = ArrayStack::<usize, 256>::new();
    churn_returns_each_once(4, scaled(20_000), &|v| s.push(v), &|| s.pop());
}

#[test]
fn tiny_array_stack_heavy_churn_8_threads() {
    // 4 slots, 8 threads: the free list and the used list recycle the same slots
    // constantly, which is where a missing tag would show.
    let s = ArrayStack::<usize, 4>::new();
    churn_returns_each_once(8, scaled(25_000), &|v| s.push(v), &|| s.pop());
}

#[test]
fn treiber_stack_mpmc_unique_values() {
    let s = TreiberStack::new();
    let push = |v| {
        s.push(v);
        Ok(())
    };
    churn_returns_each_once(8, scaled(25_000), &push, &|| s.pop());
}

/// The same churn while some pops also `trim` the shared stack: trims race the
/// other threads' pushes and pops, and every item still comes back once.
#[test]
fn treiber_stack_mpmc_unique_values_while_trimmed() {
    let s = TreiberStack::new();
    let freed = AtomicUsize::new(0);
    let push = |v| {
        s.push(v);
        Ok(())
    };
    let pop = || {
        let v = s.pop();
        if v.is_some_and(|v| v % 64 == 0) {
            freed.fetch_add(s.trim(), Ordering::Relaxed);
        }
        v
    };
    churn_returns_each_once(8, scaled(25_000), &push, &pop);
    // A trim frees nothing only while a section stays open through its whole
    // wait; hundreds of them cannot all have met one.
    assert!(freed.load(Ordering::Relaxed) > 0, "no trim freed a node");
}

/// Counts its drops in a shared counter.
struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn array_stack_drops_each_item_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let s = ArrayStack::<DropCounter, 16>::new();
    for _ in 0..10 {
        assert!(s.push(DropCounter(Arc::clone(&drops))).is_ok());
    }
    for _ in 0..4 {
        drop(s.pop());
    }
    assert_eq!(drops.load(Ordering::Relaxed), 4);
    // A rejected push hands the value back (not dropped by the stack).
    let full = ArrayStack::<DropCounter, 1>::new();
    assert!(full.push(DropCounter(Arc::clone(&drops))).is_ok());
    let back = full.push(DropCounter(Arc::clone(&drops))).unwrap_err();
    assert_eq!(drops.load(Ordering::Relaxed), 4);
    drop(back);
    drop(full);
    assert_eq!(drops.load(Ordering::Relaxed), 6);
    drop(s);
    assert_eq!(drops.load(Ordering::Relaxed), 12);
}

#[test]
fn treiber_stack_drops_each_item_once_after_concurrent_use() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut s = TreiberStack::new();
    let per = scaled(2_000);
    std::thread::scope(|sc| {
        for _ in 0..4 {
            let (s, drops) = (&s, &drops);
            sc.spawn(move || {
                for i in 0..per {
                    s.push(DropCounter(Arc::clone(drops)));
                    if i % 3 == 0 {
                        drop(s.pop());
                    }
                }
            });
        }
    });
    let popped_during = drops.load(Ordering::Relaxed);
    assert!(popped_during <= 4 * per);
    s.shrink();
    assert_eq!(drops.load(Ordering::Relaxed), popped_during);
    drop(s);
    assert_eq!(drops.load(Ordering::Relaxed), 4 * per);
}

/// Draining: `pop_iter` and `into_iter` yield newest first; items an owning
/// iterator leaves are dropped with it, each once.
#[test]
fn miri_iterators_drain_lifo_and_drop_the_rest_once() {
    let array = ArrayStack::<u32, 8>::new();
    let treiber = TreiberStack::new();
    for i in 0..5 {
        array.push(i).unwrap();
        treiber.push(i);
    }
    assert_eq!(array.pop_iter().take(2).collect::<Vec<_>>(), [4, 3]);
    assert_eq!(treiber.pop_iter().take(2).collect::<Vec<_>>(), [4, 3]);
    assert_eq!(array.into_iter().collect::<Vec<_>>(), [2, 1, 0]);
    assert_eq!(treiber.into_iter().collect::<Vec<_>>(), [2, 1, 0]);

    let drops = Arc::new(AtomicUsize::new(0));
    let array = ArrayStack::<DropCounter, 4>::new();
    let treiber = TreiberStack::new();
    for _ in 0..3 {
        assert!(array.push(DropCounter(Arc::clone(&drops))).is_ok());
        treiber.push(DropCounter(Arc::clone(&drops)));
    }
    let (mut a, mut t) = (array.into_iter(), treiber.into_iter());
    drop((a.next(), t.next()));
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    drop((a, t));
    assert_eq!(
        drops.load(Ordering::Relaxed),
        6,
        "the rest dropped with the iterators"
    );
}

/// `pop_iter` under concurrent pushes: every pushed item comes out exactly once,
/// across the draining threads and a final drain.
#[test]
fn pop_iter_concurrent_with_pushes_yields_each_once() {
    let per = scaled(2_000) as u64;
    let stack = TreiberStack::new();
    let drained: Vec<u64> = std::thread::scope(|sc| {
        let stack = &stack;
        for t in 0..2 {
            sc.spawn(move || (0..per).for_each(|i| stack.push(t * per + i)));
        }
        let drainers: Vec<_> = (0..2)
            .map(|_| sc.spawn(move || (0..50).flat_map(|_| stack.pop_iter()).collect::<Vec<_>>()))
            .collect();
        drainers
            .into_iter()
            .flat_map(|d| d.join().unwrap())
            .collect()
    });
    let mut all: Vec<u64> = drained.into_iter().chain(stack.pop_iter()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..2 * per).collect::<Vec<_>>());
}

/// The ABA interleaving, run deterministically on the index stack of
/// `racefree_conformance::untagged_stack`: a pop reads `head = 0, next = 1` and is
/// "preempted" while another owner pops 0 and 1 and pushes 0 back. Returns what
/// everyone holds plus what the stack still holds.
fn aba_schedule<const TAGGED: bool>(s: &IndexStack<3, TAGGED>) -> Vec<usize> {
    let mut held_by_other = Vec::new();
    let sleeper = s.pop_with(|| {
        let a = s.pop().unwrap();
        let b = s.pop().unwrap();
        assert_eq!((a, b), (0, 1));
        s.push(a); // slot 0 is on top again, now above 2
        held_by_other.push(b);
    });
    let mut all: Vec<usize> = sleeper.into_iter().collect();
    all.extend(held_by_other);
    all.extend(s.drain());
    all
}

#[test]
fn aba_corrupts_the_untagged_stack_but_not_the_tagged_one() {
    // Untagged: the sleeper's stale CAS succeeds and installs index 1, which the
    // other owner holds: index 1 now has two owners (the stack hands it out again).
    let broken = UntaggedStack::<3>::full();
    let all = aba_schedule(&broken);
    let err = check_exactly_once(3, &all).expect_err("the untagged stack must corrupt");
    assert!(err.contains("duplicated [1]"), "{err}");

    // Tagged (ArrayStack's head layout): the same schedule makes the stale CAS
    // fail, the sleeper retries on fresh state, and every index is held once.
    let tagged = TaggedStack::<3>::full();
    let all = aba_schedule(&tagged);
    check_exactly_once(3, &all).unwrap();
}

/// The real stacks under the same logical schedule, run sequentially (their pops
/// cannot be paused; the loom models in tests/loom/stacks.rs explore the
/// concurrent interleavings): pop 0 and 1, push 0 back, everything exactly once.
#[test]
fn real_stacks_keep_items_through_the_pop_pop_push_pattern() {
    let a = ArrayStack::<usize, 3>::new();
    let t = TreiberStack::new();
    for i in (0..3).rev() {
        a.push(i).unwrap();
        t.push(i);
    }
    for (pop, push) in [
        (
            &(|| a.pop()) as &dyn Fn() -> Option<usize>,
            &(|v| a.push(v).unwrap()) as &dyn Fn(usize),
        ),
        (&|| t.pop(), &|v| t.push(v)),
    ] {
        let x = pop().unwrap();
        let y = pop().unwrap();
        push(x);
        let mut all = vec![y];
        all.extend(std::iter::from_fn(pop));
        check_exactly_once(3, &all).unwrap();
        assert_eq!(all, [1, 0, 2]);
    }
}
