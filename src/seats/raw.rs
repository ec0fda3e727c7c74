//! The one implementation behind every storage: a header (admission count,
//! capacity, scan hint, identity) and a view of the bitmap words.

use core::num::NonZeroUsize;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::bits::{self, locate, valid_mask, BITS};
use super::error::SeatError;
use super::hint::Hint;
use super::identity::Identity;
#[cfg(feature = "wait")]
use super::wait::Waiters;
use super::{admission, Ticket};
use crate::sync::{spin_hint, AtomicUsize, Ordering};

/// One bitmap word: `usize::BITS` seats, 1 = taken.
///
/// Padded apart in `SeatPool`, packed in `ArraySeatPool` (see "Layout" in the
/// module docs).
pub(crate) type Word = AtomicUsize;

crate::const_fn! {
    /// A word with every seat free.
    pub(crate) const fn free_word() -> Word {
        AtomicUsize::new(0)
    }
}

/// Everything a pool has besides its words. A storage keeps it next to (or, in
/// a mapping, in front of) the words; `repr(C)` so that its layout is fixed.
#[derive(Debug)]
#[repr(C)]
pub struct Header {
    /// Seats not yet promised to any claimer (see `admission`).
    admission: AtomicUsize,
    capacity: usize,
    hint: Hint,
    identity: Identity,
}

impl Header {
    crate::const_fn! {
        /// A header for `capacity` free seats (`capacity` already checked ≥ 1).
        pub(crate) const fn new(capacity: usize) -> Self {
            Self {
                admission: AtomicUsize::new(capacity),
                capacity,
                hint: Hint::new(),
                identity: Identity::new(),
            }
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }
}

/// A borrowed view of a pool: what its storage hands out, and what `Seat` and
/// `SeatGroup` hold. Every storage hands out the same view, so the operations and
/// the guards are written once for all of them.
///
/// `pub` only so that the sealed storage trait can name it; not reachable from
/// outside the crate.
#[derive(Debug, Clone, Copy)]
pub struct Core<'a> {
    header: &'a Header,
    /// The bitmap, exactly `words_for(capacity) * stride` words; logical word
    /// `w` is `words[w * stride]`.
    words: &'a [Word],
    /// 1 for a packed bitmap; more to keep each logical word on a cache line of
    /// its own (the words in between are never touched).
    stride: usize,
    /// The pool's wait queue, which a release wakes when the admission word's
    /// waiting flag is set. `SeatPoolIn` attaches it to every view it hands out.
    #[cfg(feature = "wait")]
    waiters: Option<&'a Waiters>,
}

impl<'a> Core<'a> {
    /// `words` is the bitmap, logical word `w` at `words[w * stride]`, exactly
    /// `words_for(capacity) * stride` words, all zero when the pool is new.
    #[inline]
    pub(crate) fn new(header: &'a Header, words: &'a [Word], stride: usize) -> Self {
        debug_assert!(stride >= 1);
        // The admission word's top bit is the waiting flag, so a capacity must
        // stay below it: a bitmap for more seats (2^57 words on 64-bit
        // targets) cannot exist, and `words` is that bitmap.
        debug_assert!(header.capacity <= admission::COUNT);
        debug_assert_eq!(words.len(), bits::words_for(header.capacity) * stride);
        Self {
            header,
            words,
            stride,
            #[cfg(feature = "wait")]
            waiters: None,
        }
    }

    /// This view, with releases waking `waiters`.
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn with_waiters(self, waiters: &'a Waiters) -> Self {
        Self {
            waiters: Some(waiters),
            ..self
        }
    }

    #[inline]
    pub(crate) fn capacity(self) -> usize {
        self.header.capacity
    }

    /// Seats not promised to any claimer (see `SeatPoolIn::available`).
    #[inline]
    pub(crate) fn available(self) -> usize {
        admission::count(&self.header.admission)
    }

    /// Takes `n` units of admission, or reports that fewer are unpromised.
    #[inline]
    pub(crate) fn admit(self, n: usize) -> bool {
        admission::take(&self.header.admission, n)
    }

    /// As `admit`, but refuses while callers are queued waiting (the fast path
    /// of a waiting call: the same one load and one CAS).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn admit_unless_waiting(self, n: usize) -> bool {
        admission::take_unless_waiting(&self.header.admission, n)
    }

    /// Marks the pool as having queued waiters (under the queue's lock).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn set_waiting(self) {
        admission::set_waiting(&self.header.admission);
    }

    /// Marks the pool as having no queued waiters (under the queue's lock).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn clear_waiting(self) {
        admission::clear_waiting(&self.header.admission);
    }

    /// Whether the admission word's waiting flag is set (for the tests).
    #[cfg(all(test, feature = "wait"))]
    pub(crate) fn waiting_flag(self) -> bool {
        // Relaxed: a test's snapshot, taken when no other thread runs.
        self.header.admission.load(Ordering::Relaxed) & admission::WAITING != 0
    }

    /// Gives `n` units back (after their bits were cleared) and, if the
    /// admission word said someone waits, wakes the head of the wait queue.
    #[inline]
    fn give_back(self, n: usize) {
        let waiting = admission::give_back(&self.header.admission, n, self.header.capacity);
        #[cfg(feature = "wait")]
        if waiting {
            if let Some(waiters) = self.waiters {
                waiters.wake_head();
            }
        }
        #[cfg(not(feature = "wait"))]
        let _ = waiting;
    }

    /// How many logical bitmap words there are.
    #[inline]
    fn word_count(self) -> usize {
        self.words.len() / self.stride
    }

    /// Logical bitmap word `w`.
    #[inline]
    fn word(self, w: usize) -> &'a Word {
        &self.words[w * self.stride]
    }

    /// The next word after `w`, wrapping.
    #[inline]
    fn next_word(self, w: usize) -> usize {
        if w + 1 == self.word_count() {
            0
        } else {
            w + 1
        }
    }

    /// Any free seat's id, or `None` when every seat is promised.
    pub(crate) fn try_reserve(self) -> Option<usize> {
        if !self.admit(1) {
            return None;
        }
        Some(self.claim_admitted_one())
    }

    /// `try_reserve` for a waiting call's fast path: refuses while callers are
    /// queued. The same shape as `try_reserve`, so it compiles to the same code.
    #[cfg(feature = "wait")]
    pub(crate) fn try_reserve_unless_waiting(self) -> Option<usize> {
        if !self.admit_unless_waiting(1) {
            return None;
        }
        Some(self.claim_admitted_one())
    }

    /// Any free seat's id, for a caller that already holds one admission unit.
    #[inline]
    pub(crate) fn claim_admitted_one(self) -> usize {
        let mut id = 0;
        self.claim(1, |w, won| id = w * BITS + won.trailing_zeros() as usize);
        id
    }

    /// Seat `id`, if it is in range and free.
    pub(crate) fn try_reserve_seat(self, id: usize) -> Result<usize, SeatError> {
        let capacity = self.header.capacity;
        if id >= capacity {
            return Err(SeatError::OutOfRange { id, capacity });
        }
        let (w, bit) = locate(id);
        let word = self.word(w);
        // Relaxed: an early exit only; the fetch_or below decides.
        if word.load(Ordering::Relaxed) & bit != 0 {
            return Err(SeatError::Taken);
        }
        if !self.admit(1) {
            // Every seat is already promised to someone.
            return Err(SeatError::Taken);
        }
        // Acquire: pairs with the Release fetch_and in `clear`, as in `claim`.
        let old = word.fetch_or(bit, Ordering::Acquire);
        if old & bit != 0 {
            // Lost the race for this exact seat: hand the unit back. This is the
            // one transient: until here `available()` read one less.
            self.give_back(1);
            return Err(SeatError::Taken);
        }
        Ok(id)
    }

    /// `k` seats at once, all or nothing, as `(word, mask)` parts: `None` when
    /// `k > capacity` or fewer than `k` seats are unpromised; for `k == 0` no
    /// parts, touching nothing.
    #[cfg(feature = "alloc")]
    pub(crate) fn try_reserve_many(self, k: usize) -> Option<Vec<(usize, usize)>> {
        if k == 0 {
            return Some(Vec::new());
        }
        if k > self.header.capacity || !self.admit(k) {
            return None;
        }
        Some(self.claim_admitted_many(k))
    }

    /// `k` (≥ 1) seats as `(word, mask)` parts, for a caller that already holds
    /// `k` admission units.
    #[cfg(feature = "alloc")]
    pub(crate) fn claim_admitted_many(self, k: usize) -> Vec<(usize, usize)> {
        // The all-or-nothing decision is made: k units are ours, so k clear bits
        // exist for us.
        let mut parts: Vec<(usize, usize)> = Vec::new();
        self.claim(k, |w, won| match parts.last_mut() {
            Some((lw, lm)) if *lw == w => *lm |= won,
            _ => parts.push((w, won)),
        });
        parts
    }

    /// The one word scan, for one seat and for a group: sets `need` (≥ 1) clear
    /// bits for a caller that already holds `need` admission units, handing each
    /// word's newly won bits to `keep(word, won)`.
    ///
    /// Admission guarantees that `need` clear bits exist at every instant until
    /// we have set them (set bits ≤ capacity − admission, and our units have no
    /// bits yet), so the scan always ends. It keeps exactly the bits each
    /// `fetch_or(mask)` turned from 0 to 1, never the whole mask (bits in it may
    /// have been taken by others since we looked), and never rolls a bit back.
    fn claim(self, mut need: usize, mut keep: impl FnMut(usize, usize)) {
        debug_assert!(need > 0);
        let start = self.header.hint.start(self.word_count());
        let mut w = start;
        let mut lost_a_race = false;
        loop {
            let word = self.word(w);
            let valid = valid_mask(w, self.header.capacity);
            // Relaxed: only picks candidate bits; the fetch_or decides.
            let mut seen = word.load(Ordering::Relaxed);
            loop {
                let free = !seen & valid;
                if free == 0 {
                    break;
                }
                let mask = bits::lowest_bits(free, need);
                // Acquire: pairs with the Release fetch_and in `clear`, so the
                // previous holder's writes to whatever these seats guard are
                // visible to the new holder.
                let old = word.fetch_or(mask, Ordering::Acquire);
                let won = mask & !old;
                if won != mask {
                    lost_a_race = true;
                }
                if won != 0 {
                    keep(w, won);
                    need -= won.count_ones() as usize;
                    if need == 0 {
                        // Losing a bit means another claimer works in this word:
                        // start the next scan one word on, so claimers spread over
                        // the words with free seats instead of all piling into the
                        // first one (the nearly-full case, where free seats
                        // cluster).
                        let next = if lost_a_race { self.next_word(w) } else { w };
                        self.header.hint.found(start, next);
                        return;
                    }
                }
                seen = old | mask;
            }
            w = self.next_word(w);
            if w == start {
                // Every word looked full: bits moved under the scan (a release
                // behind it, a claim ahead of it). Clear bits exist; go again.
                spin_hint();
            }
        }
    }

    /// Frees the seats of `mask` in word `w` (all held by the caller), then gives
    /// their units back.
    pub(crate) fn release(self, w: usize, mask: usize) {
        self.clear(w, mask);
        self.give_back(mask.count_ones() as usize);
    }

    /// Frees held seats without giving their units back (see `release_parts`).
    #[inline]
    fn clear(self, w: usize, mask: usize) {
        // Release: pairs with the Acquire fetch_or of the next claimer of these
        // seats, publishing this holder's writes to what they guard.
        let old = self.word(w).fetch_and(!mask, Ordering::Release);
        debug_assert_eq!(
            old & mask,
            mask,
            "racefree: released a seat that was not taken"
        );
    }

    /// Frees a group: every bit first, then all its units in one step.
    #[cfg(feature = "alloc")]
    pub(crate) fn release_parts(self, parts: &[(usize, usize)], len: usize) {
        for &(w, mask) in parts {
            self.clear(w, mask);
        }
        self.give_back(len);
    }

    /// Frees seat `id` (held by the caller).
    #[inline]
    pub(crate) fn release_id(self, id: usize) {
        let (w, bit) = locate(id);
        self.release(w, bit);
    }

    /// This pool's identity (drawn on first use by `caller`, a public method
    /// such as `"Seat::confirm"`).
    #[inline]
    pub(crate) fn identity(self, caller: &str) -> NonZeroUsize {
        self.header.identity.get(caller)
    }

    /// Releases a ticket's seat if the ticket is this pool's.
    pub(crate) fn cancel(self, ticket: Ticket) -> Result<(), Ticket> {
        if self.header.identity.is(ticket.pool) && ticket.seat < self.header.capacity {
            self.release_id(ticket.seat);
            Ok(())
        } else {
            Err(ticket)
        }
    }
}
