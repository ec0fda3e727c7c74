//! Shared harness for the thread-sweep benchmarks.
//!
//! Every benchmark runs `threads` workers that wait on a barrier, then each times
//! its own `iters` operations; the sample is the slowest worker's time. Timing
//! inside the workers keeps thread start-up and the barrier's wake-up out of the
//! measurement (timed from the main thread, short runs mostly measure wake-ups).
//! With `Throughput::Elements(threads)`, criterion then reports total operations
//! per second across all threads.
#![allow(dead_code)]

pub mod epoch_stack;
pub mod seat_scale;

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};
use racefree_conformance::harness::together;

/// The sweep used on every benchmark. On a 2-core machine, 4 and 8 threads are
/// oversubscribed on purpose: a preempted lock holder is where mutexes collapse.
pub const THREADS: [usize; 4] = [1, 2, 4, 8];

/// Label for a thread count, marking oversubscription on this machine.
pub fn thread_label(threads: usize) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > cores {
        format!("{threads}t-oversubscribed")
    } else {
        format!("{threads}t")
    }
}

/// Runs `op(thread_index, iteration)` `iters` times on each of `threads` threads
/// that start together, and returns the slowest thread's elapsed time.
pub fn time_threads<F>(threads: usize, iters: u64, op: F) -> Duration
where
    F: Fn(usize, u64) + Sync,
{
    together(threads, |t| {
        let start = Instant::now();
        for i in 0..iters {
            op(t, i);
        }
        start.elapsed()
    })
    .into_iter()
    .max()
    .unwrap_or_default()
}

/// Benchmarks `op(thread_index, iteration)` in `group` as `name` at `threads`
/// threads (labelled by [`thread_label`]); each sample is [`time_threads`].
pub fn bench_threads(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    threads: usize,
    op: impl Fn(usize, u64) + Sync,
) {
    group.bench_function(BenchmarkId::new(name, thread_label(threads)), |b| {
        b.iter_custom(|iters| time_threads(threads, iters, &op))
    });
}
