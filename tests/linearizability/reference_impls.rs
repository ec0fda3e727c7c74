//! Reference subjects for testing the checker itself.
//!
//! - `Mutex*`: obviously linearizable (one lock around each operation). Every history
//!   they produce must be accepted; a rejection would be a checker bug.
//! - `Racy*`: memory-safe (atomics only, no `unsafe`) but check-then-act: they read,
//!   `yield_now()`, then write what they decided from the stale read. These are the
//!   bugs racefree exists to prevent, and the checker must reject their histories.

use racefree_conformance::models::SeatErr;
use racefree_conformance::subjects::{BoundedLike, CounterLike, PoolLike, StackLike};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Barrier, Mutex};
use std::thread::yield_now;

// ---------------------------------------------------------------- correct

/// A counter behind a mutex.
#[derive(Default)]
pub struct MutexCounter(pub Mutex<u64>);

impl CounterLike for MutexCounter {
    fn increment(&self) -> u64 {
        self.add(1)
    }
    fn add(&self, n: u64) -> u64 {
        let mut v = self.0.lock().unwrap();
        *v += n;
        *v - n
    }
    fn get(&self) -> u64 {
        *self.0.lock().unwrap()
    }
    fn add_up_to(&self, n: u64, limit: u64) -> Result<u64, u64> {
        let mut v = self.0.lock().unwrap();
        if *v + n <= limit {
            *v += n;
            Ok(*v - n)
        } else {
            Err(*v)
        }
    }
}

/// A bounded counter behind a mutex: `(value, max)`.
pub struct MutexBounded(pub Mutex<u64>, pub u64);

impl BoundedLike for MutexBounded {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        let mut v = self.0.lock().unwrap();
        if n <= self.1 - *v {
            *v += n;
            Ok(*v - n)
        } else {
            Err(*v)
        }
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        let mut v = self.0.lock().unwrap();
        if n <= *v {
            *v -= n;
            Ok(*v + n)
        } else {
            Err(*v)
        }
    }
    fn get(&self) -> u64 {
        *self.0.lock().unwrap()
    }
}

/// A stack behind a mutex, optionally bounded.
pub struct MutexStack(pub Mutex<Vec<u32>>, pub Option<usize>);

impl StackLike for MutexStack {
    fn push(&self, v: u32) -> Result<(), u32> {
        let mut s = self.0.lock().unwrap();
        if Some(s.len()) == self.1 {
            return Err(v);
        }
        s.push(v);
        Ok(())
    }
    fn pop(&self) -> Option<u32> {
        self.0.lock().unwrap().pop()
    }
    fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }
}

/// A seat pool behind a mutex: bit i set = seat i held.
pub struct MutexPool(pub Mutex<u64>, pub usize);

impl PoolLike for MutexPool {
    type Held<'a> = u64;
    fn capacity(&self) -> usize {
        self.1
    }
    fn try_reserve(&self) -> Option<(usize, u64)> {
        let mut bits = self.0.lock().unwrap();
        let id = (0..self.1).find(|&i| *bits & (1 << i) == 0)?;
        *bits |= 1 << id;
        Some((id, 1 << id))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<u64, SeatErr> {
        if id >= self.1 {
            return Err(SeatErr::OutOfRange);
        }
        let mut bits = self.0.lock().unwrap();
        if *bits & (1 << id) != 0 {
            return Err(SeatErr::Taken);
        }
        *bits |= 1 << id;
        Ok(1 << id)
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, u64)> {
        let mut bits = self.0.lock().unwrap();
        let ids: Vec<usize> = (0..self.1)
            .filter(|&i| *bits & (1 << i) == 0)
            .take(k)
            .collect();
        if ids.len() < k {
            return None;
        }
        let mask = ids.iter().fold(0, |m, &i| m | 1 << i);
        *bits |= mask;
        Some((ids, mask))
    }
    fn confirm(&self, held: u64) -> u64 {
        held
    }
    fn release(&self, held: u64) {
        *self.0.lock().unwrap() &= !held;
    }
    fn available(&self) -> usize {
        self.1 - self.0.lock().unwrap().count_ones() as usize
    }
}

// ---------------------------------------------------------------- broken

/// Lost update: `increment` is a load, a yield, then a store of `old + n`.
#[derive(Default)]
pub struct RacyCounter(pub AtomicU64);

impl CounterLike for RacyCounter {
    fn increment(&self) -> u64 {
        self.add(1)
    }
    fn add(&self, n: u64) -> u64 {
        let v = self.0.load(SeqCst);
        yield_now(); // the check-then-act gap
        self.0.store(v + n, SeqCst);
        v
    }
    fn get(&self) -> u64 {
        self.0.load(SeqCst)
    }
    fn add_up_to(&self, n: u64, limit: u64) -> Result<u64, u64> {
        let v = self.0.load(SeqCst);
        if v + n > limit {
            return Err(v);
        }
        yield_now();
        self.0.store(v + n, SeqCst);
        Ok(v)
    }
}

/// Overdraft: `try_sub` checks the balance, yields, then stores `old - n`.
pub struct RacyBounded(pub AtomicU64, pub u64);

impl BoundedLike for RacyBounded {
    fn try_add(&self, n: u64) -> Result<u64, u64> {
        let v = self.0.load(SeqCst);
        if n > self.1 - v {
            return Err(v);
        }
        yield_now();
        self.0.store(v + n, SeqCst);
        Ok(v)
    }
    fn try_sub(&self, n: u64) -> Result<u64, u64> {
        let v = self.0.load(SeqCst);
        if n > v {
            return Err(v);
        }
        yield_now();
        self.0.store(v - n, SeqCst);
        Ok(v)
    }
    fn get(&self) -> u64 {
        self.0.load(SeqCst)
    }
}

/// Stack over an atomic array and an atomic length, with load-then-store on the
/// length: two pops can both take the top item.
pub struct RacyStack {
    slots: [AtomicU32; 64],
    len: AtomicUsize,
}

impl Default for RacyStack {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| AtomicU32::new(0)),
            len: AtomicUsize::new(0),
        }
    }
}

impl StackLike for RacyStack {
    fn push(&self, v: u32) -> Result<(), u32> {
        let n = self.len.load(SeqCst);
        if n == self.slots.len() {
            return Err(v);
        }
        yield_now();
        self.slots[n].store(v, SeqCst);
        self.len.store(n + 1, SeqCst);
        Ok(())
    }
    fn pop(&self) -> Option<u32> {
        let n = self.len.load(SeqCst);
        if n == 0 {
            return None;
        }
        yield_now();
        let v = self.slots[n - 1].load(SeqCst);
        self.len.store(n - 1, SeqCst);
        Some(v)
    }
    fn is_empty(&self) -> bool {
        self.len.load(SeqCst) == 0
    }
}

/// Double booking: `try_reserve` finds a free bit, yields, then stores the word
/// with that bit set (a plain store, not `fetch_or`).
pub struct RacyPool(pub AtomicU64, pub usize);

impl RacyPool {
    fn claim(&self, pick: impl Fn(u64) -> Option<u64>) -> Option<u64> {
        let bits = self.0.load(SeqCst);
        let mask = pick(bits)?;
        yield_now();
        self.0.store(bits | mask, SeqCst);
        Some(mask)
    }
}

impl PoolLike for RacyPool {
    type Held<'a> = u64;
    fn capacity(&self) -> usize {
        self.1
    }
    fn try_reserve(&self) -> Option<(usize, u64)> {
        let mask = self.claim(|b| (0..self.1).find(|&i| b & (1 << i) == 0).map(|i| 1 << i))?;
        Some((mask.trailing_zeros() as usize, mask))
    }
    fn try_reserve_seat(&self, id: usize) -> Result<u64, SeatErr> {
        if id >= self.1 {
            return Err(SeatErr::OutOfRange);
        }
        self.claim(|b| (b & (1 << id) == 0).then_some(1 << id))
            .ok_or(SeatErr::Taken)
    }
    fn try_reserve_many(&self, k: usize) -> Option<(Vec<usize>, u64)> {
        let mask = self.claim(|b| {
            let ids: Vec<usize> = (0..self.1).filter(|&i| b & (1 << i) == 0).take(k).collect();
            (ids.len() == k).then(|| ids.iter().fold(0, |m, &i| m | 1 << i))
        })?;
        Some((
            (0..self.1).filter(|&i| mask & (1 << i) != 0).collect(),
            mask,
        ))
    }
    fn confirm(&self, held: u64) -> u64 {
        held
    }
    fn release(&self, held: u64) {
        self.0.fetch_and(!held, SeqCst);
    }
    fn available(&self) -> usize {
        self.1 - self.0.load(SeqCst).count_ones() as usize
    }
}

/// A lost update forced without timing: both threads load, meet at a barrier
/// inside the gap, then both store. Every schedule loses one increment.
pub struct ForcedRacyCounter {
    /// The value.
    pub value: AtomicU64,
    /// Both increments must reach the gap before either stores.
    pub gap: Barrier,
}

impl ForcedRacyCounter {
    /// `increment`, broken on purpose.
    pub fn increment(&self) -> u64 {
        let v = self.value.load(SeqCst);
        self.gap.wait();
        self.value.store(v + 1, SeqCst);
        v
    }
}
