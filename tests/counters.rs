//! Integration stress tests for the counters: many threads, exact totals, unique
//! IDs, exactly-N winners. They assert outcomes only, never timing.
#![cfg(target_has_atomic = "64")]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::thread;

#[cfg(feature = "alloc")]
use racefree::StripedCounter;
use racefree::{BoundedCounter, Counter};
use racefree_conformance::harness::together;
use racefree_conformance::models::one_of_two_withdrawals;

const THREADS: usize = 8;

/// `native` normally, `miri` under Miri (which is ~1000x slower).
const fn scale(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// A barrier that releases its threads within nanoseconds of each other (they
/// spin, yielding now and then), so that each round's racing calls really overlap;
/// `std::sync::Barrier` wakes sleepers microseconds apart.
struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        Self {
            n,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == generation {
                spins += 1;
                if spins % 64 == 0 {
                    thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
}

#[test]
fn increment_loses_nothing_and_ids_are_unique() {
    let per_thread = scale(50_000, 200);
    let ids = Counter::new(0);
    let returned = together(THREADS, |_| {
        (0..per_thread).map(|_| ids.increment()).collect::<Vec<_>>()
    });

    let total = (THREADS * per_thread) as u64;
    assert_eq!(ids.get(), total, "lost increments");
    let mut all: Vec<u64> = returned.into_iter().flatten().collect();
    all.sort_unstable();
    // Every previous value 0..total returned exactly once: no duplicate ID, no gap.
    assert!(all.iter().copied().eq(0..total), "duplicate or missing IDs");
}

/// Issue 18, finding 2: threads hammer a counter that starts just below
/// `Counter::MAX` with adds that fit and adds that overshoot (`add` is
/// `checked_add` plus a panic; its panic is tested in the unit tests). Every ID
/// handed out is unique and in range, and once the counter is exhausted it stays so.
#[test]
fn miri_counter_at_limit_never_repeats() {
    let rounds = scale(200, 4);
    for _ in 0..rounds {
        let c = Counter::new(Counter::MAX - 64);
        let got = together(THREADS, |t| {
            let mut mine = Vec::new();
            for i in 0..scale(40, 8) {
                let n = [1, 3, 1 << 32, u64::MAX][(t + i) % 4];
                if let Some(prev) = c.checked_add(n) {
                    mine.push((prev, n));
                }
            }
            mine
        });
        let mut blocks: Vec<(u64, u64)> = got.into_iter().flatten().collect();
        blocks.sort_unstable();
        for w in blocks.windows(2) {
            assert!(w[0].0 + w[0].1 <= w[1].0, "IDs handed out twice: {w:?}");
        }
        for &(start, len) in &blocks {
            assert!(start >= Counter::MAX - 64 && start + len <= Counter::MAX + 1);
        }
        // Every thread's third call adds 2^32 and overshoots: exhausted for good.
        assert_eq!(c.checked_add(0), None);
    }
}

#[test]
fn add_returns_disjoint_ranges() {
    let per_thread = scale(20_000, 100);
    let c = Counter::new(1_000);
    let starts = together(THREADS, |t| {
        let n = t as u64 + 1; // thread t reserves blocks of t+1 IDs
        (0..per_thread).map(|_| (c.add(n), n)).collect::<Vec<_>>()
    });
    let mut ranges: Vec<(u64, u64)> = starts.into_iter().flatten().collect();
    ranges.sort_unstable();
    let mut next = 1_000;
    for (start, len) in ranges {
        assert_eq!(start, next, "overlapping or missing ID block");
        next = start + len;
    }
    assert_eq!(c.get(), next);
}

#[test]
fn update_loses_nothing() {
    let per_thread = scale(20_000, 100);
    let c = Counter::new(0);
    let returned = together(THREADS, |_| {
        (0..per_thread)
            .map(|_| c.update(|v| v.checked_add(1)).unwrap())
            .collect::<Vec<_>>()
    });
    let total = (THREADS * per_thread) as u64;
    assert_eq!(c.get(), total);
    let unique: HashSet<u64> = returned.into_iter().flatten().collect();
    assert_eq!(unique.len() as u64, total);
}

#[test]
fn first_100_coupons_exactly_100_every_round() {
    let rounds = scale(300, 3);
    let attempts = scale(40, 20); // per thread per round: 320 attempts for 100 coupons
    let coupons: Vec<BoundedCounter> = (0..rounds).map(|_| BoundedCounter::new(0, 100)).collect();
    let round_start = SpinBarrier::new(THREADS);

    // won[thread][round] = the coupon numbers that thread got.
    let won = together(THREADS, |_| {
        coupons
            .iter()
            .map(|c| {
                round_start.wait();
                (0..attempts)
                    .filter_map(|_| match c.try_add(1) {
                        Ok(number) => Some(number),
                        Err(current) => {
                            assert_eq!(current, 100, "refused below the limit");
                            None
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });

    for (round, c) in coupons.iter().enumerate() {
        let mut numbers: Vec<u64> = won.iter().flat_map(|t| t[round].iter().copied()).collect();
        numbers.sort_unstable();
        assert_eq!(numbers.len(), 100, "round {round}: not exactly 100 coupons");
        assert!(
            numbers.iter().copied().eq(0..100),
            "round {round}: duplicate coupon"
        );
        assert_eq!(c.get(), 100);
    }
}

#[test]
fn miri_two_withdrawals_exactly_one_succeeds() {
    let rounds = scale(5_000, 5);
    let balances: Vec<BoundedCounter> = (0..rounds)
        .map(|_| BoundedCounter::new(100, u64::MAX))
        .collect();
    let round_start = SpinBarrier::new(2);
    let amounts = [80u64, 50];

    let results: Vec<Vec<Result<u64, u64>>> = thread::scope(|s| {
        let hs: Vec<_> = amounts
            .iter()
            .map(|&amount| {
                let (balances, round_start) = (&balances, &round_start);
                s.spawn(move || {
                    balances
                        .iter()
                        .map(|b| {
                            round_start.wait();
                            b.try_sub(amount)
                        })
                        .collect()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for (round, b) in balances.iter().enumerate() {
        let (r80, r50) = (results[0][round], results[1][round]);
        let Some(left) = one_of_two_withdrawals(r80, r50) else {
            panic!(
                "round {round}: {:?} — not exactly one withdrawal",
                (r80, r50)
            );
        };
        assert_eq!(b.get(), left);
    }
}

#[test]
fn bounded_never_leaves_range_and_conserves() {
    const MAX: u64 = 1_000;
    let ops = scale(20_000, 100);
    let c = BoundedCounter::new(MAX / 2, MAX);
    // Net change per thread from its successful operations.
    let nets = together(THREADS, |t| {
        let mut net: i64 = 0;
        for i in 0..ops {
            let n = ((i * 7 + t * 13) % 5) as u64; // 0..=4, including zero
            if (i + t) % 2 == 0 {
                match c.try_add(n) {
                    Ok(prev) => {
                        assert!(prev + n <= MAX);
                        net += n as i64;
                    }
                    Err(cur) => assert!(cur + n > MAX, "refused add {n} at {cur}"),
                }
            } else {
                match c.try_sub(n) {
                    Ok(prev) => {
                        assert!(prev >= n);
                        net -= n as i64;
                    }
                    Err(cur) => assert!(cur < n, "refused sub {n} at {cur}"),
                }
            }
            assert!(c.get() <= MAX, "value left 0..=max");
        }
        net
    });
    let net: i64 = nets.into_iter().sum();
    assert_eq!(c.get() as i64, (MAX / 2) as i64 + net);
}

#[cfg(feature = "alloc")]
#[test]
fn striped_sum_is_exact_after_join() {
    let per_thread = scale(100_000, 200);
    let c = StripedCounter::new();
    together(THREADS, |t| {
        for i in 0..per_thread {
            if i % 2 == 0 {
                c.increment();
            } else {
                c.add(t as u64);
            }
        }
    });
    let evens = per_thread.div_ceil(2) as u64;
    let odds = (per_thread / 2) as u64;
    let expected: u64 = (0..THREADS as u64).map(|t| evens + odds * t).sum();
    assert_eq!(c.sum(), expected);
}

#[cfg(feature = "alloc")]
#[test]
fn striped_reset_counts_every_increment_exactly_once() {
    let rounds = scale(4, 1);
    let per_thread = scale(100_000, 300);
    let adders = THREADS - 1;
    for _ in 0..rounds {
        let c = StripedCounter::with_cells(2); // fewer cells than threads: shared cells
        let resetting = AtomicUsize::new(0); // set once the resetter is running
        let done = AtomicUsize::new(0);
        let drained = together(THREADS, |t| {
            if t == 0 {
                // The resetter: drains without pause while the others add.
                let mut drained = c.reset();
                resetting.store(1, Ordering::Release);
                while done.load(Ordering::Acquire) < adders {
                    drained += c.reset();
                }
                drained
            } else {
                // Start adding only once resets are under way, so they overlap.
                while resetting.load(Ordering::Acquire) == 0 {
                    thread::yield_now();
                }
                for _ in 0..per_thread {
                    c.increment();
                }
                done.fetch_add(1, Ordering::Release);
                0
            }
        });
        let drained: u64 = drained.into_iter().sum();
        assert_eq!(drained + c.sum(), (adders * per_thread) as u64);
    }
}
