//! Every byte comes back: a counting global allocator proves that `Drop`,
//! `shrink` and `trim` free what the stacks and the seat pool allocated,
//! including when an item's `Drop` panics. Each test allocates and frees on its
//! own thread only, and the count is per thread, so tests running in parallel do
//! not disturb each other.
#![cfg(all(not(loom), not(miri)))] // miri reports leaks itself

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use racefree::{ArrayStack, SeatPool, TreiberStack};

struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread.
    static NET: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// const-initialised thread local, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        NET.with(|n| n.set(n.get() + layout.size() as isize));
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NET.with(|n| n.set(n.get() - layout.size() as isize));
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the bytes it left allocated on this thread.
fn net_bytes(f: impl FnOnce()) -> isize {
    let before = NET.with(Cell::get);
    f();
    NET.with(Cell::get) - before
}

/// An item that owns heap memory, and panics on drop when told to.
struct Boxed {
    _payload: Box<[u8; 100]>,
    boom: bool,
}

impl Drop for Boxed {
    fn drop(&mut self) {
        if self.boom {
            // `resume_unwind` skips the panic hook, whose message and backtrace
            // would allocate (and cache) memory of their own.
            std::panic::resume_unwind(Box::new(()));
        }
    }
}

fn item(boom: bool) -> Boxed {
    Boxed {
        _payload: Box::new([7; 100]),
        boom,
    }
}

/// A thread's first push or pop takes its announcement slot for
/// `TreiberStack::trim`, which the process keeps (a later thread reuses it): take
/// it before counting.
fn take_this_threads_slot() {
    TreiberStack::<u8>::new().push(0);
}

#[test]
fn treiber_stack_frees_every_node_and_item() {
    take_this_threads_slot();
    let leaked = net_bytes(|| {
        let mut s = TreiberStack::new();
        for _ in 0..100 {
            s.push(item(false));
        }
        for _ in 0..60 {
            drop(s.pop());
        }
        s.shrink(); // frees the 60 recycled nodes now
        for _ in 0..10 {
            s.push(item(false));
        }
        drop(s); // 50 items, their nodes
    });
    assert_eq!(leaked, 0);
}

#[test]
fn treiber_stack_shrink_returns_recycled_nodes() {
    let mut s = TreiberStack::new();
    for i in 0..64u64 {
        s.push(i);
    }
    while s.pop().is_some() {}
    let freed = -net_bytes(|| s.shrink());
    // Each node holds a link and an item, at least.
    let node = std::mem::size_of::<*const u8>() + std::mem::size_of::<u64>();
    assert!(
        freed >= 64 * node as isize,
        "shrink freed only {freed} bytes"
    );
    assert_eq!(net_bytes(|| s.shrink()), 0, "nothing left to free");
}

#[test]
fn treiber_stack_trim_returns_recycled_nodes() {
    take_this_threads_slot();
    let s = TreiberStack::new();
    let leaked = net_bytes(|| {
        for i in 0..64u64 {
            s.push(i);
        }
        while s.pop().is_some() {}
        assert_eq!(s.trim(), 64);
    });
    assert_eq!(leaked, 0, "trim left {leaked} bytes");
}

#[test]
fn treiber_stack_panicking_item_leaks_nothing() {
    take_this_threads_slot();
    let leaked = net_bytes(|| {
        let s = TreiberStack::new();
        for i in 0..8 {
            s.push(item(i == 5));
        }
        assert!(catch_unwind(AssertUnwindSafe(move || drop(s))).is_err());
    });
    assert_eq!(leaked, 0);
}

#[test]
fn array_stack_panicking_item_leaks_nothing() {
    let leaked = net_bytes(|| {
        let s = Box::new(ArrayStack::<Boxed, 8>::new());
        for i in 0..8 {
            assert!(s.push(item(i == 2)).is_ok());
        }
        drop(s.pop());
        assert!(catch_unwind(AssertUnwindSafe(move || drop(s))).is_err());
    });
    assert_eq!(leaked, 0);
}

#[test]
fn seat_pool_frees_its_bitmap() {
    let leaked = net_bytes(|| {
        let pool = SeatPool::new(10_000);
        let group = pool.try_reserve_many(100).unwrap();
        let ticket = pool.try_reserve().unwrap().confirm();
        drop(group);
        pool.cancel(ticket).unwrap();
    });
    assert_eq!(leaked, 0);
}
