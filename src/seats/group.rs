//! [`SeatGroup`]: a group of seats booked all-or-nothing, released together.

use alloc::vec::Vec;
use core::fmt;
use core::iter::FusedIterator;

use super::bits::MaskIds;
use super::raw::Core;
use super::Ticket;

/// A group of held seats from `try_reserve_many`. Dropping it frees every seat of
/// the group (all bits first, then the whole count in one step);
/// [`confirm`](SeatGroup::confirm) keeps them booked as [`Ticket`]s.
///
/// Leaking a `SeatGroup` (`core::mem::forget`) leaks all its seats (safe, only
/// wasteful), as for [`Seat`](crate::Seat).
///
/// ```
/// use racefree::SeatPool;
///
/// let pool = SeatPool::new(10);
/// {
///     let family = pool.try_reserve_many(4).expect("4 free seats");
///     assert_eq!(family.len(), 4);
///     assert_eq!(pool.available(), 6);
/// }
/// assert_eq!(pool.available(), 10);
/// ```
#[must_use = "dropping a SeatGroup releases its seats at once; call `confirm` to keep them"]
pub struct SeatGroup<'a> {
    core: Core<'a>,
    /// `(word, mask)`: the bits this group owns, by word.
    parts: Vec<(usize, usize)>,
    len: usize,
}

/// The old name of [`SeatGroup`], kept for one release.
///
/// ```
/// #![allow(deprecated)]
/// let pool = racefree::SeatPool::new(3);
/// let pair: racefree::Seats<'_> = pool.try_reserve_many(2).unwrap();
/// assert_eq!(pair.len(), 2);
/// ```
///
/// Using it warns (here made an error):
///
/// ```compile_fail
/// #![deny(deprecated)]
/// fn book(pool: &racefree::SeatPool) -> Option<racefree::Seats<'_>> {
///     pool.try_reserve_many(2)
/// }
/// ```
#[deprecated(since = "0.2.0", note = "renamed to `SeatGroup`")]
pub type Seats<'a> = SeatGroup<'a>;

impl<'a> SeatGroup<'a> {
    #[inline]
    pub(crate) fn new(core: Core<'a>, parts: Vec<(usize, usize)>, len: usize) -> Self {
        debug_assert_eq!(
            parts
                .iter()
                .map(|p| p.1.count_ones() as usize)
                .sum::<usize>(),
            len
        );
        Self { core, parts, len }
    }

    /// How many seats the group holds.
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(5);
    /// assert_eq!(pool.try_reserve_many(3).unwrap().len(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the group is empty (only `try_reserve_many(0)` gives one).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(5);
    /// assert!(pool.try_reserve_many(0).unwrap().is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The group's seat ids, ascending within each bitmap word (a group that
    /// wrapped around the pool lists its later words first).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(8);
    /// let group = pool.try_reserve_many(3).unwrap();
    /// let mut ids: Vec<usize> = group.ids().collect();
    /// ids.sort_unstable();
    /// ids.dedup();
    /// assert_eq!(ids.len(), 3);
    /// assert!(ids.iter().all(|&id| id < 8));
    /// ```
    #[must_use]
    #[inline]
    pub fn ids(&self) -> SeatIds<'_> {
        SeatIds {
            parts: self.parts.iter(),
            current: MaskIds::new(0, 0),
            left: self.len,
        }
    }

    /// Keeps every seat of the group booked, one [`Ticket`] each (in
    /// [`ids`](SeatGroup::ids) order).
    ///
    /// # Panics
    /// As [`Seat::confirm`](crate::Seat::confirm): only when pool identities are
    /// exhausted (32-bit targets only).
    ///
    /// ```
    /// use racefree::SeatPool;
    ///
    /// let pool = SeatPool::new(4);
    /// let tickets = pool.try_reserve_many(2).unwrap().confirm();
    /// assert_eq!(tickets.len(), 2);
    /// assert_eq!(pool.available(), 2);
    /// for t in tickets {
    ///     pool.cancel(t).unwrap();
    /// }
    /// assert_eq!(pool.available(), 4);
    /// ```
    #[must_use]
    pub fn confirm(mut self) -> Vec<Ticket> {
        if self.len == 0 {
            return Vec::new();
        }
        let pool = self.core.identity("SeatGroup::confirm");
        let tickets = self.ids().map(|id| self.core.confirm(id, pool)).collect();
        // The seats now belong to the tickets: leave the guard nothing to free.
        self.parts = Vec::new();
        self.len = 0;
        tickets
    }
}

impl Drop for SeatGroup<'_> {
    fn drop(&mut self) {
        if self.len != 0 {
            self.core.release_parts(&self.parts, self.len);
        }
    }
}

impl fmt::Debug for SeatGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeatGroup")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish()
    }
}

/// Iterator over a [`SeatGroup`]'s ids, from [`SeatGroup::ids`].
///
/// ```
/// use racefree::SeatPool;
///
/// let pool = SeatPool::new(2);
/// let group = pool.try_reserve_many(2).unwrap();
/// let ids: racefree::SeatIds<'_> = group.ids();
/// assert_eq!(ids.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct SeatIds<'s> {
    parts: core::slice::Iter<'s, (usize, usize)>,
    current: MaskIds,
    left: usize,
}

impl Iterator for SeatIds<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            if let Some(id) = self.current.next() {
                self.left -= 1;
                return Some(id);
            }
            let &(w, mask) = self.parts.next()?;
            self.current = MaskIds::new(w, mask);
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for SeatIds<'_> {}
impl FusedIterator for SeatIds<'_> {}
