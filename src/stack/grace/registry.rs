//! Every thread's announcement slot, in one process-wide list.
//!
//! A thread takes a slot on its first read section and gives it back when it
//! exits (a thread-local destructor); a later thread takes the slot again, so the
//! list grows only to the largest number of threads alive at once. Slots are
//! never freed: a trimmer may be walking the list at any time.
//!
//! The fast path is one thread-local `Cell` read ([`held`]). A read section that
//! starts after this thread's destructors began (a `TreiberStack` used from
//! another thread-local's `Drop`) borrows a slot for the one section instead.

use core::cell::Cell;
use core::ptr;

use alloc::boxed::Box;

use crate::sync::{static_atomic, thread_locals, AtomicPtr, AtomicUsize, CachePadded, Ordering};

/// One thread's announcement: `seq` is odd while the thread is inside a read
/// section. Padded to its own cache line: each is written by one thread on its hot
/// path.
pub(super) struct Slot {
    /// Read sections entered, doubled, plus one while inside one; written only by
    /// the slot's holder (and RMW'd with `+ 0` by trimmers, which writes nothing new).
    pub(super) seq: AtomicUsize,
    /// `1` while a thread holds the slot.
    held: AtomicUsize,
    /// The slot pushed before this one (null: the end of the list); written once,
    /// before the push publishes the slot.
    next: AtomicPtr<CachePadded<Slot>>,
}

/// Owns this thread's slot; its destructor gives the slot back.
struct Owner(&'static Slot);

impl Drop for Owner {
    fn drop(&mut self) {
        // Loom drops a panicking model's thread-locals after the model is gone,
        // where no loom atomic may be touched: the slot is leaked instead.
        #[cfg(loom)]
        if std::thread::panicking() {
            return;
        }
        // Later read sections on this thread borrow a slot (see `take`). The
        // cell has no destructor, so it is still there (loom: may be gone).
        let _ = CURRENT.try_with(|c| c.set(None));
        release(self.0);
    }
}

thread_locals! {
    /// This thread's slot once `OWNER` holds one; no destructor, so readable
    /// while the thread's other destructors run.
    static CURRENT: Cell<Option<&'static Slot>> = const { Cell::new(None) };
    static OWNER: Owner = Owner(acquire());
}

static_atomic! {
    /// The list's head: the most recently pushed slot.
    static HEAD: AtomicPtr<CachePadded<Slot>> = AtomicPtr::new(ptr::null_mut());
}

/// The slot this thread holds, once it has taken one (see [`take`]).
#[inline]
pub(super) fn held() -> Option<&'static Slot> {
    CURRENT.try_with(Cell::get).ok().flatten()
}

/// What [`take`] gave this thread.
pub(super) enum Taken {
    /// The slot this thread now holds until it exits.
    Held(&'static Slot),
    /// This thread's destructors are running (its own slot may be given back
    /// already): a slot for one read section, to [`release`] after it.
    Borrowed(&'static Slot),
}

/// Takes this thread's slot on its first read section.
#[cold]
pub(super) fn take() -> Taken {
    match OWNER.try_with(|owner| owner.0) {
        Ok(slot) => {
            let _ = CURRENT.try_with(|c| c.set(Some(slot)));
            Taken::Held(slot)
        }
        Err(_) => Taken::Borrowed(acquire()),
    }
}

/// Takes a free slot, or pushes a new one.
fn acquire() -> &'static Slot {
    let mut at = HEAD.load(Ordering::Acquire);
    while !at.is_null() {
        // SAFETY: slots are leaked boxes, never freed; `at` was published by the
        // Release CAS in the push below, which the Acquire load paired with.
        let slot: &'static Slot = unsafe { &*at };
        // Acquire: pairs with the Release store in `release`: the previous holder's
        // last `seq` is visible, and this thread continues from it.
        if slot
            .held
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return slot;
        }
        // Acquire: as for the head above.
        at = slot.next.load(Ordering::Acquire);
    }
    let slot: &'static mut CachePadded<Slot> = Box::leak(Box::new(CachePadded::new(Slot {
        seq: AtomicUsize::new(0),
        held: AtomicUsize::new(1),
        next: AtomicPtr::new(ptr::null_mut()),
    })));
    let new: *mut CachePadded<Slot> = slot;
    // Relaxed: the CAS below re-checks it.
    let mut head = HEAD.load(Ordering::Relaxed);
    loop {
        // Relaxed: published by the Release CAS below.
        slot.next.store(head, Ordering::Relaxed);
        // Release: pairs with the Acquire loads that walk the list (here and in
        // `all`), publishing the slot's fields.
        match HEAD.compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return slot,
            Err(actual) => head = actual,
        }
    }
}

/// Gives `slot` back; its `seq` is even (no read section is open).
pub(super) fn release(slot: &'static Slot) {
    // Release: pairs with the Acquire CAS in `acquire` (the next holder).
    slot.held.store(0, Ordering::Release);
}

/// Whether `f` holds for every slot ever pushed, held or not; stops at the first
/// that fails.
pub(super) fn all(mut f: impl FnMut(&Slot) -> bool) -> bool {
    // Acquire: pairs with the Release CAS in `acquire`.
    let mut at = HEAD.load(Ordering::Acquire);
    while !at.is_null() {
        // SAFETY: as in `acquire`: leaked, never freed, published by Release.
        let slot: &Slot = unsafe { &*at };
        if !f(slot) {
            return false;
        }
        // Acquire: as above.
        at = slot.next.load(Ordering::Acquire);
    }
    true
}
