//! The one implementation behind every storage: the admission count, a header
//! (capacity, scan hint, identity) and a view of the bitmap words.

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

/// How many packed words the full-word summary of a pool of `capacity` seats
/// takes: one bit per bitmap word (about 0.1% of a padded heap bitmap), or none
/// for a pool of at most [`SUMMARY_MIN_WORDS`] words.
#[cfg(feature = "alloc")]
#[inline]
pub(crate) const fn summary_words(capacity: usize) -> usize {
    let words = bits::words_for(capacity);
    if words > SUMMARY_MIN_WORDS {
        bits::words_for(words)
    } else {
        0
    }
}

/// The largest bitmap scanned without a summary: a lap over this many words
/// costs less than keeping the summary up to date when a small pool is nearly
/// full (measured with `cargo bench --bench seat_scale`). Under loom a pool of
/// one word keeps none and a larger one keeps one, so that the models check
/// both kinds of claim and release: the one-word models without a summary, the
/// two-word group model with it.
#[cfg(feature = "alloc")]
pub(crate) const SUMMARY_MIN_WORDS: usize = if cfg!(loom) { 1 } else { 32 };

/// Everything a pool has besides its admission count and its words: what is
/// only read once the pool exists (the identity is written once). A storage
/// keeps it next to (or, in a mapping, in front of) the words; `repr(C)` so
/// that its layout is fixed.
///
/// The admission count is not in here: every claim and release writes it, and
/// a storage keeps it on the cache line of bitmap word 0 (see "Layout" in the
/// module docs), so that a small pool's operations touch one line, not two.
#[derive(Debug)]
#[repr(C)]
pub struct Header {
    capacity: usize,
    hint: Hint,
    identity: Identity,
}

crate::const_fn! {
    /// A new pool's admission count: all `capacity` seats unpromised.
    pub(crate) const fn free_admission(capacity: usize) -> AtomicUsize {
        AtomicUsize::new(capacity)
    }
}

impl Header {
    crate::const_fn! {
        /// A header for `capacity` seats (`capacity` already checked ≥ 1).
        pub(crate) const fn new(capacity: usize) -> Self {
            Self {
                capacity,
                hint: Hint::new(),
                identity: Identity::new(),
            }
        }
    }

    crate::const_fn! {
        /// A header for `capacity` seats whose identity is fixed in advance
        /// (a shared-memory pool: every process that maps it must agree on it).
        #[cfg(all(feature = "shm", not(loom)))]
        pub(crate) const fn with_identity(capacity: usize, identity: NonZeroUsize) -> Self {
            Self {
                capacity,
                hint: Hint::new(),
                identity: Identity::fixed(identity),
            }
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }
}

/// What a storage may add around the core's steps (the shared-memory storage
/// records who holds each seat, so that a dead holder's seats can be recovered).
/// Every claim and every release runs between `enter` and `leave`; `claimed`
/// runs right after a seat's bit is won, `releasing` right before it is cleared,
/// `confirmed` when a held seat becomes a ticket. Storages without hooks pay one
/// `None` check per operation.
pub(crate) trait Hooks: Sync {
    /// A claim or release begins.
    fn enter(&self);
    /// It ended.
    fn leave(&self);
    /// The caller just won seat `id`'s bit.
    fn claimed(&self, id: usize);
    /// The caller is about to clear seat `id`'s bit.
    fn releasing(&self, id: usize);
    /// The held seat `id` was confirmed into a ticket: returns the booking's
    /// number, which the ticket carries and `cancelling` checks.
    fn confirmed(&self, id: usize) -> u64;
    /// A claim found no seat: may free the seats of dead holders. Returns whether
    /// anything was freed (then the claim is tried once more).
    fn recover_when_full(&self) -> bool;
    /// A ticket for seat `id`, booking number `booking`, is being cancelled
    /// (inside a window): claims the release in one atomic step, or says no if
    /// the seat is no longer booked under that number (a storage whose bookings
    /// can also be cancelled elsewhere), and the ticket comes back in `Err`.
    fn cancelling(&self, id: usize, booking: u64) -> bool;
}

/// A borrowed view of a pool: what its storage hands out, and what `Seat` and
/// `SeatGroup` hold. Every storage hands out the same view, so the operations and
/// the guards are written once for all of them.
///
/// `pub` only so that the sealed storage trait can name it; not reachable from
/// outside the crate.
#[derive(Debug, Clone, Copy)]
pub struct Core<'a> {
    /// Seats not yet promised to any claimer (see `admission`).
    admission: &'a AtomicUsize,
    header: &'a Header,
    /// The bitmap, exactly `words_for(capacity) * stride` words; logical word
    /// `w` is `words[w * stride]`.
    words: &'a [Word],
    /// 1 for a packed bitmap; more to keep each logical word on a cache line of
    /// its own (the words in between are never touched).
    stride: usize,
    /// The full-word summary: bit `w % BITS` of `summary[w / BITS]` set means
    /// logical word `w` was seen full (see "The full-word summary" on
    /// [`Core::claim`]); empty when the storage keeps none.
    summary: &'a [Word],
    /// The storage's hooks, if it has any (only the shared-memory storage has
    /// any: without the `shm` feature the field and every check of it are gone).
    #[cfg(feature = "shm")]
    hooks: Option<&'a dyn Hooks>,
    /// The pool's wait queue, which a release wakes when the admission word's
    /// waiting flag is set. `SeatPoolIn` attaches it to every view it hands out.
    #[cfg(feature = "wait")]
    waiters: Option<&'a Waiters>,
}

impl core::fmt::Debug for dyn Hooks + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Hooks")
    }
}

impl<'a> Core<'a> {
    /// `admission` is the pool's admission count (`free_admission(capacity)`
    /// when the pool is new); `words` is the bitmap, logical word `w` at
    /// `words[w * stride]`, exactly `words_for(capacity) * stride` words, all
    /// zero when the pool is new.
    #[inline]
    pub(crate) fn new(
        admission: &'a AtomicUsize,
        header: &'a Header,
        words: &'a [Word],
        stride: usize,
    ) -> Self {
        debug_assert!(stride >= 1);
        // The admission word's top bit is the waiting flag, so a capacity must
        // stay below it: a bitmap for more seats (2^57 words on 64-bit
        // targets) cannot exist, and `words` is that bitmap.
        debug_assert!(header.capacity <= admission::COUNT);
        debug_assert_eq!(words.len(), bits::words_for(header.capacity) * stride);
        Self {
            admission,
            header,
            words,
            stride,
            summary: &[],
            #[cfg(feature = "shm")]
            hooks: None,
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

    /// This view with a full-word summary: `summary_words(capacity)` packed words,
    /// all zero when the pool is new. (Only the heap storage keeps one.)
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn with_summary(self, summary: &'a [Word]) -> Self {
        debug_assert_eq!(summary.len(), summary_words(self.header.capacity));
        Self { summary, ..self }
    }

    /// The same view with `hooks` around every claim and release.
    #[cfg(all(feature = "shm", any(not(loom), test)))]
    #[inline]
    pub(crate) fn with_hooks(self, hooks: &'a dyn Hooks) -> Self {
        Self {
            hooks: Some(hooks),
            ..self
        }
    }

    /// The same view without hooks: for a storage that runs its own steps inside
    /// a window it opened itself (recovery, cancelling a shared ticket).
    #[cfg(all(feature = "shm", not(loom)))]
    #[inline]
    pub(crate) fn without_hooks(self) -> Self {
        Self {
            hooks: None,
            ..self
        }
    }

    /// The storage's hooks: `None`, known at compile time, without `shm`.
    #[inline(always)]
    fn hooks(self) -> Option<&'a dyn Hooks> {
        #[cfg(feature = "shm")]
        return self.hooks;
        #[cfg(not(feature = "shm"))]
        return None;
    }

    /// Runs `f` between the hooks' `enter` and `leave`.
    #[inline]
    fn window<R>(self, f: impl FnOnce() -> R) -> R {
        match self.hooks() {
            None => f(),
            Some(h) => {
                h.enter();
                let r = f();
                h.leave();
                r
            }
        }
    }

    /// Runs a claim, and once more if it failed and the hooks freed something.
    #[inline]
    fn claim_with_retry<R>(self, ok: impl Fn(&R) -> bool, f: impl Fn() -> R) -> R {
        let r = self.window(&f);
        if ok(&r) {
            return r;
        }
        match self.hooks() {
            Some(h) if h.recover_when_full() => self.window(f),
            _ => r,
        }
    }

    #[inline]
    fn hook_claimed(self, id: usize) {
        if let Some(h) = self.hooks() {
            h.claimed(id);
        }
    }

    #[inline]
    fn hook_releasing(self, w: usize, mask: usize) {
        if let Some(h) = self.hooks() {
            for id in bits::ids_of(w, mask) {
                h.releasing(id);
            }
        }
    }

    /// Held seat `id` becomes a ticket of pool `pool` (this pool's identity).
    #[inline]
    pub(crate) fn confirm(self, id: usize, pool: NonZeroUsize) -> Ticket {
        let booking = self.hooks().map_or(0, |h| h.confirmed(id));
        Ticket::new(id, pool, booking)
    }

    /// Whether seat `id`'s bit is set (for a storage's recovery pass).
    #[cfg(feature = "shm")]
    #[inline]
    pub(crate) fn is_taken(self, id: usize) -> bool {
        let (w, bit) = locate(id);
        // Acquire: pairs with the Release fetch_and in `clear`, so a seat read as
        // free comes with its last holder's release. A snapshot: recovery reads
        // it between its own fences and re-checks that nothing moved.
        self.word(w).load(Ordering::Acquire) & bit != 0
    }

    /// Gives back `n` admission units that no bit stands for (a storage's
    /// recovery of units a dead claimer took).
    #[cfg(feature = "shm")]
    #[inline]
    pub(crate) fn restore_units(self, n: usize) {
        self.give_back(n);
    }

    #[inline]
    pub(crate) fn capacity(self) -> usize {
        self.header.capacity
    }

    /// Seats not promised to any claimer (see `SeatPoolIn::available`).
    #[inline]
    pub(crate) fn available(self) -> usize {
        admission::count(self.admission)
    }

    /// Takes `n` units of admission, or reports that fewer are unpromised.
    #[inline]
    pub(crate) fn admit(self, n: usize) -> bool {
        admission::take(self.admission, n)
    }

    /// As `admit`, but refuses while callers are queued waiting (the fast path
    /// of a waiting call: the same one load and one CAS).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn admit_unless_waiting(self, n: usize) -> bool {
        admission::take_unless_waiting(self.admission, n)
    }

    /// Marks the pool as having queued waiters (under the queue's lock).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn set_waiting(self) {
        admission::set_waiting(self.admission);
    }

    /// Marks the pool as having no queued waiters (under the queue's lock).
    #[cfg(feature = "wait")]
    #[inline]
    pub(crate) fn clear_waiting(self) {
        admission::clear_waiting(self.admission);
    }

    /// Whether the admission word's waiting flag is set (for the tests).
    #[cfg(all(any(test, loom), feature = "wait"))]
    pub(crate) fn waiting_flag(self) -> bool {
        // Relaxed: a test's snapshot, taken when no other thread runs.
        self.admission.load(Ordering::Relaxed) & admission::WAITING != 0
    }

    /// The addresses of the admission count and of bitmap word 0 (for the
    /// layout test).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn admission_and_word_0(self) -> (usize, usize) {
        (
            core::ptr::from_ref(self.admission).addr(),
            core::ptr::from_ref(self.word(0)).addr(),
        )
    }

    /// Gives `n` units back (after their bits were cleared) and, if the
    /// admission word said someone waits, wakes the head of the wait queue.
    #[inline]
    fn give_back(self, n: usize) {
        let waiting = admission::give_back(self.admission, n, self.header.capacity);
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
        // From the capacity (a shift), not `words.len() / stride` (a division).
        bits::words_for(self.header.capacity)
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
    #[inline(always)]
    pub(crate) fn try_reserve(self) -> Option<usize> {
        self.claim_with_retry(Option::is_some, || self.try_reserve_once())
    }

    fn try_reserve_once(self) -> Option<usize> {
        if !self.admit(1) {
            return None;
        }
        Some(self.claim_admitted_one())
    }

    /// `try_reserve` for a waiting call's fast path: refuses while callers are
    /// queued. The same shape as `try_reserve`, so it compiles to the same code.
    #[cfg(feature = "wait")]
    #[inline(always)]
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
        self.hook_claimed(id);
        id
    }

    /// Seat `id`, if it is in range and free.
    pub(crate) fn try_reserve_seat(self, id: usize) -> Result<usize, SeatError> {
        self.claim_with_retry(
            |r| !matches!(r, Err(SeatError::Taken)),
            || self.try_reserve_seat_once(id),
        )
    }

    fn try_reserve_seat_once(self, id: usize) -> Result<usize, SeatError> {
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
        self.hook_claimed(id);
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
        self.claim_with_retry(Option::is_some, || self.try_reserve_many_once(k))
    }

    #[cfg(feature = "alloc")]
    fn try_reserve_many_once(self, k: usize) -> Option<Vec<(usize, usize)>> {
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
        self.claim(k, |w, won| {
            for id in bits::ids_of(w, won) {
                self.hook_claimed(id);
            }
            match parts.last_mut() {
                Some((lw, lm)) if *lw == w => *lm |= won,
                _ => parts.push((w, won)),
            }
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
    ///
    /// # The full-word summary
    ///
    /// With a summary, a scan that leaves a word jumps straight to the next word
    /// not marked full, so the last free seat of a million is found after reading
    /// a few hundred summary words instead of 15,625 bitmap words. A claim that
    /// fills a word marks it full and then looks at the word again, unmarking it
    /// if a release got in between; a release that frees a seat in a full word
    /// unmarks it before giving its units back. The summary is a hint and nothing
    /// more: a mark can be stale for a moment (a claimer preempted between its
    /// mark and its second look), so a scan that has followed the summary once
    /// round without finding its bits does one lap over every word, which finds
    /// them whatever the marks say. Correctness never reads the summary; a stale
    /// mark costs a detour, never a seat.
    #[inline(always)]
    fn claim(self, mut need: usize, mut keep: impl FnMut(usize, usize)) {
        debug_assert!(need > 0);
        let words = self.word_count();
        let start = self.header.hint.start(words);
        let mut w = start;
        let mut lost_a_race = false;
        // Words moved past in this lap, and whether the lap follows the summary.
        let mut travelled = 0;
        let mut guided = !self.summary.is_empty();
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
                if !self.summary.is_empty() && (old | mask) & valid == valid {
                    self.mark_full(w, valid);
                }
                if won != 0 {
                    keep(w, won);
                    // A one-seat mask is one bit, so a nonzero `won` is that bit:
                    // no count (x86_64's baseline has no `popcnt`).
                    need -= if need == 1 { 1 } else { bits::ones(won) };
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
            let next = self.next_word(w);
            let (to, step) = match guided.then(|| self.next_open_word(next)).flatten() {
                Some(open) => (open, 1 + (open + words - next) % words),
                // Unguided, or every word marked full: the next word.
                None => (next, 1),
            };
            travelled += step;
            w = to;
            if travelled >= words {
                // A whole lap without our bits: bits moved under the scan (a
                // release behind it, a claim ahead of it), or a mark is stale.
                // Clear bits exist; go again, the next lap over every word.
                travelled = 0;
                guided = false;
                spin_hint();
            }
        }
    }

    /// After a claim found word `w` full: marks it in the summary, then looks at
    /// it again and unmarks it if a release freed a seat in between.
    #[inline]
    fn mark_full(self, w: usize, valid: usize) {
        let Some(entry) = self.summary.get(w / BITS) else {
            return;
        };
        let bit = 1 << (w % BITS);
        // Acquire: pairs with the Release `fetch_and` in `mark_open`: if this mark
        // comes after a release's unmark, the second look below sees the seat that
        // release freed.
        entry.fetch_or(bit, Ordering::Acquire);
        // Relaxed: ordered after the release's fetch_and by the Acquire above.
        if self.word(w).load(Ordering::Relaxed) & valid != valid {
            self.mark_open(w);
        }
    }

    /// Unmarks word `w` in the summary (it has a free seat, or may have).
    #[inline]
    fn mark_open(self, w: usize) {
        if let Some(entry) = self.summary.get(w / BITS) {
            // Release: pairs with the Acquire `fetch_or` in `mark_full` (above).
            entry.fetch_and(!(1 << (w % BITS)), Ordering::Release);
        }
    }

    /// The first word from `w` on (wrapping, one lap) that the summary does not
    /// mark full, or `None` if it marks every word full.
    fn next_open_word(self, w: usize) -> Option<usize> {
        let words = self.word_count();
        let groups = self.summary.len();
        let (first, skip) = (w / BITS, w % BITS);
        for i in 0..=groups {
            let g = (first + i) % groups;
            // Relaxed: a hint; a stale mark only costs a detour (see `claim`).
            let mut open = !self.summary[g].load(Ordering::Relaxed) & valid_mask(g, words);
            if i == 0 {
                open &= usize::MAX << skip; // words from `w` on
            } else if i == groups {
                open &= !(usize::MAX << skip); // back round: the words before `w`
            }
            if open != 0 {
                return Some(g * BITS + open.trailing_zeros() as usize);
            }
        }
        None
    }

    /// Frees the seats of `mask` in word `w` (all held by the caller), then gives
    /// their units back.
    #[inline]
    pub(crate) fn release(self, w: usize, mask: usize) {
        self.window(|| {
            self.hook_releasing(w, mask);
            self.clear(w, mask);
            self.give_back(bits::ones(mask));
        });
    }

    /// Frees held seats without giving their units back (see `release_parts`).
    #[inline]
    fn clear(self, w: usize, mask: usize) {
        let clear_bits = || {
            // Release: pairs with the Acquire fetch_or of the next claimer of
            // these seats, publishing this holder's writes to what they guard.
            let old = self.word(w).fetch_and(!mask, Ordering::Release);
            debug_assert_eq!(
                old & mask,
                mask,
                "racefree: released a seat that was not taken"
            );
            old
        };
        if self.summary.is_empty() {
            // Nothing reads the old bits: one locked `and` on x86_64, not a
            // compare-and-swap loop that returns them.
            clear_bits();
            return;
        }
        let old = clear_bits();
        let valid = valid_mask(w, self.header.capacity);
        if old & valid == valid {
            // The word was full: it is not any more (before the units go back).
            self.mark_open(w);
        }
    }

    /// Frees a group: every bit first, then all its units in one step.
    #[cfg(feature = "alloc")]
    pub(crate) fn release_parts(self, parts: &[(usize, usize)], len: usize) {
        self.window(|| {
            for &(w, mask) in parts {
                self.hook_releasing(w, mask);
                self.clear(w, mask);
            }
            self.give_back(len);
        });
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

    /// Releases a ticket's seat if the ticket is this pool's (and, where the
    /// storage's bookings can be cancelled elsewhere too, still booked under it:
    /// the hooks claim the release in one atomic step inside the window).
    pub(crate) fn cancel(self, ticket: Ticket) -> Result<(), Ticket> {
        if !self.header.identity.is(ticket.pool) || ticket.seat >= self.header.capacity {
            return Err(ticket);
        }
        self.window(|| {
            if self
                .hooks()
                .is_none_or(|h| h.cancelling(ticket.seat, ticket.booking()))
            {
                self.release_id(ticket.seat);
                Ok(())
            } else {
                Err(ticket)
            }
        })
    }
}
