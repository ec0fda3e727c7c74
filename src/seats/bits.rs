//! Pure word arithmetic for the bitmap: no atomics, no state.
//!
//! One bit per seat, `1` = taken, so an all-zero bitmap is an all-free pool.
//! Seat `id` lives in word `id / BITS`, bit `id % BITS`.

/// Bits per bitmap word (`usize::BITS`: 64 on 64-bit targets, 32 on 32-bit ones).
pub(crate) const BITS: usize = usize::BITS as usize;

/// How many bitmap words a pool of `capacity` seats needs: `capacity` divided by
/// `usize::BITS`, rounded up.
///
/// Use it to size an [`ArraySeatPool`](crate::ArraySeatPool) in a `static`:
///
/// ```
/// use racefree::{words_for, ArraySeatPool};
///
/// static POOL: ArraySeatPool<{ words_for(100) }> = ArraySeatPool::new(100);
///
/// assert_eq!(words_for(0), 0);
/// assert_eq!(words_for(1), 1);
/// assert_eq!(words_for(usize::BITS as usize), 1);
/// assert_eq!(words_for(usize::BITS as usize + 1), 2);
/// assert_eq!(POOL.capacity(), 100);
/// ```
#[must_use]
pub const fn words_for(capacity: usize) -> usize {
    capacity.div_ceil(BITS)
}

/// The word index and in-word mask of seat `id`.
#[inline]
pub(crate) const fn locate(id: usize) -> (usize, usize) {
    (id / BITS, 1 << (id % BITS))
}

/// The bits of word `word` that are real seats in a pool of `capacity` seats
/// (all ones, except in a partial last word).
#[inline]
pub(crate) const fn valid_mask(word: usize, capacity: usize) -> usize {
    let first = word * BITS;
    let in_word = capacity - first;
    if in_word >= BITS {
        usize::MAX
    } else {
        (1 << in_word) - 1
    }
}

/// How many bits `mask` has set, without a popcount for the common one-seat
/// mask (the baseline x86_64 target has no `popcnt` instruction, and its
/// software count costs more than the claim's other arithmetic together).
#[inline]
pub(crate) const fn ones(mask: usize) -> usize {
    if mask & mask.wrapping_sub(1) == 0 {
        (mask != 0) as usize
    } else {
        mask.count_ones() as usize
    }
}

/// The lowest `n` set bits of `free` (all of them when it has `n` or fewer).
#[inline]
pub(crate) const fn lowest_bits(free: usize, n: usize) -> usize {
    if n == 1 {
        return free & free.wrapping_neg(); // the one-seat claim: no count, no loop
    }
    if free.count_ones() as usize <= n {
        return free;
    }
    let mut rest = free;
    let mut picked = 0;
    let mut left = n;
    while left > 0 {
        let bit = rest & rest.wrapping_neg();
        picked |= bit;
        rest ^= bit;
        left -= 1;
    }
    picked
}

/// The seat ids of the set bits of `mask` in word `word` (for the storage hooks,
/// which see seats one by one).
#[inline]
pub(crate) fn ids_of(word: usize, mask: usize) -> impl Iterator<Item = usize> {
    let mut rest = mask;
    core::iter::from_fn(move || {
        if rest == 0 {
            return None;
        }
        let bit = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        Some(word * BITS + bit)
    })
}

/// Iterator over the seat ids of the set bits of `mask` in word `word`.
#[cfg(feature = "alloc")]
#[derive(Debug, Clone)]
pub(crate) struct MaskIds {
    base: usize,
    rest: usize,
}

#[cfg(feature = "alloc")]
impl MaskIds {
    #[inline]
    pub(crate) const fn new(word: usize, mask: usize) -> Self {
        Self {
            base: word * BITS,
            rest: mask,
        }
    }
}

#[cfg(feature = "alloc")]
impl Iterator for MaskIds {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.rest == 0 {
            return None;
        }
        let bit = self.rest.trailing_zeros() as usize;
        self.rest &= self.rest - 1;
        Some(self.base + bit)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.count_ones() as usize;
        (n, Some(n))
    }
}

#[cfg(feature = "alloc")]
impl ExactSizeIterator for MaskIds {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_rounds_up() {
        assert_eq!(words_for(0), 0);
        assert_eq!(words_for(1), 1);
        assert_eq!(words_for(BITS - 1), 1);
        assert_eq!(words_for(BITS), 1);
        assert_eq!(words_for(BITS + 1), 2);
        assert_eq!(words_for(usize::MAX), usize::MAX / BITS + 1);
    }

    #[test]
    fn locate_and_valid_mask() {
        assert_eq!(locate(0), (0, 1));
        assert_eq!(locate(BITS + 3), (1, 1 << 3));
        assert_eq!(valid_mask(0, 3), 0b111);
        assert_eq!(valid_mask(0, BITS), usize::MAX);
        assert_eq!(valid_mask(1, BITS + 2), 0b11);
        assert_eq!(valid_mask(0, 10 * BITS), usize::MAX);
    }

    #[test]
    fn ones_counts_bits() {
        for mask in [
            0,
            1,
            2,
            1 << (BITS - 1),
            0b1011_0110,
            usize::MAX,
            usize::MAX - 1,
        ] {
            assert_eq!(ones(mask), mask.count_ones() as usize, "{mask:#x}");
        }
    }

    #[test]
    fn lowest_bits_picks_exactly_n() {
        assert_eq!(lowest_bits(0b1011_0110, 1), 0b0000_0010);
        assert_eq!(lowest_bits(0, 1), 0);
        assert_eq!(lowest_bits(0b1011_0110, 2), 0b0000_0110);
        assert_eq!(lowest_bits(0b1011_0110, 3), 0b0001_0110);
        assert_eq!(lowest_bits(0b1011_0110, 9), 0b1011_0110);
        assert_eq!(lowest_bits(0, 4), 0);
        assert_eq!(lowest_bits(usize::MAX, 0), 0);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn mask_ids_lists_set_bits() {
        let ids: [usize; 3] = {
            let mut it = MaskIds::new(2, 0b1001_0001);
            [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(ids, [2 * BITS, 2 * BITS + 4, 2 * BITS + 7]);
        assert_eq!(MaskIds::new(0, 0).next(), None);
    }
}
