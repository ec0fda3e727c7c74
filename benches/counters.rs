//! Counters against their baselines, swept over `common::THREADS`.
//!
//! Each group compares like with like, so the ratios read straight off one group:
//! - `increment`: `Counter::increment`, `StripedCounter::increment`, a raw
//!   `std::sync::atomic::AtomicU64::fetch_add` and a `std::sync::Mutex<u64>`.
//! - `bounded_try_add_far`: `BoundedCounter::try_add(1)` whose bound is never hit,
//!   vs a `Mutex<u64>` doing the same bound check.
//! - `bounded_try_add_hits_bound`: the bound is half the sample's attempts (the
//!   coupon run: half succeed, then every attempt is refused), same baseline.
//!
//! Throughput is total operations per second over all threads.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use racefree::{BoundedCounter, Counter, StripedCounter};

mod common;

fn increment(c: &mut Criterion) {
    let mut group = c.benchmark_group("increment");
    for threads in common::THREADS {
        group.throughput(Throughput::Elements(threads as u64));

        let counter = Counter::new(0);
        common::bench_threads(&mut group, "Counter", threads, |_, _| {
            black_box(counter.increment());
        });

        let striped = StripedCounter::new();
        common::bench_threads(&mut group, "StripedCounter", threads, |_, _| {
            striped.increment()
        });

        let raw = AtomicU64::new(0);
        common::bench_threads(&mut group, "raw_fetch_add", threads, |_, _| {
            black_box(raw.fetch_add(1, Ordering::Relaxed));
        });

        let mutex = Mutex::new(0u64);
        common::bench_threads(&mut group, "Mutex", threads, |_, _| {
            let mut v = mutex.lock().unwrap();
            black_box(*v);
            *v += 1;
        });
    }
    group.finish();
}

/// The mutex baseline of `try_add`: check the bound and add under the lock.
fn mutex_try_add(m: &Mutex<u64>, n: u64, max: u64) -> Result<u64, u64> {
    let mut v = m.lock().unwrap();
    match v.checked_add(n).filter(|&new| new <= max) {
        Some(new) => Ok(std::mem::replace(&mut *v, new)),
        None => Err(*v),
    }
}

fn bounded_far(c: &mut Criterion) {
    let mut group = c.benchmark_group("bounded_try_add_far");
    for threads in common::THREADS {
        group.throughput(Throughput::Elements(threads as u64));

        let bounded = BoundedCounter::new(0, u64::MAX);
        common::bench_threads(&mut group, "BoundedCounter", threads, |_, _| {
            black_box(bounded.try_add(1)).ok();
        });

        let mutex = Mutex::new(0u64);
        common::bench_threads(&mut group, "Mutex", threads, |_, _| {
            black_box(mutex_try_add(&mutex, 1, u64::MAX)).ok();
        });
    }
    group.finish();
}

fn bounded_hits_bound(c: &mut Criterion) {
    let mut group = c.benchmark_group("bounded_try_add_hits_bound");
    for threads in common::THREADS {
        let label = common::thread_label(threads);
        group.throughput(Throughput::Elements(threads as u64));

        group.bench_function(BenchmarkId::new("BoundedCounter", &label), |b| {
            b.iter_custom(|iters| {
                // A fresh coupon run per sample: half of all attempts can succeed.
                let bounded = BoundedCounter::new(0, threads as u64 * iters / 2);
                common::time_threads(threads, iters, |_, _| {
                    black_box(bounded.try_add(1)).ok();
                })
            })
        });

        group.bench_function(BenchmarkId::new("Mutex", &label), |b| {
            b.iter_custom(|iters| {
                let max = threads as u64 * iters / 2;
                let mutex = Mutex::new(0u64);
                common::time_threads(threads, iters, |_, _| {
                    black_box(mutex_try_add(&mutex, 1, max)).ok();
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, increment, bounded_far, bounded_hits_bound);
criterion_main!(benches);
