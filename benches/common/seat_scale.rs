//! The seat pool at every scale, shared by `benches/seat_scale.rs` (which prints
//! it) and `benches/summary.rs` (which writes it into BENCHMARKS.md):
//! single-thread churn (cancel a random confirmed seat, reserve any seat) on
//! pools of 1K to 1M seats that are nearly full, with 0.1% of the seats free
//! against exactly one free seat; and the same churn with groups of 4 (cancel 4
//! random seats, reserve a group of 4) with 0.1% free against none but the 4 just
//! cancelled. Nanoseconds per step (median of interleaved repetitions) and the
//! ratios the targets are judged by.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use racefree::{SeatPool, Ticket};

/// A small xorshift: reproducible picks without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A pool of `capacity` with all but `free` seats confirmed, and its tickets.
fn nearly_full(capacity: usize, free: usize) -> (SeatPool, Vec<Ticket>) {
    let pool = SeatPool::new(capacity);
    let tickets = pool
        .try_reserve_many(capacity - free)
        .expect("prefill")
        .confirm();
    (pool, tickets)
}

/// Nanoseconds per churn step: cancel `k` random tickets, then reserve any seat
/// (`k == 1`) or a group of `k`, and confirm.
fn churn(pool: &SeatPool, tickets: &mut Vec<Ticket>, rng: &mut Rng, k: usize, steps: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..steps {
        for _ in 0..k {
            let i = rng.below(tickets.len());
            pool.cancel(tickets.swap_remove(i)).expect("own ticket");
        }
        if k == 1 {
            let seat = pool.try_reserve().expect("a seat was just freed");
            tickets.push(black_box(seat.confirm()));
        } else {
            let group = pool.try_reserve_many(k).expect("k seats were just freed");
            tickets.extend(black_box(group.confirm()));
        }
    }
    start.elapsed().as_nanos() as f64 / steps as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The group size of the group rows.
const GROUP: usize = 4;

/// The scale table, in Markdown: one row per capacity. `quick`: two capacities,
/// one short repetition (CI's bench smoke).
pub fn table(quick: bool) -> String {
    let (reps, steps) = if quick { (1, 200) } else { (7, 4_000) };
    let capacities: &[usize] = if quick {
        &[1_000, 1_000_000]
    } else {
        &[1_000, 4_000, 16_000, 64_000, 256_000, 1_000_000]
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Single thread, {reps} repetition(s) x {steps} steps, median ns per step. \
         Target: each ratio ≤ 2.00×.\n"
    );
    let _ = writeln!(
        s,
        "| capacity | 0.1% free | 1 free | ratio | group of {GROUP}, 0.1% free | group of {GROUP}, \
         no other free | ratio |"
    );
    let _ = writeln!(s, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for &capacity in capacities {
        let roomy_free = (capacity / 1000).max(GROUP);
        let mut pools = [
            nearly_full(capacity, roomy_free),
            nearly_full(capacity, 1),
            nearly_full(capacity, roomy_free),
            nearly_full(capacity, 0),
        ];
        let mut times = [vec![], vec![], vec![], vec![]];
        for _ in 0..reps {
            for (i, (pool, tickets)) in pools.iter_mut().enumerate() {
                let k = if i < 2 { 1 } else { GROUP };
                times[i].push(churn(pool, tickets, &mut rng, k, steps));
            }
        }
        let [a, b, c, d] = times.map(median);
        let _ = writeln!(
            s,
            "| {capacity} | {a:.0} | {b:.0} | {:.2}× | {c:.0} | {d:.0} | {:.2}× |",
            b / a,
            d / c
        );
    }
    s
}
