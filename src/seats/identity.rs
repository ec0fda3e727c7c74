//! Pool identities: the value a [`Ticket`](crate::Ticket) carries to say which
//! pool it came from.
//!
//! An identity is a number drawn once per pool from a global counter, lazily, the
//! first time the pool issues a ticket (so `const fn new` needs no global state).
//! It lives inside the pool, so it moves with it (an `ArraySeatPool` may be moved
//! while tickets are out), and it is never reused, so a ticket from a dropped pool
//! can never be mistaken for one of a new pool that happens to sit at the same
//! address. Identities never wrap: exhausting them panics (only reachable on
//! 32-bit targets, after about four billion pools each issued a ticket).

use core::num::NonZeroUsize;

use crate::sync::{cas_update, AtomicUsize, Ordering};

crate::sync::static_atomic! {
    /// The next identity to hand out; identities start at 1.
    static NEXT_IDENTITY: AtomicUsize = AtomicUsize::new(1);
}

/// Draws a fresh, never-before-used identity for a ticket issued by `caller`
/// (the public method, for the panic message).
fn fresh(caller: &str) -> NonZeroUsize {
    // Relaxed (load, success, failure): the counter only has to hand out distinct
    // numbers, which the RMW's modification order guarantees; no data is
    // published through it.
    // A plain static natively, a lazy static under loom (`static_atomic!`).
    let next: &AtomicUsize = &NEXT_IDENTITY;
    match cas_update(
        next,
        Ordering::Relaxed,
        Ordering::Relaxed,
        Ordering::Relaxed,
        |current| current.checked_add(1),
    ) {
        Ok(fresh) => NonZeroUsize::new(fresh).expect("identities start at 1 and never wrap"),
        Err(_) => panic!(
            "racefree::{caller}: seat pool identities exhausted \
             (usize::MAX - 1 pools have issued tickets)"
        ),
    }
}

/// A pool's identity, 0 until its first ticket.
#[derive(Debug)]
pub(crate) struct Identity(AtomicUsize);

impl Identity {
    crate::const_fn! {
        pub(crate) const fn new() -> Self {
            Self(AtomicUsize::new(0))
        }
    }

    crate::const_fn! {
        /// An identity fixed in advance (a shared-memory pool's, the same in
        /// every process that maps it).
        #[cfg(all(feature = "shm", not(loom)))]
        pub(crate) const fn fixed(id: NonZeroUsize) -> Self {
            Self(AtomicUsize::new(id.get()))
        }
    }

    /// The pool's identity, drawing it on first use for `caller` (the public
    /// method that issues a ticket, named in the panic if none is left).
    pub(crate) fn get(&self, caller: &str) -> NonZeroUsize {
        // Acquire: pairs with the AcqRel CAS below that published the identity.
        if let Some(id) = NonZeroUsize::new(self.0.load(Ordering::Acquire)) {
            return id;
        }
        let fresh = fresh(caller);
        // AcqRel on success: publishes the identity (pairs with the Acquire load
        // above). Acquire on failure: pairs with the winner's CAS, whose identity
        // we adopt (the fresh number is simply never used).
        match self
            .0
            .compare_exchange(0, fresh.get(), Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => fresh,
            Err(winner) => NonZeroUsize::new(winner).expect("a set identity is never 0"),
        }
    }

    /// Whether `id` is this pool's identity (false while none has been drawn).
    pub(crate) fn is(&self, id: NonZeroUsize) -> bool {
        // Acquire: pairs with the AcqRel CAS in `get` that published the identity.
        self.0.load(Ordering::Acquire) == id.get()
    }
}
